"""People, machine clients and tokens: registering them and issuing tokens."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import PersonRegistered
from govmedia_common.events.outbox import write_recorded
from govmedia_common.ids import new_id
from govmedia_common.workdays import Clock
from govmedia_registry.identity import repository as repo
from govmedia_registry.identity.domain import (
    ALL_SCOPES,
    MACHINE_SCOPES,
    PERSON_ROLES,
    Person,
    scopes_for_roles,
)
from govmedia_registry.identity.mapping import person_from_row, person_to_row
from govmedia_registry.identity.tokens import active_key, hash_secret, issue, rotate_key, verify_secret
from govmedia_registry.models import Client, SigningKeyRow
from govmedia_registry.models import Person as PersonRow
from govmedia_registry.settings import DEVELOPMENT_ADMIN_PASSWORD, RegistrySettings
from govmedia_registry.units import repository as units_repo
from govmedia_registry.units.domain import Unit

log = logging.getLogger(__name__)

TOKEN_TTL_SECONDS = 900
UNIT_GRANTABLE = frozenset({"editor", "reviewer", "approver", "liaison"})


def _forbidden(code: str, detail: str) -> DomainError:
    return DomainError(ErrorKind.FORBIDDEN, code, detail)


def _username_taken(username: str) -> DomainError:
    return DomainError(
        ErrorKind.CONFLICT, "username-taken", f"The username {username!r} is taken; choose another."
    )


async def create_person(
    session: AsyncSession,
    principal: Principal,
    *,
    username: str,
    display_name: str,
    password: str,
    unit_id: str | None,
    region_code: str,
    roles: list[str],
    clock: Clock,
) -> Person:
    """Register a person with roles: an office admin for their region, a unit admin for their own unit."""
    if not principal.can_see_region(region_code):
        raise _forbidden("outside-region", f"Region {region_code} is outside your region.")
    unit = None
    if unit_id:
        unit = await units_repo.get_unit(session, unit_id)
        if unit is None or not principal.can_see_region(unit.region_code):
            raise DomainError(
                ErrorKind.UNPROCESSABLE, "unknown-unit", f"Unit {unit_id} does not exist in your region."
            )
        if unit.region_code != region_code:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "unit-region-mismatch",
                "region_code must be the region of the person's unit.",
            )
    if principal.has_role("unit_admin") and not principal.has_role("office_admin"):
        if unit_id != principal.unit_id:
            raise _forbidden("outside-unit", "A unit admin registers people of their own unit only.")
        if set(roles) - UNIT_GRANTABLE:
            raise _forbidden(
                "role-not-grantable", "A unit admin may grant editor, reviewer, approver and liaison only."
            )
    if set(roles) - PERSON_ROLES:
        raise DomainError(ErrorKind.UNPROCESSABLE, "unknown-role", "Unknown role.")
    if await repo.person_by_username(session, username) is not None:
        raise _username_taken(username)
    person = Person(
        id=new_id(),
        username=username,
        display_name=display_name,
        password_hash=await asyncio.to_thread(hash_secret, password),
        unit_id=unit_id,
        region_code=region_code,
        roles=tuple(roles),
    )
    await _announce(session, person, unit.id if unit is not None else None, clock)
    try:
        async with session.begin_nested():  # two registrations of one username racing past the check above
            session.add(person_to_row(person))
            await session.flush()
    except IntegrityError as exc:
        raise _username_taken(username) from exc
    await write_recorded(session, person)
    await audit.record(
        session,
        principal=principal,
        action="person.create",
        target=person.id,
        detail={"roles": list(person.roles)},
    )
    return person


async def create_client(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    region_code: str,
    unit_id: str | None,
    scopes: list[str],
    secret: str,
) -> Client:
    """Register a machine client; nobody grants a system more than they hold (except machine-only scopes)."""
    if not principal.can_see_region(region_code):
        raise _forbidden("outside-region", f"Region {region_code} is outside your region.")
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "unknown-scope",
            f"Unknown scope(s): {', '.join(unknown)}.",
            known_scopes=sorted(ALL_SCOPES),
        )
    beyond = sorted(set(scopes) - principal.scopes - MACHINE_SCOPES)
    if beyond:
        raise _forbidden(
            "scope-not-grantable", f"You cannot grant scope(s) you do not hold: {', '.join(beyond)}."
        )
    if unit_id is not None:
        unit = await units_repo.get_unit(session, unit_id)
        if unit is None or unit.region_code != region_code:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "unknown-unit",
                f"Unit {unit_id} does not exist in region {region_code}.",
            )
    client = Client(
        id=new_id(),
        name=name,
        secret_hash=await asyncio.to_thread(hash_secret, secret),
        region_code=region_code,
        unit_id=unit_id,
        scopes=sorted(set(scopes)),
        active=True,
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        principal=principal,
        action="client.create",
        target=client.id,
        detail={"scopes": client.scopes},
    )
    return client


async def password_token(
    session: AsyncSession, *, username: str, password: str, issuer: str, audience: str
) -> tuple[str, list[str]]:
    """A token for a person who signs in with username and password; returns the token and its scopes."""
    person = await repo.person_by_username(session, username)
    if (
        person is None
        or not person.active
        or not await asyncio.to_thread(verify_secret, person.password_hash, password)
    ):
        raise DomainError(ErrorKind.UNAUTHENTICATED, "unauthorized", "Unknown username or wrong password.")
    scopes = scopes_for_roles(person.roles)
    # Token lifetimes follow the wall clock, never the injected business clock (tests move that one).
    token = issue(
        await active_key(session),
        subject=person.id,
        name=person.display_name,
        kind="person",
        region=person.region_code,
        unit=person.unit_id,
        roles=person.roles,
        scopes=scopes,
        issuer=issuer,
        audience=audience,
        ttl_seconds=TOKEN_TTL_SECONDS,
        now=datetime.now(UTC),
    )
    return token, scopes


async def client_token(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    issuer: str,
    audience: str,
) -> tuple[str, list[str]]:
    """A token for a machine client (client credentials), narrowed to ``scope`` when asked."""
    client = await session.get(Client, client_id)
    if (
        client is None
        or not client.active
        or not await asyncio.to_thread(verify_secret, client.secret_hash, client_secret)
    ):
        raise DomainError(ErrorKind.UNAUTHENTICATED, "unauthorized", "Unknown client or wrong secret.")
    scopes = client.scopes
    if scope:
        asked = set(scope.split())
        if not asked <= set(client.scopes):
            raise _forbidden(
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
        issuer=issuer,
        audience=audience,
        ttl_seconds=TOKEN_TTL_SECONDS,
        now=datetime.now(UTC),
    )
    return token, scopes


def _require_province(principal: Principal) -> None:
    if not principal.region_code.endswith("0000"):
        raise _forbidden("insufficient-level", "Signing keys are managed by a province-level office admin.")


async def rotate_signing_key(session: AsyncSession, principal: Principal) -> str:
    """Add a new signing key; older keys stay published until retired. Returns its key id."""
    _require_province(principal)
    key = await rotate_key(session)
    await audit.record(session, principal=principal, action="signing_key.rotate", target=key.kid)
    return key.kid


async def retire_signing_key(session: AsyncSession, principal: Principal, kid: str) -> None:
    """Retire an older signing key: the tokens it signed stop verifying."""
    _require_province(principal)
    newest = await active_key(session)
    row = await session.get(SigningKeyRow, kid, with_for_update=True)
    if row is None or not row.active:
        raise not_found("signing key", kid)
    if row.kid == newest.kid:
        raise DomainError(
            ErrorKind.CONFLICT,
            "signing-key-in-use",
            "This is the newest key; rotate first, then retire the old one.",
        )
    row.active = False
    row.retired_at = datetime.now(UTC)
    await audit.record(session, principal=principal, action="signing_key.retire", target=kid)


async def bootstrap_administrator(session: AsyncSession, settings: RegistrySettings, clock: Clock) -> None:
    """On a new installation (nobody registered yet), create the first administrator ``admin``."""
    if await repo.count_people(session) != 0:
        return
    password = settings.bootstrap_password
    if not password:
        if settings.environment == "production":
            raise RuntimeError(
                "no people yet: set GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD to create the first administrator"
            )
        password = DEVELOPMENT_ADMIN_PASSWORD
    person = Person(
        id=new_id(),
        username="admin",
        display_name="Platform administrator",
        password_hash=hash_secret(password),
        region_code=settings.bootstrap_region,
        roles=("office_admin", "auditor"),
    )
    await _announce(session, person, None, clock)
    session.add(person_to_row(person))
    await write_recorded(session, person)
    log.warning(
        "created the first administrator 'admin'; change its password", extra={"region": person.region_code}
    )


async def _announce(session: AsyncSession, person: Person, unit_id: str | None, clock: Clock) -> None:
    """Record PersonRegistered naming the person's unit or, for office staff without one, their region's
    competent office; when that office is not registered yet, the announcement waits for it."""
    if unit_id is None:
        office = await units_repo.office_of_region(session, person.region_code)
        unit_id = office.id if office is not None else None
    if unit_id is None:
        return
    person.announced_unit_id = unit_id
    person.record(
        PersonRegistered(
            occurred_at=clock.now(),
            person_id=person.id,
            name=person.display_name,
            unit_id=unit_id,
            region_code=person.region_code,
            roles=person.roles,
        )
    )


async def announce_waiting_people(session: AsyncSession, office: Unit, clock: Clock) -> int:
    """Announce the people of the office's region who waited for their office to be registered."""
    waiting = [person_from_row(r) for r in await repo.unannounced_in_region(session, office.region_code)]
    for person in waiting:
        await _announce(session, person, office.id, clock)
        row = await session.get(PersonRow, person.id)
        assert row is not None
        person_to_row(person, row)
        await write_recorded(session, person)
    return len(waiting)
