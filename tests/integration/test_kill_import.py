"""Standing crash suite: ``kill -9`` of a real ``pilotdeck pilots import`` process.

The import is one transaction, so whenever the process dies the store holds
all of the pilots or none of them, their audit events come with them, and
``audit verify`` passes; the next import then works. The kill points are made
deterministic where the database lets us see or stall the importer:

- starting: killed as soon as it runs (before it touches the database);
- in its transaction: it holds the write lock (SQLite) or is stalled by an
  uncommitted row with the name of one of its pilots, so some pilots are
  already written (PostgreSQL);
- after its audit events are written: stalled on an uncommitted Merkle node
  it is about to insert (PostgreSQL), i.e. one step before commit.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import OperationalError

from pilotdeck.domain.query import PilotFilter
from tests.cli import console_script
from tests.conftest import DEMO_PILOTS
from tests.polling import wait_until

N = 60  # manifests per import: enough that its transaction takes a while


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    doc = yaml.safe_load((DEMO_PILOTS / "churn-prediction.yaml").read_text())
    out = tmp_path / "manifests"
    out.mkdir()
    for i in range(N):
        doc["metadata"]["name"] = f"bulk-{i:03d}"
        (out / f"bulk-{i:03d}.yaml").write_text(yaml.safe_dump(doc))
    return out


def start_import(platform: Any, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PILOTDECK_HOME": str(platform.settings.home),
           "PILOTDECK_DB_URL": platform.settings.db_url}
    env.pop("PILOTDECK_TOKEN", None)
    return subprocess.Popen([str(console_script()), "pilots", "import", str(path)], env=env,
                            text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill(proc: subprocess.Popen[str]) -> None:
    assert proc.poll() is None, f"the import ended before the kill point: {proc.stderr}"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def assert_all_or_nothing(platform: Any) -> int:
    """The pilots (0 or N) and their audit events agree, and the log verifies."""
    _, total = platform.portfolio.list(PilotFilter())
    created = platform.audit.log(action="pilot.created", limit=1000)
    assert total in (0, N), f"a partial import: {total} of {N} pilots stored"
    assert len(created) == total
    report = platform.audit.verify()
    assert report.ok, report.problems
    return int(total)


@contextmanager
def side_connection(platform: Any) -> Iterator[Connection]:
    """A connection of our own to the same database, outside pilotdeck's locks."""
    engine = create_engine(platform.settings.db_url, isolation_level="AUTOCOMMIT",
                           connect_args={"timeout": 0} if platform.store.backend == "sqlite"
                           else {})
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def writer_busy(conn: Connection) -> bool:
    """Does another process hold SQLite's write lock (i.e. is inside a write)?"""
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError:
        return True
    conn.exec_driver_sql("ROLLBACK")
    return False


def stalled_importers(conn: Connection, statement: str) -> int:
    """PostgreSQL sessions blocked on a lock while running ``statement``."""
    return int(conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE :q"), {"q": f"{statement}%"}).scalar_one())


def stall_on(platform: Any, block: str, statement: str, proc: subprocess.Popen[str]) -> None:
    """Hold an uncommitted row the importer will collide with, wait until it is
    stuck on it mid-transaction, then kill it (and roll our row back)."""
    with side_connection(platform) as conn, side_connection(platform) as watch:
        conn.exec_driver_sql("BEGIN")
        conn.execute(text(block))
        # (watched from another connection: a transaction sees one stats snapshot)
        wait_until(lambda: stalled_importers(watch, statement) == 1 or proc.poll() is not None,
                   timeout=60, message=f"the importer to block on {statement}")
        kill(proc)
        conn.exec_driver_sql("ROLLBACK")


KillPoint = Callable[[Any, subprocess.Popen[str]], None]


def at_start(platform: Any, proc: subprocess.Popen[str]) -> None:
    kill(proc)


def in_transaction(platform: Any, proc: subprocess.Popen[str]) -> None:
    if platform.store.backend == "sqlite":
        with side_connection(platform) as conn:
            wait_until(lambda: writer_busy(conn) or proc.poll() is not None, timeout=60,
                       interval=0.001, message="the importer to take the write lock")
            kill(proc)
        return
    # Pilot bulk-030 is in flight elsewhere: the importer waits on the unique name
    # index with bulk-000..029 already inserted in its transaction.
    stall_on(platform, "INSERT INTO pilots (name, business_unit, owner, status, manifest, "
             "digest, revision, created_at, updated_at) VALUES ('bulk-030', 'x', 'x', 'idea', "
             "'{}', 'x', 1, now(), now())", "INSERT INTO pilots", proc)


def after_audit_events(platform: Any, proc: subprocess.Popen[str]) -> None:
    # Node (1, 0) is what the first two events create: the importer has written
    # every pilot and every audit event when it blocks on it.
    stall_on(platform, "INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 0, 'x')",
             "INSERT INTO audit_nodes", proc)


@pytest.mark.parametrize("point", [at_start, in_transaction], ids=["at-start",
                                                                   "in-transaction"])
def test_kill_9_leaves_all_or_nothing(platform: Any, manifests: Path, point: KillPoint) -> None:
    kill_and_recover(platform, manifests, point)


def test_kill_9_after_the_audit_events_postgres(pg_schema_url: str, tmp_path: Path,
                                                 manifests: Path) -> None:
    """PostgreSQL only: SQLite has one writer, so nothing can stall it there."""
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

    platform = Platform(Settings(home=tmp_path / "home", db_url=pg_schema_url))
    try:
        kill_and_recover(platform, manifests, after_audit_events)
    finally:
        platform.close()


def kill_and_recover(platform: Any, manifests: Path, point: KillPoint) -> None:
    proc = start_import(platform, manifests)
    try:
        point(platform, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert assert_all_or_nothing(platform) == 0
    again = start_import(platform, manifests)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert assert_all_or_nothing(platform) == N
