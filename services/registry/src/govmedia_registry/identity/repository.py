"""Queries of people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.scoping import scoped
from govmedia_registry.models import Person
from govmedia_registry.queries import after


async def person_by_username(session: AsyncSession, username: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.username == username))).scalars().first()


async def list_people(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Person]:
    stmt = scoped(select(Person), principal, Person.region_code, Person.unit_id)
    stmt = after(stmt, Person.id, cursor).order_by(Person.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_people(session: AsyncSession) -> int:
    return len((await session.execute(select(Person.id).limit(1))).all())


async def unannounced_in_region(session: AsyncSession, region_code: str) -> Sequence[Person]:
    """People of a region without a unit whose PersonRegistered still waits for their office."""
    stmt = select(Person).where(
        Person.region_code == region_code, Person.unit_id.is_(None), Person.announced_unit_id.is_(None)
    )
    return (await session.execute(stmt.order_by(Person.id).with_for_update())).scalars().all()


async def names_in_regions(session: AsyncSession, region_codes: Sequence[str]) -> list[str]:
    """Display names of the active people registered in these regions (for the personal-account rule)."""
    stmt = select(Person.display_name).where(Person.region_code.in_(region_codes), Person.active.is_(True))
    return list((await session.execute(stmt)).scalars().all())
