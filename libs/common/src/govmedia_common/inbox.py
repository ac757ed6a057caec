"""The inbox: which events a service has handled, recorded in the same transaction as their effects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# One row comes back: how many rows were new and, only when some were not, which ones (as two arrays:
# thousands of result rows cost more than the insert). Usually all are new and nothing else is sent.
_INBOX_SQL = text(
    """
    WITH new AS (
        INSERT INTO inbox (source, event_id, type, topic, partition, "offset")
        SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[]), CAST(:types AS text[]),
                             CAST(:topics AS text[]), CAST(:partitions AS smallint[]),
                             CAST(:offsets AS bigint[]))
        ON CONFLICT DO NOTHING
        RETURNING source, event_id
    )
    SELECT count(*),
           CASE WHEN count(*) < :n THEN array_agg(source) END,
           CASE WHEN count(*) < :n THEN array_agg(event_id) END
    FROM new
    """
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
    result = await session.execute(
        _INBOX_SQL,
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
