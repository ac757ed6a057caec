"""Baseline of the registry service: outbox, inbox, idempotency keys, append-only audit log.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

from alembic import op

from govmedia_common.migrations import create_plumbing_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_plumbing_tables(op.get_bind())


def downgrade() -> None:
    for table in ("audit_log", "idempotency_keys", "inbox", "outbox"):
        op.drop_table(table)
