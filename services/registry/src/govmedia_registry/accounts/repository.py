"""Queries of accounts and their history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal, region_prefix
from govmedia_common.scoping import scoped
from govmedia_registry.models import Account, AccountHistory
from govmedia_registry.queries import after


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
    stmt = scoped(select(Account), principal, Account.region_code, Account.unit_id)
    if platform:
        stmt = stmt.where(Account.platform == platform)
    if status:
        stmt = stmt.where(Account.status == status)
    if region:
        stmt = stmt.where(Account.region_code.startswith(region_prefix(region)))
    if unit_id:
        stmt = stmt.where(Account.unit_id == unit_id)
    stmt = after(stmt, Account.id, cursor).order_by(Account.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def history_of(
    session: AsyncSession, account_id: str, *, limit: int, cursor: list[Any] | None
) -> Sequence[AccountHistory]:
    stmt = select(AccountHistory).where(AccountHistory.account_id == account_id)
    stmt = after(stmt, AccountHistory.id, cursor).order_by(AccountHistory.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def accounts_in_region(session: AsyncSession, prefix: str) -> Sequence[Account]:
    stmt = select(Account).where(Account.region_code.startswith(prefix, autoescape=True))
    return (await session.execute(stmt)).scalars().all()
