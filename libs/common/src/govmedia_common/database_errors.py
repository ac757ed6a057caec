"""The database safety net of every service: a database error that escaped a service, as a problem.

A unique violation → 409 naming the rule (:func:`register_unique_rule`), a value PostgreSQL cannot store →
422, a dropped or refused connection → 503 with ``Retry-After``, anything else → 500; logged without the
statement's parameters. ``govmedia_common.inputs.install_input_policy`` installs it.
"""

from __future__ import annotations

import logging

from govmedia_common.problems import CRASH_DETAIL, Problem, database_unavailable
from govmedia_common.transient import is_transient

log = logging.getLogger(__name__)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _client_data_error(exc: BaseException) -> bool:
    # asyncpg refuses a value of the wrong Python type before sending it (its DataError has no SQLSTATE).
    orig = getattr(exc, "orig", None)
    chain = [orig, getattr(orig, "__cause__", None), getattr(orig, "__context__", None)]
    return any(type(c).__name__ == "DataError" and getattr(c, "sqlstate", None) is None for c in chain if c)


_UNIQUE_RULES: dict[str, tuple[str, str]] = {}


def register_unique_rule(constraint: str, code: str, detail: str) -> None:
    """Name the rule a unique constraint enforces, for the 409 a concurrent duplicate gets."""
    _UNIQUE_RULES[constraint] = (code, detail)


def _constraint_name(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if isinstance(name, str):
            return name
    return None


def database_error_problem(exc: BaseException) -> Problem:
    """The problem for a database error that escaped a service, logged without its parameters.

    A unique violation (23505) is a concurrent duplicate that a read-then-insert check let through: 409
    naming the rule (:func:`register_unique_rule`). SQLSTATE class 22 (data exception: too long, out of
    range, malformed) is the client's value that the schema failed to bound: 422. Anything else is ours:
    500, except a dropped or refused connection or a transaction the server aborted for a retry: 503 with
    ``Retry-After`` (:func:`govmedia_common.problems.database_unavailable`). The log names the statement and
    SQLSTATE but
    never the bound parameters, which may hold password hashes or secrets.
    """
    state = _sqlstate(exc)
    statement = str(getattr(exc, "statement", "") or "")[:300]
    if state == "23505":  # unique_violation: a concurrent request made the same thing first
        constraint = _constraint_name(exc)
        code, detail = _UNIQUE_RULES.get(
            constraint or "", ("duplicate", "Another request created the same thing first; it exists now.")
        )
        log.info("a unique rule refused a duplicate", extra={"constraint": constraint})
        return Problem(409, code, detail, rule=constraint)
    if (state is not None and state.startswith("22")) or _client_data_error(exc):
        log.warning(
            "database refused a value from a request",
            extra={"sqlstate": state, "error": type(getattr(exc, "orig", exc)).__name__},
        )
        return Problem(
            422,
            "value-not-storable",
            "A value in the request cannot be stored (too long, out of range or malformed); "
            "check the lengths and ranges in the API description.",
        )
    if is_transient(exc):
        log.warning("database unavailable", extra={"sqlstate": state, "statement": statement})
        return database_unavailable()
    log.error(
        "database error",
        extra={"sqlstate": state, "error": type(getattr(exc, "orig", exc)).__name__, "statement": statement},
    )
    return Problem(500, "internal-error", CRASH_DETAIL)
