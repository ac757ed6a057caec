"""Queries of filings and their decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.scoping import scoped
from govmedia_registry.models import Filing, FilingDecision
from govmedia_registry.queries import after


async def open_filing_of(session: AsyncSession, account_id: str) -> Filing | None:
    """An undecided filing about the account (as the subject, or as a merged-away source)."""
    stmt = select(Filing).where(
        Filing.status.in_(("pending", "returned")),
        or_(Filing.account_id == account_id, Filing.payload["merged_account_ids"].contains([account_id])),
    )
    return (await session.execute(stmt.limit(1))).scalars().first()


async def approved_not_in_effect_of(session: AsyncSession, account_id: str) -> Sequence[Filing]:
    """Approved filings about the account whose effect has not applied yet (their announcement runs)."""
    stmt = select(Filing).where(
        Filing.account_id == account_id, Filing.status == "approved", Filing.effective.is_(False)
    )
    return (await session.execute(stmt.order_by(Filing.created_at))).scalars().all()


async def get_filing(session: AsyncSession, filing_id: str, *, lock: bool = False) -> Filing | None:
    stmt = select(Filing).where(Filing.id == filing_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def list_filings(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: list[Any] | None,
    status: str | None = None,
    account_id: str | None = None,
) -> Sequence[Filing]:
    stmt = scoped(select(Filing), principal, Filing.region_code, Filing.unit_id)
    if status:
        stmt = stmt.where(Filing.status == status)
    if account_id:
        stmt = stmt.where(Filing.account_id == account_id)
    stmt = after(stmt, Filing.id, cursor).order_by(Filing.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def decisions_of(session: AsyncSession, filing_id: str) -> Sequence[FilingDecision]:
    stmt = select(FilingDecision).where(FilingDecision.filing_id == filing_id).order_by(FilingDecision.id)
    return (await session.execute(stmt)).scalars().all()


async def due_filings(session: AsyncSession, today: date, limit: int = 200) -> Sequence[Filing]:
    """Approved filings whose public announcement has run its course, locked for applying."""
    stmt = (
        select(Filing)
        .where(
            and_(
                Filing.status == "approved", Filing.effective.is_(False), Filing.announcement_ends_on < today
            )
        )
        .order_by(Filing.announcement_ends_on, Filing.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()
