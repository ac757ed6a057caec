"""Append-only audit log: every write and every refused access, with who, what, when, outcome, from where."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.db import audit_table
from govmedia_common.tracing import current_trace


@dataclass(frozen=True)
class RequestInfo:
    """Where a request came from (set by the HTTP middleware)."""

    client_address: str | None
    method: str
    path: str


current_request: ContextVar[RequestInfo | None] = ContextVar("govmedia_request", default=None)


def audit_values(
    *,
    principal: Principal | None,
    action: str,
    target: str | None,
    outcome: str,
    status_code: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    req = current_request.get()
    trace = current_trace.get()
    return {
        "actor_id": principal.subject if principal else None,
        "actor_kind": principal.kind if principal else None,
        "actor_region": principal.region_code if principal else None,
        "action": action,
        "target": target,
        "outcome": outcome,
        "status_code": status_code,
        "client_address": req.client_address if req else None,
        "trace_id": trace.trace_id if trace else None,
        "detail": detail,
    }


def insert(values: dict[str, Any]) -> Insert:
    """The statement adding one entry of :func:`audit_values`: run it alone, or put it into the statement
    of the write it records as a data-modifying CTE (``stmt.add_cte(insert(values).cte("audit"))``), one
    round trip less for a hot path; either way it lives and dies with the caller's transaction."""
    return audit_table.insert().values(**values)


async def record(
    session: AsyncSession,
    *,
    principal: Principal | None,
    action: str,
    target: str | None = None,
    outcome: str = "success",
    status_code: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry in the caller's transaction (so a rolled-back write leaves no success entry)."""
    await session.execute(
        insert(
            audit_values(
                principal=principal,
                action=action,
                target=target,
                outcome=outcome,
                status_code=status_code,
                detail=detail,
            )
        )
    )
