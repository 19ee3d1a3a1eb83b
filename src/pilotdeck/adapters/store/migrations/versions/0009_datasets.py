"""dataset catalogue, dataset grants and token teams

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=63), nullable=True))
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("system", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("ix_datasets_owner", ["owner"], unique=False)
    op.create_table(
        "dataset_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(length=63), nullable=True),
        sa.Column("tag", sa.String(length=100), nullable=True),
        sa.Column("grantee", sa.String(length=8), nullable=False),
        sa.Column("principal", sa.String(length=63), nullable=False),
        sa.Column("access", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dataset_grants", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_grants_dataset", ["dataset"], unique=False)
        batch_op.create_index("ix_dataset_grants_tag", ["tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dataset_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_grants_tag")
        batch_op.drop_index("ix_dataset_grants_dataset")
    op.drop_table("dataset_grants")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_owner")
    op.drop_table("datasets")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("team")
