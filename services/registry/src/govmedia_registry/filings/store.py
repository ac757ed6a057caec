"""Loading a filing through its mapping and saving it back with the events it recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events.outbox import write_recorded
from govmedia_registry.filings import repository as repo
from govmedia_registry.filings.domain import FilingFlow
from govmedia_registry.filings.mapping import filing_from_rows, filing_to_rows
from govmedia_registry.models import Filing
from govmedia_registry.regions.service import registry_rules


async def load_filing(session: AsyncSession, filing_id: str, *, lock: bool = False) -> FilingFlow | None:
    row = await repo.get_filing(session, filing_id, lock=lock)
    if row is None:
        return None
    rules = await registry_rules(session, row.region_code)
    return filing_from_rows(row, await repo.decisions_of(session, row.id), rules)


async def save_filing(session: AsyncSession, flow: FilingFlow) -> None:
    """Write the filing and its new steps, then the events it recorded, in the caller's transaction."""
    existing = await session.get(Filing, flow.filing_id)
    row, steps = filing_to_rows(flow, existing)
    if existing is None:
        session.add(row)
    await session.flush()  # the filing row before its decision rows (foreign key)
    session.add_all(steps)
    await session.flush()
    flow.version = row.version
    await write_recorded(session, flow)
