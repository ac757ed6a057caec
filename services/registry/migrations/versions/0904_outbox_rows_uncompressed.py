"""outbox: rows up to a page are stored as written, not compressed (toast_tuple_target = 8160)

Revision ID: outbox_0007
Revises: outbox_0006

PostgreSQL compresses a row's longest values once the row passes about 2 kB (the default
toast_tuple_target). An event a little over that size, such as scoring's ScoresComputed with its inputs,
parts and weights (about 1.5 kB of payload and 0.4 kB of headers), was compressed on every insert and
decompressed on every read by the relay: about a third of PostgreSQL's time per row when scoring announces
half a million scores (bench_scoring). The outbox keeps rows for its retention window only, so the room
saved by compressing was small. Only rows written after the upgrade are affected; nothing is rewritten.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "outbox_0007"
down_revision: str | None = "outbox_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox RESET (toast_tuple_target)")
