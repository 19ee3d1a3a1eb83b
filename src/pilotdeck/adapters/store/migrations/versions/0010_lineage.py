"""lineage: OpenLineage run events and their normalised edges

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "event_type", name="uq_lineage_runs_run_event"),
    )
    with op.batch_alter_table("lineage_runs", schema=None) as batch_op:
        batch_op.create_index("ix_lineage_runs_job", ["job"], unique=False)
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("node", sa.String(length=1100), nullable=False),
        sa.Column("node_key", sa.String(length=1100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lineage_edges", schema=None) as batch_op:
        batch_op.create_index("ix_lineage_edges_run_id", ["run_id"], unique=False)
        batch_op.create_index("ix_lineage_edges_direction_node", ["direction", "node"],
                              unique=False)
        batch_op.create_index("ix_lineage_edges_direction_node_key",
                              ["direction", "node_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lineage_edges", schema=None) as batch_op:
        batch_op.drop_index("ix_lineage_edges_direction_node_key")
        batch_op.drop_index("ix_lineage_edges_direction_node")
        batch_op.drop_index("ix_lineage_edges_run_id")
    op.drop_table("lineage_edges")
    with op.batch_alter_table("lineage_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_lineage_runs_job")
    op.drop_table("lineage_runs")
