"""account_days indexed by day: a period's aggregate reads only that period's rows

The recompute aggregates the daily rows of a period, of the previous one and of the year-ago one. Without
an index leading with the day each of those reads the whole table (the primary key leads with the account),
so the cost of a month grew with the years of history kept, and an empty year-ago month cost a full scan.

Revision ID: 0006
Revises: outbox_0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "outbox_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_account_days_day", "account_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_account_days_day", table_name="account_days")
