"""The inbox: which events a service has handled, recorded in the same transaction as their effects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The new rows come back as two arrays in ONE row: thousands of result rows cost more than the insert.
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
    SELECT array_agg(source), array_agg(event_id) FROM new
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
    result = await session.execute(
        _INBOX_SQL,
        {
            "sources": [r[0] for r in rows],
            "ids": [r[1] for r in rows],
            "types": [r[2] for r in rows],
            "topics": [r[3] for r in rows],
            "partitions": [r[4] for r in rows],
            "offsets": [r[5] for r in rows],
        },
    )
    sources, ids = result.one()
    return set(zip(sources or (), ids or (), strict=True))
