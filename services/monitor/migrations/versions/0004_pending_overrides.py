"""pending_overrides: a PostOverridden read before the registry's account, raised when the account arrives

There is no order across topics: the review's event may be read before the monitor's projection has the
account (a consumer catching up, the registry's consumer lagging). It failed until it was dead-lettered, so
the override alert was never raised. Now it waits here for the account.

Revision ID: 0004
Revises: outbox_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "outbox_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_overrides",
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_pending_overrides")),
    )
    op.create_index(op.f("ix_pending_overrides_account_id"), "pending_overrides", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_overrides_account_id"), table_name="pending_overrides")
    op.drop_table("pending_overrides")
