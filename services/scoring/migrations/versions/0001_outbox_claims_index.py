"""outbox: the live-claims index keyed by relay, so a claim skips its own (and stale) entries

Revision ID: outbox_0003
Revises: outbox_0002

Self-contained like outbox_0002 (plumbing tables only, beside the service's own revisions).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "outbox_0003"
down_revision: str | None = "outbox_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_outbox_live_claims")
    op.execute(
        "CREATE INDEX ix_outbox_live_claims ON outbox (claimed_by, claimed_until) WHERE published_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_outbox_live_claims")
    op.execute("CREATE INDEX ix_outbox_live_claims ON outbox (claimed_until) WHERE published_at IS NULL")
