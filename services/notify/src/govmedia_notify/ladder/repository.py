"""Queries of the ladder: the per-unit yearly counter and the interviews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_notify.models import InterviewRow, LadderCounter


async def count_violation(session: AsyncSession, unit_id: str, year: int) -> int:
    """Add one violation to the unit's year and return the new count (atomic under concurrency)."""
    ins = insert(LadderCounter).values(unit_id=unit_id, year=year, count=1)
    stmt = ins.on_conflict_do_update(
        index_elements=[LadderCounter.unit_id, LadderCounter.year], set_={"count": LadderCounter.count + 1}
    ).returning(LadderCounter.count)
    return int((await session.execute(stmt)).scalar_one())


async def uncount_violation(session: AsyncSession, unit_id: str, year: int) -> int | None:
    """Take one violation back from the unit's year (a false alarm); the new count, or None when there was
    nothing to take back (never below 0)."""
    stmt = (
        update(LadderCounter)
        .where(LadderCounter.unit_id == unit_id, LadderCounter.year == year, LadderCounter.count > 0)
        .values(count=LadderCounter.count - 1)
        .returning(LadderCounter.count)
    )
    counted = (await session.execute(stmt)).scalar_one_or_none()
    return None if counted is None else int(counted)


async def pending_interviews_above(
    session: AsyncSession, unit_id: str, year: int, count: int
) -> Sequence[InterviewRow]:
    """Interviews of the unit's year scheduled at a count above ``count``, neither held nor withdrawn."""
    stmt = (
        select(InterviewRow)
        .where(
            InterviewRow.unit_id == unit_id,
            InterviewRow.year == year,
            InterviewRow.violation_count > count,
            InterviewRow.held_at.is_(None),
            InterviewRow.cancelled_at.is_(None),
        )
        .order_by(InterviewRow.violation_count)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().all()


async def add_interview(session: AsyncSession, row: InterviewRow) -> None:
    session.add(row)
    await session.flush()


async def get_interview(
    session: AsyncSession, interview_id: str, *, lock: bool = False
) -> InterviewRow | None:
    stmt = select(InterviewRow).where(InterviewRow.id == interview_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def list_interviews(
    session: AsyncSession,
    *,
    prefix: str,
    unit_id: str | None,
    year: int | None,
    limit: int,
    after: tuple[datetime, int, str] | None = None,
) -> Sequence[InterviewRow]:
    """Interviews in scheduling order (created_at, violation_count, id), those after ``after`` only."""
    stmt = select(InterviewRow).where(InterviewRow.region_code.startswith(prefix, autoescape=True))
    if unit_id:
        stmt = stmt.where(InterviewRow.unit_id == unit_id)
    if year:
        stmt = stmt.where(InterviewRow.year == year)
    order = (InterviewRow.created_at, InterviewRow.violation_count, InterviewRow.id)
    if after is not None:
        stmt = stmt.where(tuple_(*order) > tuple_(*after))
    return (await session.execute(stmt.order_by(*order).limit(limit))).scalars().all()


async def interviews_in(
    session: AsyncSession, *, prefix: str, start: datetime, end: datetime
) -> Sequence[InterviewRow]:
    stmt = select(InterviewRow).where(
        InterviewRow.region_code.startswith(prefix, autoescape=True),
        InterviewRow.created_at >= start,
        InterviewRow.created_at < end,
        InterviewRow.cancelled_at.is_(None),
    )
    return (await session.execute(stmt.order_by(InterviewRow.created_at))).scalars().all()
