"""Token revocation, the registry's side: generations per subject, retired keys, and the feed services poll.

Every token carries ``gen``, the generation of its subject when it was issued. Revoking a subject's tokens
(deactivation, password change or reset, client secret rotation, "sign out everywhere") adds a row with the
next generation; every service refuses tokens of an older generation as soon as it has read the row from
``/.well-known/revocations`` (``govmedia_common.auth.RevocationList``, polled every couple of seconds).
The registry reads the same rows straight from its database. Only rows younger than the longest token
lifetime matter to a verifier that starts afresh: older revocations only concern expired tokens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_registry.models import TokenRevocation

FEED_PAGE = 500
# Token lifetime (15 min) plus clock leeway: a revocation older than this concerns only expired tokens.
FEED_HORIZON_SECONDS = 900 + 60


async def current_generation(session: AsyncSession, subject: str) -> int:
    """The generation a token issued now to ``subject`` carries (0 until something was revoked)."""
    value = await session.scalar(
        select(func.max(TokenRevocation.generation)).where(TokenRevocation.subject == subject)
    )
    return int(value or 0)


async def _in_commit_order(session: AsyncSession) -> None:
    """Hold the feed's lock until this transaction ends, before an entry draws its ``seq``.

    Pollers read the entries after the last ``seq`` they saw, so the ``seq`` order must be the commit order:
    drawn freely, a revocation still writing its audit entry and events (seq 10) committed after another
    (seq 11), and a service that polled in between never read seq 10 (its tokens kept working there until
    they expired). Revocations are rare; one at a time costs nothing. Two of one subject at once also get
    two generations this way.
    """
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('govmedia:token_revocations'))"))


async def revoke_subject(session: AsyncSession, subject: str, reason: str) -> int:
    """Revoke every token issued to ``subject`` so far; returns the new generation."""
    await _in_commit_order(session)
    generation = await current_generation(session, subject) + 1
    session.add(TokenRevocation(subject=subject, generation=generation, reason=reason))
    await session.flush()
    return generation


async def record_retired_key(session: AsyncSession, kid: str) -> None:
    """Tell every service that tokens signed with ``kid`` are no longer accepted."""
    await _in_commit_order(session)
    session.add(TokenRevocation(retired_kid=kid, reason="signing key retired"))
    await session.flush()


async def feed(session: AsyncSession, after: int, limit: int = FEED_PAGE) -> dict[str, Any]:
    """The revocations after ``after`` (a seq); on a first read only those tokens alive may be affected by."""
    t = TokenRevocation
    stmt = select(t).where(t.seq > after).order_by(t.seq).limit(limit + 1)
    if after <= 0:
        stmt = stmt.where(t.at > func.now() - text(f"interval '{FEED_HORIZON_SECONDS} seconds'"))
    rows = list((await session.execute(stmt)).scalars().all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].seq if rows else await session.scalar(select(func.coalesce(func.max(t.seq), 0)))
    entries: list[dict[str, Any]] = []
    for r in rows:
        entry: dict[str, Any] = {"seq": r.seq}
        if r.subject is not None:
            entry.update(subject=r.subject, generation=r.generation)
        if r.retired_kid is not None:
            entry["retired_kid"] = r.retired_kid
        entries.append(entry)
    return {"entries": entries, "last_seq": int(last or 0), "more": more}
