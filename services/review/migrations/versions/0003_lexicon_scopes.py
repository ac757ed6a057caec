"""lexicon scopes: one list per region and kind (the default, a province's base, a lower office's additions)

Revision ID: 0003
Revises: 0002

Existing versions become the shipped default (scope 000000). Version labels and the active version are then
unique per scope and kind rather than per kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lexicons", sa.Column("scope_region", sa.Text(), server_default="000000", nullable=False))
    op.drop_constraint("uq_lexicons_kind_version", "lexicons", type_="unique")
    op.drop_index("uq_lexicons_active_kind", table_name="lexicons", postgresql_where=sa.text("active"))
    op.create_unique_constraint(
        "uq_lexicons_scope_kind_version", "lexicons", ["scope_region", "kind", "version"]
    )
    op.create_index(
        "uq_lexicons_active_scope_kind",
        "lexicons",
        ["scope_region", "kind"],
        unique=True,
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    # Lower offices' lists cannot live in the old shape: only the default survives a downgrade.
    op.execute("DELETE FROM lexicons WHERE scope_region <> '000000'")
    op.drop_index("uq_lexicons_active_scope_kind", table_name="lexicons", postgresql_where=sa.text("active"))
    op.drop_constraint("uq_lexicons_scope_kind_version", "lexicons", type_="unique")
    op.create_index(
        "uq_lexicons_active_kind", "lexicons", ["kind"], unique=True, postgresql_where=sa.text("active")
    )
    op.create_unique_constraint("uq_lexicons_kind_version", "lexicons", ["kind", "version"])
    op.drop_column("lexicons", "scope_region")
