"""alert_resolutions: an alert's resolution read before the alert itself, kept until the alert arrives

Kafka keeps order within a partition, but a raise dead-lettered and replayed after a fix (or an outbox
republished after a broker loss) comes after its own resolution. The resolution was an UPDATE of a row not
there yet, so it was lost and a dismissed alert counted as a violation. Now it waits here; the alert, when it
arrives, takes it (resolved, dismissed) and removes it.

Revision ID: 0010
Revises: outbox_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "outbox_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_resolutions",
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("dismissed", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_resolutions")),
    )


def downgrade() -> None:
    op.drop_table("alert_resolutions")
