"""The one helper that writes what domain objects recorded to the transactional outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.outbox import add_event


async def write_recorded(session: AsyncSession, *sources: RecordsEvents) -> int:
    """Write every event the objects recorded, in order, in the caller's transaction; returns how many."""
    written = 0
    for source in sources:
        for event in source.pull_events():
            await add_event(session, event)
            written += 1
    return written
