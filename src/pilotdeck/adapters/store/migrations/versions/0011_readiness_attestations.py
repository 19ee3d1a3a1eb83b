"""readiness attestations and waivers by the governance board; training records

A new table rather than a ``kind`` column on ``attestations``: those rows are
the risk tier's controls (matched by control id when a deployment asks, kept as
an append-only history, valid for up to ten years), whereas a readiness
attestation is one current word per pilot, item and version that the board
rewrites, revokes and can *waive* (a waiver is not a control being in place and
must never satisfy the deployment gate). Sharing a table would let an item id
that happens to equal a control id open the gate. ``version`` 0 means every
version of the pilot (a NULL would not take part in the unique key on
PostgreSQL); ``revision`` makes rewrites compare-and-set.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_attestations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=320), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pilot_id", "item", "version",
                            name="uq_readiness_attestations_pilot_item_version"),
    )
    with op.batch_alter_table("readiness_attestations", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_attestations_pilot_id", ["pilot_id"], unique=False)
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=320), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=63), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index("ix_training_records_pilot_id", ["pilot_id"], unique=False)
        batch_op.create_index("ix_training_records_team", ["team"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index("ix_training_records_team")
        batch_op.drop_index("ix_training_records_pilot_id")
    op.drop_table("training_records")
    with op.batch_alter_table("readiness_attestations", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_attestations_pilot_id")
    op.drop_table("readiness_attestations")
