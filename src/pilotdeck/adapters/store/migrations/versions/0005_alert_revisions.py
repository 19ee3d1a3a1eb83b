"""alert revisions

Alerts are changed after they are stored (counted, resolved, their actions
recorded; later acknowledged or silenced), so they get the integer revision
pilots and deployments have: every change is a compare-and-set on it.
Existing alerts start at revision 1.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False,
                                      server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("revision")
