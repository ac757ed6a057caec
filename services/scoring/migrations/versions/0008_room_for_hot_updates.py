"""posts and account_days keep a fifth of each page free, so metric updates stay on their page

Every metric snapshot rewrites its post's row and its day's row. On full pages the new row versions move
to other pages and every index of the table gets a new entry; with room on the page PostgreSQL writes a
heap-only tuple (HOT: no indexed column changes) and the indexes are not touched. Applies to pages written
from now on; ``VACUUM FULL`` applies it to the existing ones.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE posts SET (fillfactor = 80)")
    op.execute("ALTER TABLE account_days SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE account_days RESET (fillfactor)")
    op.execute("ALTER TABLE posts RESET (fillfactor)")
