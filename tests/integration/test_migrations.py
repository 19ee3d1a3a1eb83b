"""Alembic migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pilotdeck.adapters.store.db import VERSION_TABLE, Database
from pilotdeck.adapters.store.models import Base


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(ctx, Base.metadata)
                     if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)]
        assert diffs == []
    finally:
        db.dispose()


def test_the_start_up_head_is_alembics_head() -> None:
    """Start-up compares the schema with HEAD_REVISION instead of importing
    Alembic; a new migration must move the constant too."""
    from pilotdeck.adapters.store.db import HEAD_REVISION, alembic_head

    assert HEAD_REVISION == alembic_head()


def test_migrate_once_then_read_the_revision_without_alembic(db_url: str) -> None:
    from pilotdeck.adapters.store.db import HEAD_REVISION, _current

    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            theirs = ctx.get_current_revision()
        assert theirs == HEAD_REVISION == _current(db.engine)
        Database(db_url).dispose()  # a second start on a current schema is a no-op
    finally:
        db.dispose()


def test_0005_turns_granted_pilot_names_into_ids(db_url: str) -> None:
    """Existing grants keep the pilots they name today; gone names grant nothing."""
    import json

    from alembic import command
    from sqlalchemy import text

    from pilotdeck.adapters.store.db import _alembic_config, make_sql_engine

    engine = make_sql_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0003")
            conn.execute(text(
                "INSERT INTO pilots (id, name, business_unit, owner, status, manifest, "
                "digest, revision, created_at, updated_at) VALUES (7, 'churn', 'x', 'o', "
                "'pilot', '{}', 'd', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for i, (role, pilots) in enumerate([("pilot-team", '["churn", "gone"]'),
                                                ("viewer", "[]"), ("client", "[]")]):
                conn.execute(text(
                    'INSERT INTO api_tokens (id, "user", role, pilots, token_hash, prefix, '
                    "created_at, created_by) VALUES (:i, 'u', :r, :p, :h, 'pd_', "
                    "CURRENT_TIMESTAMP, 't')"), {"i": i + 1, "r": role, "p": pilots,
                                                 "h": f"h{i}"})
            command.upgrade(_alembic_config(conn), "head")
            rows = conn.execute(text("SELECT role, pilot_ids FROM api_tokens")).all()
    finally:
        engine.dispose()
    got = {role: json.loads(ids) if isinstance(ids, str) else ids for role, ids in rows}
    assert got == {"pilot-team": [7], "viewer": None, "client": None}
