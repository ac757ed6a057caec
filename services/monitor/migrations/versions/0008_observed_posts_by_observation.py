"""observed_posts: an index by when posts were observed (and published), for the hot words' daily re-mine

The daily job finds the days of the last week to mine again by the posts of each day's window observed since
that day was mined (hotwords.days_to_mine): without an index leading by observed_at, PostgreSQL read every
post of the table (a full scan of ix_observed_posts_region_published, for its published_at), once per day of
the week. Posts observed since a mining are a few days' worth: with this index the query reads only them,
from the index alone (published_at is in it). Building it holds writes to observed_posts for its duration
(seconds per million posts).

Revision ID: 0008
Revises: outbox_0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "outbox_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_observed_posts_observed_published",
        "observed_posts",
        ["observed_at", "published_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_observed_posts_observed_published", table_name="observed_posts")
