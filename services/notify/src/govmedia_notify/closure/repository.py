"""Queries of forced-closure listings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_notify.models import ClosureListing


async def add_listing(session: AsyncSession, values: dict[str, object]) -> bool:
    """List an account for a quarter (once); True when newly listed."""
    stmt = (
        insert(ClosureListing)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[ClosureListing.account_id, ClosureListing.quarter])
    )
    return bool((await session.execute(stmt.returning(ClosureListing.account_id))).first())


async def listings_in(session: AsyncSession, account_id: str, quarters: Sequence[str]) -> int:
    stmt = select(func.count()).where(
        ClosureListing.account_id == account_id, ClosureListing.quarter.in_(quarters)
    )
    return int((await session.execute(stmt)).scalar_one())


async def mark_recommended(session: AsyncSession, account_id: str, quarter: str) -> None:
    await session.execute(
        update(ClosureListing)
        .where(ClosureListing.account_id == account_id, ClosureListing.quarter == quarter)
        .values(recommended=True)
    )


async def listings_of_quarter(
    session: AsyncSession, *, prefix: str, quarter: str
) -> Sequence[ClosureListing]:
    stmt = select(ClosureListing).where(
        ClosureListing.quarter == quarter, ClosureListing.region_code.startswith(prefix, autoescape=True)
    )
    return (await session.execute(stmt.order_by(ClosureListing.account_id))).scalars().all()


async def recommended_in(session: AsyncSession, *, prefix: str) -> Sequence[ClosureListing]:
    """Every closure recommendation of a region subtree."""
    stmt = select(ClosureListing).where(
        ClosureListing.recommended, ClosureListing.region_code.startswith(prefix, autoescape=True)
    )
    return (await session.execute(stmt.order_by(ClosureListing.listed_at))).scalars().all()


async def recommended_between(
    session: AsyncSession, *, prefix: str, start: datetime, end: datetime
) -> Sequence[ClosureListing]:
    """Closure recommendations of a region subtree made in [start, end)."""
    stmt = select(ClosureListing).where(
        ClosureListing.recommended,
        ClosureListing.listed_at >= start,
        ClosureListing.listed_at < end,
        ClosureListing.region_code.startswith(prefix, autoescape=True),
    )
    return (
        (await session.execute(stmt.order_by(ClosureListing.quarter, ClosureListing.account_id)))
        .scalars()
        .all()
    )
