"""Append-only audit log: every write and every refused access, with who, what, when, outcome, from where."""

from __future__ import annotations

from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
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


@dataclass
class _Window:
    start: datetime
    written: int = 0
    unwritten: int = 0  # refused in this window beyond the budget
    carried: int = 0  # refused beyond the budget in earlier windows, not yet told in an entry


class RefusalBudget:
    """How many refused accesses (401, 403, 404 …) of one source a process writes to the audit log a minute.

    A source is the signed-in principal, else the client address. The first ``per_minute`` refusals of a
    source in a minute are written one by one; the rest are only counted (a metric, and here), and the
    source's next written entry says how many went unwritten before it. So a scan or a script with an expired
    token cannot turn each request into a database write, and no refusal goes unaccounted. ``per_minute=0``
    writes every refusal. At most ``max_sources`` sources are remembered; the one seen least recently is
    forgotten first.
    """

    WINDOW = timedelta(minutes=1)

    def __init__(self, per_minute: int, *, max_sources: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_sources = max_sources
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def take(self, source: str, now: datetime) -> int | None:
        """``None``: do not write this refusal (it is counted). Otherwise write it, with this many refusals
        of the source that were not written before it (usually 0)."""
        if self.per_minute <= 0:
            return 0
        window = self._windows.get(source)
        if window is None:
            window = self._windows[source] = _Window(now)
            if len(self._windows) > self.max_sources:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(source)
            if not window.start <= now < window.start + self.WINDOW:  # a new minute (or the clock went back)
                window.carried += window.unwritten
                window.start, window.written, window.unwritten = now, 0, 0
        if window.written >= self.per_minute:
            window.unwritten += 1
            return None
        window.written += 1
        carried, window.carried = window.carried, 0
        return carried

    def sources(self) -> int:
        return len(self._windows)
