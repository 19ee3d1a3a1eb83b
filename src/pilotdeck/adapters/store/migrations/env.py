"""Alembic environment: runs on the connection pilotdeck hands in."""

from __future__ import annotations

from alembic import context

from pilotdeck.adapters.store import team_rows  # noqa: F401 - its tables join Base.metadata
from pilotdeck.adapters.store.db import VERSION_TABLE
from pilotdeck.adapters.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - pilotdeck always passes one in
    raise RuntimeError("run migrations through pilotdeck.adapters.store.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
