"""filing revisions: each filing and each of its steps carry the revision they concern

Revision ID: 0003
Revises: 0002

The four-eyes rule (nobody decides two levels of one revision) reads a filing's history by revision, so the
revision is stored rather than rebuilt. Existing rows are back-filled by counting resubmissions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("filings", sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.add_column("filing_decisions", sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.execute(
        """
        UPDATE filing_decisions d SET revision = 1 + (
            SELECT count(*) FROM filing_decisions r
            WHERE r.filing_id = d.filing_id AND r.decision = 'resubmitted' AND r.id <= d.id)
        """
    )
    op.execute(
        """
        UPDATE filings f SET revision = 1 + (
            SELECT count(*) FROM filing_decisions r WHERE r.filing_id = f.id AND r.decision = 'resubmitted')
        """
    )


def downgrade() -> None:
    op.drop_column("filing_decisions", "revision")
    op.drop_column("filings", "revision")
