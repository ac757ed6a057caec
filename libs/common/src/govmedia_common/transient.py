"""Which failures are transient — not the message's fault — so a consumer retries them without limit."""

from __future__ import annotations

import asyncio
import random

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_TRANSIENT_SQLSTATE_CLASSES = (
    "08",
    "53",
    "57",
    "40",
)  # connection, resources, operator intervention, rollback


def is_transient(exc: BaseException) -> bool:
    """True for failures that are not the message's fault: connection loss, database down or overloaded."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # TimeoutError is an OSError, but a handler running past its timeout may be the message's fault:
        # the database probe decides that one.
        if isinstance(current, OSError) and not isinstance(current, TimeoutError):
            return True
        if isinstance(current, sa_exc.TimeoutError):  # connection pool exhausted
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, asyncpg.PostgresError):
            state = str(getattr(current, "sqlstate", "") or "")
            if state[:2] in _TRANSIENT_SQLSTATE_CLASSES and state != "57014":  # not statement timeouts
                return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


async def database_answers(sessions: async_sessionmaker[AsyncSession], *, within: float = 3.0) -> bool:
    """Whether the database answers ``SELECT 1``: a failure while it does not is never the message's fault."""
    try:
        async with asyncio.timeout(within), sessions() as session:
            await session.execute(text("SELECT 1"))
        return True
    except asyncio.CancelledError:
        raise
    except Exception:
        return False


def backoff_with_jitter(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff capped at ``cap``, with jitter so replicas that failed together retry apart."""
    delay: float = min(cap, base * 2.0 ** min(attempt, 30))
    return delay * random.uniform(0.5, 1.0)
