"""outbox: drop the (aggregateid, seq) index, which no query uses

Revision ID: outbox_0005
Revises: outbox_0004

Every event paid for it: an index entry of the aggregate id (a UUID as text) and seq, about a tenth of the
database's work per event in the monitor's bulk metric ingest (bench_monitor) and 150 bytes of WAL. The
relay orders by seq (ix_outbox_unpublished), finds set-aside aggregates by ix_outbox_dead and compares the
aggregates of leased rows by hash; nothing looks rows up by aggregate. An operator who wants one
aggregate's rows reads the retention window's (few days') rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "outbox_0005"
down_revision: str | None = "outbox_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_outbox_aggregate")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_outbox_aggregate ON outbox (aggregateid, seq)")
