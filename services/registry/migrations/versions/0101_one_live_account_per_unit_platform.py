"""one live account per unit per platform, enforced by a partial unique index

Revision ID: issue9_0002
Revises: issue9_0001

Two openings filed at the same moment both passed the read-then-insert naming check. Existing duplicates
(left by that race) must be resolved by an operator first; the upgrade lists them instead of failing on an
anonymous index error.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "issue9_0002"
down_revision: str | None = "issue9_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('pending', 'announcing', 'active', 'suspended')"


def upgrade() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT unit_id, platform, array_agg(id ORDER BY created_at) AS ids FROM accounts "
                f"WHERE {LIVE} GROUP BY unit_id, platform HAVING count(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        listed = "; ".join(f"unit {d.unit_id} on {d.platform}: {', '.join(d.ids)}" for d in duplicates)
        raise RuntimeError(
            "Units with more than one live account on one platform must be resolved (withdraw or "
            f"deregister all but one) before this upgrade: {listed}"
        )
    op.create_index(
        "uq_accounts_live_unit_platform",
        "accounts",
        ["unit_id", "platform"],
        unique=True,
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_accounts_live_unit_platform", table_name="accounts")
