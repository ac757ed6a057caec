"""outbox: the broker a row was published to, and rows set aside because the broker refuses them

Revision ID: outbox_0002
Revises: 0001

Self-contained on purpose: it only needs the plumbing tables of the baseline, so it branches from 0001 and
lives beside the service's own revisions (migrations run to "heads"). IF [NOT] EXISTS because the baseline
builds the plumbing tables from the current models.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "outbox_0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS published_to text")
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS dead_at timestamp with time zone")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_outbox_dead ON outbox (aggregateid) "
        "WHERE dead_at IS NOT NULL AND published_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_outbox_dead")
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS dead_at")
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS published_to")
