"""Queries of the announcements running in a region."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_registry.models import Account, Filing, Region, Unit


async def running(
    session: AsyncSession, *, region: str, today: date, limit: int, cursor: list[Any] | None
) -> Sequence[Row[Any]]:
    """Approved filings of the region's subtree whose announcement runs today, soonest ending first."""
    stmt = (
        select(
            Filing.id,
            Filing.filing_type,
            Filing.announcement_starts_on,
            Filing.announcement_ends_on,
            Filing.payload,
            Account.id.label("account_id"),
            Account.name.label("account_name"),
            Account.platform,
            Unit.name.label("unit_name"),
            Filing.region_code,
            Region.name.label("region_name"),
        )
        .join(Account, Account.id == Filing.account_id)
        .join(Unit, Unit.id == Filing.unit_id)
        .outerjoin(Region, Region.code == Filing.region_code)
        .where(
            Filing.status == "approved",
            Filing.effective.is_(False),
            Filing.announcement_starts_on.is_not(None),
            Filing.announcement_ends_on >= today,
            Filing.region_code.startswith(region_prefix(region), autoescape=True),
        )
    )
    if cursor:
        ends, ident = cursor  # (date, filing id), checked by the API
        stmt = stmt.where(
            or_(
                Filing.announcement_ends_on > ends,
                and_(Filing.announcement_ends_on == ends, Filing.id > ident),
            )
        )
    stmt = stmt.order_by(tuple_(Filing.announcement_ends_on, Filing.id)).limit(limit)
    return (await session.execute(stmt)).all()
