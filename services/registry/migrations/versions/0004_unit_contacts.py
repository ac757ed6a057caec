"""unit contacts and versions; which unit a person was announced with

Revision ID: 0004
Revises: 0003

Units gain their heads and contacts (optional) and a version for If-Match edits. People remember the unit
their PersonRegistered event named, so office staff registered before their office are announced later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIT_COLUMNS = ("principal_name", "deputy_head_name", "liaison_person_id", "contact_email", "contact_phone")


def upgrade() -> None:
    for name in _UNIT_COLUMNS:
        op.add_column("units", sa.Column(name, sa.Text(), nullable=True))
    op.add_column("units", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("people", sa.Column("announced_unit_id", sa.Text(), nullable=True))
    op.execute("UPDATE people SET announced_unit_id = unit_id WHERE unit_id IS NOT NULL")


def downgrade() -> None:
    op.drop_column("people", "announced_unit_id")
    op.drop_column("units", "version")
    for name in reversed(_UNIT_COLUMNS):
        op.drop_column("units", name)
