"""interviews withdrawn after a false alarm (cancelled_at, cancel_reason)

Revision ID: 0004
Revises: notify_merge_1
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "notify_merge_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("interviews", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("interviews", sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("interviews", "cancel_reason")
    op.drop_column("interviews", "cancelled_at")
