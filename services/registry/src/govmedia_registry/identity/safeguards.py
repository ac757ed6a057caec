"""What stands between a login form and an attacker: throttling, lockout, equal timing, password policy.

- **Lockout** (per username) and **throttling** (per client address) count the failed logins of the last
  ``login_window_seconds`` in the audit log, which every replica writes to: no replica-local counter an
  attacker can spread requests over. At ``login_max_failures`` failures of one username (or
  ``login_max_failures_per_address`` from one address) the next attempt, even with the right password,
  answers 429 with ``Retry-After`` (the seconds until the oldest counted failure leaves the window).
- **Equal timing:** an unknown username is checked against a dummy Argon2 hash made with the same
  parameters, so it costs what a known one costs (the answer is the same sentence too).
- **Password policy:** at least ten characters and a zxcvbn score of ``password_min_score`` (0–4) or more,
  with the username and display name as words an attacker would try first.
- Every attempt is audited (``action='login'``, ``target`` = the username, ``outcome``, status, address):
  failures in their own transaction, so the refusal of the request cannot roll them back. Passwords never
  reach the audit log or the logs.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.audit import audit_values, current_request
from govmedia_common.db import audit_table
from govmedia_common.problems import Problem
from govmedia_registry.identity.tokens import hash_secret, verify_secret

LOGIN_ACTION = "login"
MIN_PASSWORD_LENGTH = 10


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Made once with the live hasher, so its cost parameters are those of real hashes.
    return hash_secret("govmedia-dummy-password-for-unknown-users")


def _warm_dummy() -> str:
    return _dummy_hash()


async def verify_or_dummy(password_hash: str | None, password: str) -> bool:
    """Verify ``password``; with no hash (unknown user), spend the same time on a dummy and say no."""
    if password_hash is None:
        await asyncio.to_thread(verify_secret, await asyncio.to_thread(_warm_dummy), password)
        return False
    return await asyncio.to_thread(verify_secret, password_hash, password)


def weak_password_reason(password: str, user_inputs: Sequence[str] = (), min_score: int = 3) -> str | None:
    """Why ``password`` is too weak (a sentence), or None when it may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    from zxcvbn import zxcvbn  # imported here: its dictionaries take a moment to load

    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u][:10])
    if int(result["score"]) >= min_score:
        return None
    feedback = result.get("feedback") or {}
    hint = feedback.get("warning") or "; ".join(feedback.get("suggestions") or []) or "it is easy to guess"
    return f"the password is too easy to guess ({hint.rstrip('.')}); use a longer phrase of unusual words"


def require_strong_password(password: str, user_inputs: Sequence[str] = (), min_score: int = 3) -> None:
    """Refuse a weak password with a 422 problem naming ``body.password``."""
    reason = weak_password_reason(password, user_inputs, min_score)
    if reason is not None:
        raise Problem(
            422,
            "weak-password",
            f"The request is invalid at: body.password ({reason}).",
            errors=[{"location": "body.password", "message": reason, "type": "weak_password"}],
        )


async def _retry_after(
    session: AsyncSession, condition: object, limit: int, window_seconds: int
) -> int | None:
    t = audit_table
    recent = (
        select(t.c.at)
        .where(
            and_(
                t.c.action == LOGIN_ACTION,
                t.c.status_code == 401,
                t.c.at > func.now() - text(f"interval '{int(window_seconds)} seconds'"),
                condition,  # type: ignore[arg-type]
            )
        )
        .order_by(t.c.at.desc())
        .limit(limit)
        .subquery()
    )
    count, oldest, now = (
        await session.execute(select(func.count(), func.min(recent.c.at), func.now()).select_from(recent))
    ).one()
    if count < limit or oldest is None:
        return None
    return max(1, math.ceil(window_seconds - (now - oldest).total_seconds()))  # type: ignore[no-any-return]


async def refuse_if_locked(
    session: AsyncSession,
    *,
    username: str,
    address: str | None,
    max_failures: int,
    max_failures_per_address: int,
    window_seconds: int,
) -> None:
    """429 with Retry-After when this username, or this address, failed too often in the window."""
    t = audit_table
    waits = [await _retry_after(session, t.c.target == username, max_failures, window_seconds)]
    if address:
        waits.append(
            await _retry_after(
                session, t.c.client_address == address, max_failures_per_address, window_seconds
            )
        )
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise Problem(
            429,
            "too-many-failed-logins",
            f"Too many failed sign-ins; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )


async def audit_login(
    sessions: async_sessionmaker[AsyncSession] | None,
    session: AsyncSession | None,
    *,
    username: str,
    subject: str | None,
    kind: str,
    succeeded: bool,
) -> None:
    """Record a login attempt: a success in the request's transaction, a failure in its own transaction."""
    req = current_request.get()
    values = audit_values(
        principal=None,
        action=LOGIN_ACTION,
        target=username[:200],
        outcome="success" if succeeded else "refused",
        status_code=200 if succeeded else 401,
        detail={"kind": kind, **({"subject": subject} if subject else {})},
    )
    values["actor_id"] = subject
    values["actor_kind"] = kind if subject else None
    if req is not None:
        values["client_address"] = req.client_address
    if succeeded and session is not None:
        await session.execute(audit_table.insert().values(**values))
        return
    assert sessions is not None
    async with sessions() as own, own.begin():
        await own.execute(audit_table.insert().values(**values))
