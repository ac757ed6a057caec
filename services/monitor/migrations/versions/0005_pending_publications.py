"""pending_publications: a PostPublished read before its PostApproved, linked when the approval arrives

The review's approval comes before its publication in the partition, but replayed from the dead-letter topic
after a fix it comes after: the publication found no approved post and was dropped, so the approved post
never learnt the platform id matching prefers. Now it waits here for the approval.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_publications",
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("platform_post_id", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_pending_publications")),
    )


def downgrade() -> None:
    op.drop_table("pending_publications")
