"""Queries of the loaded official calendars."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_registry.models import WorkCalendarYear


async def calendar_years(session: AsyncSession) -> Sequence[WorkCalendarYear]:
    return (await session.execute(select(WorkCalendarYear))).scalars().all()
