"""outbox: relays lease rows in outbox_leases (one row per relay) instead of rewriting each row they claim

Revision ID: outbox_0004
Revises: registry_merge_1

A claim used to set claimed_by/claimed_until on every row it took, and the mark rewrote the row again: two
non-HOT updates per event. The lease now lives in one row per relay; the mark is the only rewrite. The
claim columns and their index go. Rows claimed by a relay running the old code at upgrade time are simply
claimable again (delivery is at-least-once; consumers dedupe by event id).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "outbox_0004"
down_revision: str | None = "registry_merge_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # IF [NOT] EXISTS: the baseline builds the plumbing tables from the current models (see outbox_0002).
    op.execute(
        "CREATE TABLE IF NOT EXISTS outbox_leases (relay_id text NOT NULL, "
        "until timestamp with time zone NOT NULL, seqs bigint[] NOT NULL, "
        "CONSTRAINT pk_outbox_leases PRIMARY KEY (relay_id))"
    )
    op.execute("DROP INDEX IF EXISTS ix_outbox_live_claims")
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS claimed_until")
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS claimed_by")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_by text")
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until timestamp with time zone")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_outbox_live_claims ON outbox (claimed_by, claimed_until) "
        "WHERE published_at IS NULL"
    )
    op.execute("DROP TABLE IF EXISTS outbox_leases")
