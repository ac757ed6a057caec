"""one head: service tables and the shared outbox revisions

Revision ID: scoring_merge_1
Revises: outbox_0003, 0005
Create Date: 2026-12-01 12:21:56.921976
"""

from collections.abc import Sequence



revision: str = 'scoring_merge_1'
down_revision: str | tuple[str, ...] | None = ('outbox_0003', '0005')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
