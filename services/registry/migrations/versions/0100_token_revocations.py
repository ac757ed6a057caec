"""token revocations: the feed of revoked subjects and retired signing keys every service polls

Revision ID: issue9_0001
Revises: 0003

A branch of its own (the registry's migrations run to all heads), so it lands beside other work in flight.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "issue9_0001"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_revocations",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("retired_kid", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_token_revocations")),
    )
    op.create_index("ix_token_revocations_subject", "token_revocations", ["subject", "generation"])
    op.create_index("ix_token_revocations_at", "token_revocations", ["at"])


def downgrade() -> None:
    op.drop_index("ix_token_revocations_at", table_name="token_revocations")
    op.drop_index("ix_token_revocations_subject", table_name="token_revocations")
    op.drop_table("token_revocations")
