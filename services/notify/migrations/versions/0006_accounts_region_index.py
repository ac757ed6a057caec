"""accounts: an index on region_code, for the question whether the registry's events named a region

Revision ID: 0006
Revises: 0005

A region parameter (``GET /v1/cases?region_code=``, ``POST /v1/bulletins``) naming a region no account or
setting of the registry lies in is a 404 ``unknown-region`` (govmedia_common.scoping.region_named): the
lookup is a range of six-digit codes over ``accounts.region_code`` and ``region_settings.region_code``, an
index range scan with this index instead of a scan of every account.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_accounts_region_code"), "accounts", ["region_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_accounts_region_code"), table_name="accounts")
