"""alert_resolutions: an alert's resolution read before the alert itself, kept for the case it opens

Kafka keeps order within a partition, but a raise dead-lettered and replayed after a fix (or an outbox
republished after a broker loss) comes after its own resolution. With no case to close, the resolution was
dropped: the late raise then opened a case for an alert already dismissed (notice sent, counted on the
unit's 2/4/6 ladder), or a case that never closed. Now the resolution waits here for the alert.

Revision ID: 0005
Revises: outbox_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "outbox_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_resolutions",
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_resolutions")),
    )
    op.create_index(op.f("ix_alert_resolutions_received_at"), "alert_resolutions", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_resolutions_received_at"), table_name="alert_resolutions")
    op.drop_table("alert_resolutions")
