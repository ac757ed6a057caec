"""Refused requests as HTTP answers, on the record: the exception handlers every service installs.

An ``AuthError``, a ``DomainError`` or a ``Problem`` becomes its problem+json answer; the refusals that go on
the record (GB/T 22239: who, what, when, outcome, from where) are written to the audit log first, within the
source's :class:`~govmedia_common.audit.RefusalBudget`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from govmedia_common import metrics
from govmedia_common.audit import RefusalBudget, audit_values, current_request
from govmedia_common.auth import AuthError
from govmedia_common.db import audit_table
from govmedia_common.errors import DomainError, ErrorKind, echo
from govmedia_common.problems import Problem, problem_of, problem_response

if TYPE_CHECKING:
    from govmedia_common.app import Runtime

log = logging.getLogger(__name__)

# Refusals that go on the record: no credentials, not allowed, not found (which is also how another subtree's
# objects answer), and refusals by a rule.
_AUDITED_KINDS = frozenset(
    {
        ErrorKind.UNAUTHENTICATED,
        ErrorKind.FORBIDDEN,
        ErrorKind.NOT_FOUND,
        ErrorKind.CONFLICT,
        ErrorKind.RULE_VIOLATED,
        ErrorKind.UNPROCESSABLE,
        ErrorKind.TOO_MANY_REQUESTS,
    }
)
_AUDITED_STATUSES = frozenset({401, 403, 404, 409, 422, 429})


def install_refusal_handlers(app: FastAPI, *, service: str, runtime: Runtime) -> None:
    """Answer refusals as problem+json, writing those on the record to the audit log through the service's
    sessions, on its clock, within its settings' budget."""

    async def on_auth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AuthError)
        return await audited_refusal(request, exc)

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        # The one place a DomainError becomes HTTP: kind → status; refusals are audited like AuthError.
        assert isinstance(exc, DomainError)
        problem = problem_of(exc)
        if exc.kind in _AUDITED_KINDS:
            return await audited_refusal(request, problem)
        return problem_response(problem, request.url.path)

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        # Services that still raise Problem (not_found(...), a 422 rule) are refused on the record too.
        assert isinstance(exc, Problem)
        if exc.status in _AUDITED_STATUSES:
            return await audited_refusal(request, exc)
        return problem_response(exc, request.url.path)

    budget = RefusalBudget(runtime.settings.audit_refusals_per_minute)

    async def audited_refusal(request: Request, exc: Problem) -> JSONResponse:
        principal = getattr(request.state, "principal", None)
        asked = current_request.get()
        address = asked.client_address if asked else None
        source = f"principal {principal.subject}" if principal else f"address {address}"
        unwritten = budget.take(source, runtime.clock.now())
        if unwritten is None:  # over this source's budget for the minute: counted, not written
            metrics.AUDIT_REFUSALS_UNWRITTEN.labels(service).inc()
            return problem_response(exc, request.url.path)
        detail: dict[str, Any] = {"reason": exc.code, "message": echo(exc.detail, 500)}
        if unwritten:
            detail["unwritten_before"] = unwritten
            log.warning(
                "%d refused accesses of %s were over its audit budget (%d a minute) and are not in the "
                "audit log one by one; this entry counts them",
                unwritten,
                source,
                budget.per_minute,
            )
        try:
            async with runtime.sessions() as session, session.begin():
                await session.execute(
                    audit_table.insert().values(
                        **audit_values(
                            principal=principal,
                            # bounded: the log refuses DELETE, and a caller without a token writes here
                            action=f"{request.method} {echo(request.url.path, 300)}",
                            target=echo(request.url.path, 300),
                            outcome="refused",
                            status_code=exc.status,
                            detail=detail,
                        )
                    )
                )
        except Exception:  # the refusal stands even if the audit write fails; say so loudly
            log.exception("could not audit a refused access")
        return problem_response(exc, request.url.path)

    app.add_exception_handler(AuthError, on_auth_error)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(Problem, on_problem)
