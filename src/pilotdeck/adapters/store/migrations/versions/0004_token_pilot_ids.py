"""token grants by pilot id

A pilot-team (or scoped client) grant named pilots; a pilot deleted and
re-created under the same name was then still in the old grant. The grant is
now the pilots' ids; existing grants are converted with the ids their names
have today (names that no longer exist grant nothing).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("pilot_ids", sa.JSON(), nullable=True))
    conn = op.get_bind()
    ids = {name: pid for pid, name in conn.execute(sa.text("SELECT id, name FROM pilots"))}
    tokens = sa.table("api_tokens", sa.column("id", sa.Integer()),
                      sa.column("role", sa.String()), sa.column("pilots", sa.JSON()),
                      sa.column("pilot_ids", sa.JSON()))
    for tid, role, pilots in conn.execute(sa.select(tokens.c.id, tokens.c.role,
                                                    tokens.c.pilots)):
        names = json.loads(pilots) if isinstance(pilots, str) else (pilots or [])
        if role != "pilot-team" and not names:
            continue  # not limited to pilots: stays NULL
        conn.execute(tokens.update().where(tokens.c.id == tid).values(
            pilot_ids=sorted(ids[n] for n in names if n in ids)))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("pilot_ids")
