"""hot_word_minings: when each day's hot words were last mined for every region

The daily job mined a day at its first minute (none of its posts in yet) and never again, and a monitor down
at midnight never mined the days it missed. The job now mines again each day of the last week not mined
since it ended; this table says which were. Days mined before the upgrade keep no row: the first turn after
it mines the last week again, once.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hot_word_minings",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_hot_word_minings")),
    )


def downgrade() -> None:
    op.drop_table("hot_word_minings")
