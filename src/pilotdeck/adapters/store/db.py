"""SQL engine factory, migrations and the unit of work.

Every mutating unit of work first locks the single ``audit_state`` row: that
serialises writers across processes on both SQLite and PostgreSQL, so the audit
log stays gap-free and concurrent importers cannot interleave half-changes.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pilotdeck.adapters.schemes import SchemeRegistry
from pilotdeck.adapters.secrets import private_file
from pilotdeck.adapters.store.uow import UnitOfWork

VERSION_TABLE = "pilotdeck_alembic_version"
# The newest migration. Checked against Alembic's own head by a test, so a
# command on an up-to-date database never imports Alembic (0.4 s of start-up).
HEAD_REVISION = "0015"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 7_014_221_337  # arbitrary, constant advisory-lock key


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))  # owner-only before SQLite writes a byte
    engine = create_engine(
        url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs
    )
    _sqlite_pragmas(engine)
    return engine


def _postgresql_engine(url: str, **kwargs: Any) -> Engine:
    return create_engine(url, pool_pre_ping=True, **kwargs)


# "database URL" makes the error read "unsupported database URL scheme".
sql_engines: SchemeRegistry[Engine] = SchemeRegistry(
    "database URL", "PILOTDECK_DB_URL", group="pilotdeck.sql_engines")
sql_engines.register("sqlite", _sqlite_engine)
sql_engines.register("postgresql", _postgresql_engine)


def make_sql_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``sqlite:///…`` or ``postgresql+psycopg://…``.

    SQL parameters are request data (names, owners, manifests): errors, and so
    the server log, show the statement but never its parameters."""
    kwargs.setdefault("hide_parameters", True)
    return sql_engines.build(url, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and then fails fast with
    # "database is locked" when two writers race; we issue BEGIN IMMEDIATE so a
    # writer waits (busy timeout) for the lock instead. SQLAlchemy documents
    # this recipe for SQLite.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Readers take no write lock, so WAL lets them run beside the one writer.
        readonly = conn.get_execution_options().get("pilotdeck_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def alembic_head() -> str | None:
    """The head revision as Alembic reads it from the migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _current(engine: Engine) -> str | None:
    """The schema's revision (None for an empty database), read with plain SQL."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        return rows[0] if len(rows) == 1 else None


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Let exactly one process migrate at a time."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            yield
            return
        lock_path = Path(url.database + ".migrate.lock")
        with open(lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there)."""
    if _current(engine) == HEAD_REVISION:
        return
    with _migration_lock(engine):
        if _current(engine) == HEAD_REVISION:  # another process did it while we waited
            return
        from alembic import command

        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")


class Database:
    """The :class:`~pilotdeck.domain.ports.store.Store` on SQLAlchemy: owns the
    engine and hands out units of work; built once by the composition root."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = make_sql_engine(url)
        if auto_migrate:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(pilotdeck_readonly=True), expire_on_commit=False
        )

    def session(self) -> Session:
        return self._sessions()

    @contextlib.contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """A mutating transaction: locks the audit log first, appends events at commit."""
        with self.session() as session:
            with session.begin():
                uow = UnitOfWork(session)
                uow.audit.lock()
                yield uow
                uow.audit.flush()
            uow.committed()

    @contextlib.contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A read-only transaction (rolled back at the end)."""
        with self.read_session() as session, session.begin():
            yield UnitOfWork(session)
            session.rollback()

    def read_session(self) -> Session:
        return self._read_sessions()

    def ping(self) -> None:
        """Fail (SQLAlchemyError) unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    def dispose(self) -> None:
        self.engine.dispose()
