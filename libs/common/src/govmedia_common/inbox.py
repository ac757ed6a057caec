"""The inbox: which events a service has handled, recorded in the same transaction as their effects.

A large batch (:data:`INBOX_COPY_FROM` rows or more) is first offered by ONE binary ``COPY``
(:func:`copy_into_inbox`): PostgreSQL inserts the rows in bulk instead of one speculative insertion each,
about 3.0 against 5.2 µs of its CPU per row and half the wall time for 5,000 rows (raw asyncpg, the same
rows and database, 2026-12-01). A ``COPY`` cannot skip a row handled before: it is refused as a whole
(unique violation, the transaction must be rolled back), and the caller claims the batch again with the
statement below, which names the new rows. Redeliveries are rare (a crash, a rebalance, a republish after a
broker restart); the consumer runner goes back to the statement after a refusal until a batch comes back
all new.

The columns of a batch travel as ONE text value each, split by PostgreSQL (``string_to_array``), not as
array parameters: asyncpg checks every element of an array parameter against ``collections.abc`` classes,
about ten Python-level ``isinstance`` calls per message over the six columns (``bench/bench_bus.py``
profile). A batch where some value contains the separator (nothing our producers write) goes as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Rows from which a batch is offered by COPY: below, the one statement (the COPY's own protocol messages and
# the extra round trip that opens the transaction cost more than they save).
INBOX_COPY_FROM = 200
_COLUMNS = ("source", "event_id", "type", "topic", "partition", "offset")
_BEGIN = text("SELECT 1")
_SEP = "\x1f"  # ASCII unit separator: never in an id, source, type or topic our producers write

# One row comes back: how many rows were new and, only when some were not, which ones (as two arrays:
# thousands of result rows cost more than the insert). Usually all are new and nothing else is sent.
_INSERT = """
    WITH new AS (
        INSERT INTO inbox (source, event_id, type, topic, partition, "offset")
        SELECT * FROM unnest({columns})
        ON CONFLICT DO NOTHING
        RETURNING source, event_id
    )
    SELECT count(*),
           CASE WHEN count(*) < :n THEN array_agg(source) END,
           CASE WHEN count(*) < :n THEN array_agg(event_id) END
    FROM new
"""
_JOINED_SQL = text(
    _INSERT.format(
        columns="string_to_array(:sources, E'\\x1f'), string_to_array(:ids, E'\\x1f'), "
        "string_to_array(:types, E'\\x1f'), string_to_array(:topics, E'\\x1f'), "
        "CAST(string_to_array(:partitions, ',') AS smallint[]), "
        "CAST(string_to_array(:offsets, ',') AS bigint[])"
    )
)
_ARRAYS_SQL = text(
    _INSERT.format(
        columns="CAST(:sources AS text[]), CAST(:ids AS text[]), CAST(:types AS text[]), "
        "CAST(:topics AS text[]), CAST(:partitions AS smallint[]), CAST(:offsets AS bigint[])"
    )
)


async def record_in_inbox(
    session: AsyncSession, rows: Sequence[tuple[str, str, str, str, int, int]]
) -> set[tuple[str, str]]:
    """Insert ``(source, event_id, type, topic, partition, offset)`` rows in ONE statement.

    Returns the ``(source, event_id)`` of the rows that were new; the others were handled before.
    """
    if not rows:
        return set()
    columns = [list(column) for column in zip(*rows, strict=True)]
    new = await claim_in_inbox(session, *columns)
    return {(r[0], r[1]) for r in rows} if new is None else new


def _joined(values: list[str]) -> str | None:
    """``values`` as one text with the separator between them; None when a value holds the separator."""
    joined = _SEP.join(values)
    return joined if joined.count(_SEP) == len(values) - 1 else None


async def claim_in_inbox(
    session: AsyncSession,
    sources: list[str],
    ids: list[str],
    types: list[str],
    topics: list[str],
    partitions: list[int],
    offsets: list[int],
) -> set[tuple[str, str]] | None:
    """Insert inbox rows given as columns (no two with the same source and id) in ONE statement.

    Returns None when every row was new, else the ``(source, event_id)`` of the new ones.
    """
    if not ids:
        return set()
    texts = [_joined(sources), _joined(ids), _joined(types), _joined(topics)]
    if all(t is not None for t in texts):
        result = await session.execute(
            _JOINED_SQL,
            {
                "sources": texts[0],
                "ids": texts[1],
                "types": texts[2],
                "topics": texts[3],
                "partitions": ",".join(map(str, partitions)),
                "offsets": ",".join(map(str, offsets)),
                "n": len(ids),
            },
        )
    else:
        result = await session.execute(
            _ARRAYS_SQL,
            {
                "sources": sources,
                "ids": ids,
                "types": types,
                "topics": topics,
                "partitions": partitions,
                "offsets": offsets,
                "n": len(ids),
            },
        )
    count, new_sources, new_ids = result.one()
    if count == len(ids):
        return None
    return set(zip(new_sources or (), new_ids or (), strict=True))


async def copy_into_inbox(
    session: AsyncSession,
    sources: list[str],
    ids: list[str],
    types: list[str],
    topics: list[str],
    partitions: list[int],
    offsets: list[int],
) -> bool:
    """Insert inbox rows given as columns (no two with the same source and id) by ONE binary COPY.

    Returns False, having written nothing, when some row was handled before: the session's transaction is
    then aborted; roll it back and claim the rows with :func:`claim_in_inbox`, which names the new ones.
    """
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():  # SQLAlchemy's asyncpg adapter opens it with the first statement
        await session.execute(_BEGIN)
    try:
        await driver.copy_records_to_table(
            "inbox",
            columns=_COLUMNS,
            records=zip(sources, ids, types, topics, partitions, offsets, strict=True),
        )
    except UniqueViolationError:
        return False
    return True
