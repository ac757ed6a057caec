"""metric_snapshots: each count between 0 and 10^12, so no sum of them can overflow a computation

Two snapshots of 5·10^18 reads (each a valid 64-bit count) of posts of one day, taken by a backlog poll
(logged, not folded), made the computation's fold fail with "bigint out of range", and every later
computation with it, for every account: the log kept them. A count above 10^12 (far above any platform's) is
now refused as it arrives: its batch fails, and the record is dead-lettered naming the constraint.
Snapshots already logged must pass: delete an implausible one before upgrading.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("reads", "watching", "likes", "shares", "comments")


def upgrade() -> None:
    for m in METRICS:
        op.create_check_constraint(
            op.f(f"ck_metric_snapshots_{m}_plausible"), "metric_snapshots", f"{m} BETWEEN 0 AND 1000000000000"
        )


def downgrade() -> None:
    for m in METRICS:
        op.drop_constraint(op.f(f"ck_metric_snapshots_{m}_plausible"), "metric_snapshots", type_="check")
