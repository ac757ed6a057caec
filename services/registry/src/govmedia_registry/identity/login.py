"""The two grants of ``POST /v1/auth/token`` with the safeguards around them (``identity/safeguards``).

Password grant: lockout/throttle check → verify (a dummy hash for unknown users) → audit → token carrying
the subject's current generation. Client credentials: the same minus the lockout by username (a client id
is not guessable), throttled per address like people.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.audit import current_request
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_registry.identity import repository as repo
from govmedia_registry.identity.domain import scopes_for_roles
from govmedia_registry.identity.revocation import current_generation
from govmedia_registry.identity.safeguards import audit_login, refuse_if_locked, verify_or_dummy
from govmedia_registry.identity.tokens import active_key, issue
from govmedia_registry.models import Client
from govmedia_registry.settings import RegistrySettings

TOKEN_TTL_SECONDS = 900


def _wrong(detail: str) -> DomainError:
    return DomainError(ErrorKind.UNAUTHENTICATED, "unauthorized", detail)


async def _guard(session: AsyncSession, settings: RegistrySettings, username: str) -> None:
    req = current_request.get()
    await refuse_if_locked(
        session,
        username=username,
        address=req.client_address if req else None,
        max_failures=settings.login_max_failures,
        max_failures_per_address=settings.login_max_failures_per_address,
        window_seconds=settings.login_window_seconds,
    )


async def password_grant(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: RegistrySettings,
    *,
    username: str,
    password: str,
) -> tuple[str, list[str]]:
    """A token for a person signing in; 401 for any wrong combination, 429 when locked out."""
    username = username[:200]
    await _guard(session, settings, username)
    person = await repo.person_by_username(session, username)
    ok = await verify_or_dummy(person.password_hash if person is not None else None, password)
    if person is None or not ok or not person.active:
        await audit_login(sessions, None, username=username, subject=None, kind="person", succeeded=False)
        raise _wrong("Unknown username or wrong password.")
    scopes = scopes_for_roles(person.roles)
    token = issue(
        await active_key(session),
        subject=person.id,
        name=person.display_name,
        kind="person",
        region=person.region_code,
        unit=person.unit_id,
        roles=person.roles,
        scopes=scopes,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=TOKEN_TTL_SECONDS,
        now=datetime.now(UTC),  # token lifetimes follow the wall clock, never the business clock
        generation=await current_generation(session, person.id),
    )
    await audit_login(None, session, username=username, subject=person.id, kind="person", succeeded=True)
    return token, scopes


async def client_grant(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: RegistrySettings,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
) -> tuple[str, list[str]]:
    """A token for a machine client (client credentials), narrowed to ``scope`` when asked."""
    client_id = client_id[:200]
    await _guard(session, settings, client_id)
    client = await session.get(Client, client_id) if client_id else None
    ok = await verify_or_dummy(client.secret_hash if client is not None else None, client_secret)
    if client is None or not ok or not client.active:
        await audit_login(sessions, None, username=client_id, subject=None, kind="client", succeeded=False)
        raise _wrong("Unknown client or wrong secret.")
    scopes = list(client.scopes)
    if scope:
        asked = set(scope.split())
        if not asked <= set(client.scopes):
            raise DomainError(
                ErrorKind.FORBIDDEN,
                "invalid-scope",
                f"The client may not ask for: {', '.join(sorted(asked - set(client.scopes)))}.",
            )
        scopes = sorted(asked)
    token = issue(
        await active_key(session),
        subject=client.id,
        name=client.name,
        kind="client",
        region=client.region_code,
        unit=client.unit_id,
        roles=["system"],
        scopes=scopes,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=TOKEN_TTL_SECONDS,
        now=datetime.now(UTC),
        generation=await current_generation(session, client.id),
    )
    await audit_login(None, session, username=client_id, subject=client.id, kind="client", succeeded=True)
    return token, scopes
