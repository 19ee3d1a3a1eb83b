"""Secrets hygiene (issue 8, item 9): an owner-only home and data files, the
first-run admin token in a 0600 file (not in the log), no SQL parameters in
the server log."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.cli import console_script
from tests.polling import wait_until


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual 022 umask, under which files default to 0644 and directories 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_home_database_models_and_request_log_are_owner_only(tmp_path, open_umask) -> None:
    home = tmp_path / "home"
    p = Platform(Settings(home=home))
    try:
        p.store.ping()
        assert p.registry.aliases("churn") == {}  # MLflow creates its database
        log = p.lake.prediction_log(60, 10)
        log.append({"request_id": "r1", "ts": datetime.now(UTC), "pilot": "churn",
                    "variant": "champion", "model_version": 1, "inputs": '{"age": 41}',
                    "outputs": "[1]", "latency_ms": 1.0, "cache_hit": False, "status": 200,
                    "rows": 1})
        assert asyncio.run(log.flush()) == 1
        key = p.request_id_key()
        token_file = p.save_admin_token("pd_secret")
    finally:
        p.close()
    assert mode(home) == 0o700
    assert mode(home / "pilotdeck.db") == 0o600
    assert mode(home / "mlflow" / "mlflow.db") == 0o600
    parts = list((home / "lakehouse" / "predictions").rglob("*.parquet"))
    assert parts and all(mode(f) == 0o600 for f in parts)
    assert len(key) == 32 and mode(home / "keys" / "request-ids.key") == 0o600
    assert token_file.read_text() == "pd_secret\n" and mode(token_file) == 0o600


def test_a_key_is_created_once_and_shared(tmp_path) -> None:
    p = Platform(Settings(home=tmp_path / "home"))
    assert p.request_id_key() == p.request_id_key()
    assert Platform(Settings(home=tmp_path / "home")).request_id_key() == p.request_id_key()


def test_sql_parameters_never_reach_the_server_log(platform, admin, caplog) -> None:
    from pilotdeck.api.app import create_app

    token = platform.access.create("ops", "admin", [], admin).token
    with platform.store.write() as uow:  # a broken database: the alerts table is gone
        uow.session.execute(__import__("sqlalchemy").text("DROP TABLE alerts"))
    api = TestClient(create_app(platform), raise_server_exceptions=False)
    secret = "jane-doe-1-secret-street"
    with caplog.at_level(logging.ERROR):
        r = api.get(f"/v1/alerts?pilot={secret}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and secret not in r.text
    assert "alerts" in caplog.text, "the database error was logged"
    assert secret not in caplog.text


def test_first_run_admin_token_goes_to_an_owner_only_file_not_stdout(tmp_path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")}
    env.update(PILOTDECK_HOME=str(home), PILOTDECK_ALERT_INTERVAL_S="0")
    out = tmp_path / "stdout.txt"
    with out.open("w") as fh:  # a file, as a service manager's log would be: not a TTY
        proc = subprocess.Popen([str(console_script()), "server", "--port", "18431"],
                                env=env, stdout=fh, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "Press Ctrl+C" in out.read_text(), timeout=60, interval=0.1,
                   message=lambda: f"the API to start; output so far: {out.read_text()}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    printed = out.read_text()
    token_file = home / "admin-token"
    token = token_file.read_text().strip()
    assert token.startswith("pd_") and mode(token_file) == 0o600
    assert token not in printed
    assert f"admin token written to {token_file}" in printed
