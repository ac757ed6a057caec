"""Every query of the registry service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal, region_prefix
from govmedia_common.db import audit_table
from govmedia_registry.models import (
    Account,
    AccountHistory,
    Filing,
    FilingDecision,
    Person,
    Region,
    RegionSettings,
    Unit,
    WorkCalendarYear,
)

T = TypeVar("T")

UNIT_ROLES = frozenset({"editor", "reviewer", "approver", "unit_admin", "liaison"})
OFFICE_ROLES = frozenset({"office_staff", "office_admin", "auditor"})


def sees_only_own_unit(principal: Principal) -> bool:
    """Unit staff see their unit's data; office staff and machine clients their region subtree."""
    return principal.kind == "person" and not principal.roles & OFFICE_ROLES and principal.unit_id is not None


def _scoped(stmt: Select[T], principal: Principal, region_col: Any, unit_col: Any) -> Select[T]:
    stmt = stmt.where(region_col.startswith(principal.region_prefix, autoescape=True))
    if sees_only_own_unit(principal):
        stmt = stmt.where(unit_col == principal.unit_id)
    return stmt


def _after(stmt: Select[T], col: Any, cursor: list[Any] | None) -> Select[T]:
    return stmt.where(col > cursor[0]) if cursor else stmt


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def list_regions(
    session: AsyncSession, *, parent: str | None, within: str, limit: int, cursor: list[Any] | None
) -> Sequence[Region]:
    stmt = select(Region).where(Region.code.startswith(region_prefix(within)))
    if parent:
        stmt = stmt.where(Region.parent_code == parent)
    stmt = _after(stmt, Region.code, cursor).order_by(Region.code).limit(limit)
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


async def get_unit(session: AsyncSession, unit_id: str) -> Unit | None:
    return await session.get(Unit, unit_id)


async def list_units(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Unit]:
    stmt = _scoped(select(Unit), principal, Unit.region_code, Unit.id)
    stmt = _after(stmt, Unit.id, cursor).order_by(Unit.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def person_by_username(session: AsyncSession, username: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.username == username))).scalars().first()


async def list_people(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Person]:
    stmt = _scoped(select(Person), principal, Person.region_code, Person.unit_id)
    stmt = _after(stmt, Person.id, cursor).order_by(Person.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_people(session: AsyncSession) -> int:
    return len((await session.execute(select(Person.id).limit(1))).all())


async def get_account(session: AsyncSession, account_id: str, *, lock: bool = False) -> Account | None:
    stmt = select(Account).where(Account.id == account_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def accounts_of_unit(session: AsyncSession, unit_id: str) -> Sequence[Account]:
    return (await session.execute(select(Account).where(Account.unit_id == unit_id))).scalars().all()


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: list[Any] | None,
    platform: str | None = None,
    status: str | None = None,
    region: str | None = None,
    unit_id: str | None = None,
) -> Sequence[Account]:
    stmt = _scoped(select(Account), principal, Account.region_code, Account.unit_id)
    if platform:
        stmt = stmt.where(Account.platform == platform)
    if status:
        stmt = stmt.where(Account.status == status)
    if region:
        stmt = stmt.where(Account.region_code.startswith(region_prefix(region)))
    if unit_id:
        stmt = stmt.where(Account.unit_id == unit_id)
    stmt = _after(stmt, Account.id, cursor).order_by(Account.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def open_filing_of(session: AsyncSession, account_id: str) -> Filing | None:
    """An undecided filing about the account (as the subject, or as a merged-away source)."""
    stmt = select(Filing).where(
        Filing.status.in_(("pending", "returned")),
        or_(Filing.account_id == account_id, Filing.payload["merged_account_ids"].contains([account_id])),
    )
    return (await session.execute(stmt.limit(1))).scalars().first()


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
    stmt = _scoped(select(Filing), principal, Filing.region_code, Filing.unit_id)
    if status:
        stmt = stmt.where(Filing.status == status)
    if account_id:
        stmt = stmt.where(Filing.account_id == account_id)
    stmt = _after(stmt, Filing.id, cursor).order_by(Filing.id).limit(limit)
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


async def history_of(
    session: AsyncSession, account_id: str, *, limit: int, cursor: list[Any] | None
) -> Sequence[AccountHistory]:
    stmt = select(AccountHistory).where(AccountHistory.account_id == account_id)
    stmt = _after(stmt, AccountHistory.id, cursor).order_by(AccountHistory.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def calendar_years(session: AsyncSession) -> Sequence[WorkCalendarYear]:
    return (await session.execute(select(WorkCalendarYear))).scalars().all()


async def list_audit(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Any]:
    t = audit_table
    scope = t.c.actor_region.startswith(principal.region_prefix)
    if principal.region_code.endswith("0000"):
        # Refusals of unidentified callers (bad tokens) belong to no region: province auditors see them.
        scope = or_(scope, t.c.actor_region.is_(None))
    stmt = select(t).where(scope)
    if cursor:
        stmt = stmt.where(t.c.id < cursor[0])
    return (await session.execute(stmt.order_by(t.c.id.desc()).limit(limit))).all()


async def accounts_in_region(session: AsyncSession, prefix: str) -> Sequence[Account]:
    stmt = select(Account).where(Account.region_code.startswith(prefix, autoescape=True))
    return (await session.execute(stmt)).scalars().all()


async def units_in_region(session: AsyncSession, prefix: str) -> Sequence[Unit]:
    stmt = select(Unit).where(Unit.region_code.startswith(prefix, autoescape=True))
    return (await session.execute(stmt)).scalars().all()


async def regions_in(session: AsyncSession, prefix: str) -> Sequence[Region]:
    stmt = select(Region).where(Region.code.startswith(prefix, autoescape=True)).order_by(Region.code)
    return (await session.execute(stmt)).scalars().all()
