"""metric_snapshots: metric snapshots of posts as they arrive, folded into posts and days later

A consumer batch appends its snapshots here in one INSERT (no lock, no read); the computation folds them
into ``posts`` and ``account_days`` first (``govmedia_scoring.aggregates.snapshots``). The primary key
leads with the account so a fold of some accounts deletes exactly their rows.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_snapshots",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("platform_post_id", sa.Text(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=True),
        sa.Column("watching", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "seq", name=op.f("pk_metric_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("metric_snapshots")
