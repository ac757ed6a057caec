"""The bodies of the revisions every service makes to the plumbing tables it shares (outbox, inbox, …).

Each service keeps its own migration history, so a change to the plumbing is a revision in each of them;
the revision files name their place in that history (``revision``, ``down_revision``) and take their
``upgrade`` and ``downgrade`` from here, so the change itself is written once.
"""

from __future__ import annotations

from alembic import op

from govmedia_common.db import OUTBOX_TOAST_TUPLE_TARGET


class OutboxRowsUncompressed:
    """``outbox_0007``: outbox rows up to a page are stored as written, not compressed.

    PostgreSQL compresses a row's longest values once the row passes about 2 kB (the default
    toast_tuple_target). An event a little over that size, such as scoring's ScoresComputed with its
    inputs, parts and weights (about 1.5 kB of payload and 0.4 kB of headers), was compressed on every
    insert and decompressed on every read by the relay: about a third of PostgreSQL's time per row when
    scoring announces half a million scores (bench_scoring). The outbox keeps rows for its retention window
    only, so the room compression saved was small. Only rows written after the upgrade are affected;
    nothing is rewritten.
    """

    @staticmethod
    def upgrade() -> None:
        op.execute(f"ALTER TABLE outbox SET (toast_tuple_target = {OUTBOX_TOAST_TUPLE_TARGET})")

    @staticmethod
    def downgrade() -> None:
        op.execute("ALTER TABLE outbox RESET (toast_tuple_target)")
