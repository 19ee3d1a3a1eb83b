"""Shared fixtures: real SQLite files and a real PostgreSQL (fresh schema per test)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import missing

PG_URL = os.environ.get(
    "PILOTDECK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parents[1]
DEMO_PILOTS = REPO / "src" / "pilotdeck" / "demo" / "pilots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--features", action="store_true", help=(
        "Run the tests marked `feast` (the feature store; `.venv-features`, "
        "pip install -e '.[test,features]'). Without it they are deselected."))


# Modules whose results depend on pandas' behaviour (frames, dtypes, Parquet round
# trips): marked `pandas`, they run in the main venv (pandas 3) and again in
# `.venv-features` (Feast pins pandas 2). Their Spark cases stay in the main run only.
PANDAS_SENSITIVE = {"test_drift.py", "test_lake.py", "test_batch.py", "test_profiles.py",
                    "test_monitor.py", "test_performance.py", "test_monitoring_live.py",
                    "test_data_quality.py", "test_datasets.py"}


# Tests that measure time or load the machine on purpose (a kill -9 under load, a
# client that stalls, latency ratios, racing processes): marked `serial`, `make test`
# runs them after the rest, alone, so a parallel worker cannot starve them.
SERIAL = {"test_gateway_crash.py", "test_hostile_client.py", "test_performance.py",
          "test_kill_import.py", "test_concurrency.py", "test_gateway_faults.py"}
SERIAL_TESTS = {"test_two_processes_importing_at_once_corrupt_nothing"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Feast tests run only where asked for (`make test` runs them in `.venv-features`);
    asked for without Feast installed they fail in CI (tests/features/conftest.py)."""
    for item in items:
        if item.path.name in PANDAS_SENSITIVE:
            item.add_marker(pytest.mark.pandas)
        if item.path.name in SERIAL or item.name.split("[")[0] in SERIAL_TESTS:
            item.add_marker(pytest.mark.serial)
    if config.getoption("--features"):
        return
    keep = [i for i in items if i.get_closest_marker("feast") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _pg_conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return (f"host={u.host or '127.0.0.1'} port={u.port or 5432} "
            f"user={u.username or 'postgres'} dbname={u.database or 'test'}")


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_pg_conninfo(PG_URL), connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@pytest.fixture(scope="session")
def pg_ok() -> bool:
    return _pg_available()


@pytest.fixture
def pg_schema_url(pg_ok: bool) -> Iterator[str]:
    """A URL whose search_path is a brand-new schema, dropped afterwards."""
    if not pg_ok:
        missing(f"PostgreSQL is not reachable at {PG_URL}")

    with fresh_pg_schema("t") as url:
        yield url


@contextlib.contextmanager
def fresh_pg_schema(prefix: str) -> Iterator[str]:
    """A URL whose search_path is a new PostgreSQL schema, dropped on exit."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_pg_conninfo(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pilotdeck.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def settings(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    from pilotdeck.config import Settings

    return Settings(home=tmp_path / "home", db_url=db_url)


@pytest.fixture
def platform(settings):  # type: ignore[no-untyped-def]
    from pilotdeck.platform import Platform

    p = Platform(settings)
    yield p
    p.close()


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    from pilotdeck.auth.roles import local_admin

    return local_admin("tester")


@pytest.fixture
def demo_pilots() -> Path:
    return DEMO_PILOTS


def monitoring_at(root: Path):  # type: ignore[no-untyped-def]
    """The monitoring service over a lake at ``root`` (no metadata store needed)."""
    from pilotdeck.adapters.compute import make_compute_engine
    from pilotdeck.adapters.lake import LocalLake
    from pilotdeck.services.monitoring import MonitoringService

    return MonitoringService(LocalLake(root), lambda name: make_compute_engine(name or "local"))
