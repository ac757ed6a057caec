"""score_fingerprints: per period and platform, a hash of everything its scores were computed from

A recompute whose inputs, rules and formulas hash the same for a platform skips that platform.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_fingerprints",
        sa.Column("period_kind", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period_kind", "period_start", "platform", name=op.f("pk_score_fingerprints")),
    )


def downgrade() -> None:
    op.drop_table("score_fingerprints")
