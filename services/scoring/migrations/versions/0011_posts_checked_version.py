"""posts.content_hash: the version whose machine-check findings a post's errors count

A check (or a submission) read after the post's publication — replayed from the dead-letter topic after a
fix, an outbox republished — only wrote ``post_checks`` (``review_posts``); the post kept no errors (and
counted as a repost), while a rebuild reading them in order counted them. The post now keeps the hash of its
published version, so a late check of that version updates it. Rows written before keep NULL: a late check
of one of those changes nothing, as before.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("content_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("posts", "content_hash")
