"""one head: service tables and the shared outbox revisions

Revision ID: registry_merge_1
Revises: outbox_0003, 0004, issue9_0002
Create Date: 2026-12-01 12:21:56.889714
"""

from collections.abc import Sequence



revision: str = 'registry_merge_1'
down_revision: str | tuple[str, ...] | None = ('outbox_0003', '0004', 'issue9_0002')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
