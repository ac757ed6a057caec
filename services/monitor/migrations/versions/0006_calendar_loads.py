"""calendar_loads: when each stored year's schedule was loaded, so an older load read later changes nothing

A year's schedule loaded twice (a correction) and the first load read again afterwards (replayed from the
dead-letter topic, an outbox republished) replaced the correction: message deadlines were then counted on
the schedule the administrator had corrected. Years stored before keep no row: their next load is stored.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_loads",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_loads")),
    )


def downgrade() -> None:
    op.drop_table("calendar_loads")
