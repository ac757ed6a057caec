"""Queries of regions and their settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_registry.models import Region, RegionSettings
from govmedia_registry.queries import after


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def list_regions(
    session: AsyncSession, *, parent: str | None, within: str, limit: int, cursor: list[Any] | None
) -> Sequence[Region]:
    stmt = select(Region).where(Region.code.startswith(region_prefix(within)))
    if parent:
        stmt = stmt.where(Region.parent_code == parent)
    stmt = after(stmt, Region.code, cursor).order_by(Region.code).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def region_names_on_path(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    rows = (await session.execute(select(Region.name).where(Region.code.in_(codes)))).scalars().all()
    return list(rows)


async def settings_on_path(session: AsyncSession, codes: Sequence[str]) -> list[RegionSettings]:
    rows = (
        await session.execute(select(RegionSettings).where(RegionSettings.region_code.in_(codes)))
    ).scalars()
    by_code = {r.region_code: r for r in rows}
    return [by_code[c] for c in codes if c in by_code]


async def get_settings(session: AsyncSession, code: str, *, lock: bool = False) -> RegionSettings | None:
    stmt = select(RegionSettings).where(RegionSettings.region_code == code)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def regions_in(session: AsyncSession, prefix: str) -> Sequence[Region]:
    stmt = select(Region).where(Region.code.startswith(prefix, autoescape=True)).order_by(Region.code)
    return (await session.execute(stmt)).scalars().all()
