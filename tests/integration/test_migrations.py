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
