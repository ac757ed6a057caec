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


class OutboxBatchedRecords:
    """``outbox_0008``: an outbox row may carry several records, and the view ``outbox_records`` shows each.

    A bulk statement (the monitor's metric snapshots: one ``MetricsObserved`` per snapshot) wrote one outbox
    row per event: a heap row, its index entries and about a kilobyte of WAL each, more than storing the
    snapshot itself. Such a statement now writes one row per few records of one type and topic
    (``records`` = N, ``payload`` a JSON array of ``[id, key, value]``, one header template, ``keys`` the
    records' keys); the relay sends each record as before (its own id, key and value), so the topics see
    exactly the events they did, and keeps each key's order as it keeps an aggregate's.
    Plain rows (``records`` NULL) are unchanged.

    ``outbox_records`` has a row per record, with the outbox's columns (``id``, ``payload`` the record's,
    ``key`` its Kafka key): what an operator or a test reads to see which events a service wrote.
    A downgrade is refused while a row of several records is unpublished: the relay of the older code would
    send its array as one record. Published ones become plain rows, one per record, for the older relay's
    republishing to a new broker.
    """

    VIEW = """
        CREATE OR REPLACE VIEW outbox_records AS
        SELECT o.seq, COALESCE(r.value ->> 0, o.id) AS id, o.aggregatetype, o.aggregateid,
               COALESCE(r.value ->> 1, o.aggregateid) AS key, o.type, o.topic,
               COALESCE(r.value -> 2, o.payload) AS payload, o.headers, o.created_at, o.attempts,
               o.last_error, o.published_at, o.published_to, o.dead_at
        FROM outbox o
        LEFT JOIN LATERAL json_array_elements(CASE WHEN o.records IS NOT NULL THEN o.payload END)
             WITH ORDINALITY AS r(value, n) ON true
    """

    @classmethod
    def upgrade(cls) -> None:
        # A baseline run today made the outbox of the current models: the columns may be there already.
        op.execute(
            "ALTER TABLE outbox "
            "ADD COLUMN IF NOT EXISTS records integer CONSTRAINT ck_outbox_records CHECK (records > 0), "
            "ADD COLUMN IF NOT EXISTS keys text[]"
        )
        op.execute(cls.VIEW)

    @staticmethod
    def downgrade() -> None:
        op.execute(
            """
            DO $$ BEGIN
                IF EXISTS (SELECT FROM outbox WHERE records IS NOT NULL AND published_at IS NULL) THEN
                    RAISE EXCEPTION 'outbox rows of several records are unpublished: let the relay publish '
                        'them (govmedia outbox list shows what waits) before downgrading';
                END IF;
            END $$
            """
        )
        # Published rows of several records are kept as plain rows, one per record (at the outbox's end): the
        # older relay republishes the rows of retention_days to a new broker, and would send an array whole.
        op.execute("UPDATE outbox SET id = id || '#records' WHERE records IS NOT NULL")
        op.execute(
            """
            INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, created_at,
                                attempts, last_error, published_at, published_to)
            SELECT r.value ->> 0, o.aggregatetype, r.value ->> 1, o.type, o.topic, r.value -> 2, o.headers,
                   o.created_at, o.attempts, o.last_error, o.published_at, o.published_to
            FROM outbox o CROSS JOIN LATERAL json_array_elements(o.payload) WITH ORDINALITY AS r(value, n)
            WHERE o.records IS NOT NULL
            ORDER BY o.seq, r.n
            """
        )
        op.execute("DELETE FROM outbox WHERE records IS NOT NULL")
        op.execute("DROP VIEW outbox_records")
        op.execute("ALTER TABLE outbox DROP COLUMN records, DROP COLUMN keys")
