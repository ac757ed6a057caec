"""scores keep inputs and parts as float8 arrays (small, never TOASTed, cheap to compare on recompute)

Scores are recomputable from the daily aggregates: the old columns are dropped, not converted; recompute
the periods after upgrading (the schedule marks nothing stale by itself: POST /v1/recompute, or let the
schedule rescore the running periods).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("scores", "inputs")
    op.drop_column("scores", "parts")
    op.add_column("scores", sa.Column("inputs", postgresql.ARRAY(sa.Float()), nullable=True))
    op.add_column("scores", sa.Column("parts", postgresql.ARRAY(sa.Float()), nullable=True))


def downgrade() -> None:
    op.drop_column("scores", "parts")
    op.drop_column("scores", "inputs")
    op.add_column(
        "scores",
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False, server_default="{}"),
    )
    op.alter_column("scores", "inputs", server_default=None)
    op.add_column("scores", sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
