"""Queries of the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.db import audit_table


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
