"""scores keep the parts of each index; a partial index of the days with a post (the longest gap)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scores", sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_index(
        "ix_account_days_post_days",
        "account_days",
        ["account_id", "day"],
        unique=False,
        postgresql_where=sa.text("posts > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_account_days_post_days", table_name="account_days", postgresql_where=sa.text("posts > 0"))
    op.drop_column("scores", "parts")
