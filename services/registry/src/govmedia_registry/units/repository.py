"""Queries of units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.scoping import scoped
from govmedia_registry.models import Unit
from govmedia_registry.queries import after


async def get_unit(session: AsyncSession, unit_id: str, *, lock: bool = False) -> Unit | None:
    return await session.get(Unit, unit_id, with_for_update=lock or None)


async def office_of_region(session: AsyncSession, region_code: str) -> Unit | None:
    """The competent office (主管单位) registered first in a region, if any."""
    stmt = (
        select(Unit)
        .where(Unit.region_code == region_code, Unit.kind == "competent_office")
        .order_by(Unit.created_at, Unit.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalars().first()


async def list_units(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Unit]:
    stmt = scoped(select(Unit), principal, Unit.region_code, Unit.id)
    stmt = after(stmt, Unit.id, cursor).order_by(Unit.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def units_in_region(session: AsyncSession, prefix: str) -> Sequence[Unit]:
    stmt = select(Unit).where(Unit.region_code.startswith(prefix, autoescape=True))
    return (await session.execute(stmt)).scalars().all()


async def unit_names_in_region(session: AsyncSession, region_code: str) -> Sequence[tuple[str, str]]:
    """(id, name) of every unit registered in exactly ``region_code``."""
    stmt = select(Unit.id, Unit.name).where(Unit.region_code == region_code)
    return [(row.id, row.name) for row in (await session.execute(stmt)).all()]
