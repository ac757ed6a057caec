"""Units: registering host units and competent offices, and finding the ones a caller may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.outbox import write_recorded
from govmedia_common.ids import new_id
from govmedia_common.scoping import ensure_visible
from govmedia_common.workdays import Clock
from govmedia_registry.identity.service import announce_waiting_people
from govmedia_registry.models import Person as PersonRow
from govmedia_registry.regions import repository as regions_repo
from govmedia_registry.regions.domain import normalise
from govmedia_registry.units import repository as repo
from govmedia_registry.units.domain import Unit, UnitKind
from govmedia_registry.units.mapping import unit_from_row, unit_to_row


async def _ensure_name_free(session: AsyncSession, region_code: str, name: str, unit_id: str | None) -> None:
    """A unit name is unique in its region as a reader reads it: compared as the naming rules compare names
    (NFKC: full-width and half-width forms, compatibility ideographs; spaces left out; traditional characters
    read as simplified ones, 臺州 as 台州); the name is stored as written. Names of one region are checked
    one transaction at a time (a lock held until commit), so two look-alikes sent at the same instant cannot
    both pass: the second is checked once the first is stored."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('govmedia:unit-names:' || :region))"),
        {"region": region_code},
    )
    key = normalise(name)
    for other_id, other_name in await repo.unit_names_in_region(session, region_code):
        if other_id != unit_id and other_name != name and normalise(other_name) == key:
            raise DomainError(
                ErrorKind.CONFLICT,
                "unit-name-taken",
                f"Region {region_code} already has a unit named {other_name!r}; {name!r} reads the same "
                "(full-width or half-width forms, compatibility characters, traditional or simplified "
                "characters and spaces aside). Choose another name.",
            )


async def create_unit(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    short_name: str,
    kind: UnitKind,
    region_code: str,
    duty_keywords: list[str],
    clock: Clock,
    contacts: dict[str, Any] | None = None,
) -> Unit:
    """Register a unit in a region of the caller's subtree; names are unique within a region."""
    if await regions_repo.get_region(session, region_code) is None:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "unknown-region",
            f"Region {region_code} is not in the registry's region tree.",
        )
    if not principal.can_see_region(region_code):
        raise DomainError(
            ErrorKind.FORBIDDEN, "outside-region", f"Region {region_code} is outside your region."
        )
    unit = Unit(
        id=new_id(),
        name=name,
        short_name=short_name,
        kind=kind,
        region_code=region_code,
        duty_keywords=tuple(duty_keywords),
        **(contacts or {}),
    )
    await _check_liaison(session, unit)
    await _ensure_name_free(session, region_code, name, None)
    unit.registered(actor_id=principal.subject, at=clock.now())
    try:
        async with session.begin_nested():  # a duplicate name is the caller's conflict, not a server error
            row = unit_to_row(unit)
            session.add(row)
            await session.flush()
        unit.version = row.version  # the first version: what GET answers and If-Match expects
    except IntegrityError as exc:
        raise DomainError(
            ErrorKind.CONFLICT, "unit-name-taken", f"Region {region_code} already has a unit named {name!r}."
        ) from exc
    await write_recorded(session, unit)
    if unit.kind is UnitKind.COMPETENT_OFFICE:
        await announce_waiting_people(session, unit, clock)
    await audit.record(session, principal=principal, action="unit.create", target=unit.id)
    return unit


async def load_unit(session: AsyncSession, unit_id: str, *, lock: bool = False) -> Unit | None:
    row = await repo.get_unit(session, unit_id, lock=lock)
    return unit_from_row(row) if row is not None else None


async def patch_unit(
    session: AsyncSession, principal: Principal, unit: Unit, changes: dict[str, Any], clock: Clock
) -> Unit:
    """Edit a unit's details (office admin of its region); audited and announced as UnitChanged."""
    if not principal.can_see_region(unit.region_code):
        raise not_found("unit", unit.id)
    changed = unit.change(changes, actor_id=principal.subject, at=clock.now())
    if "liaison_person_id" in changed:
        await _check_liaison(session, unit)
    if "name" in changed:
        await _ensure_name_free(session, unit.region_code, unit.name, unit.id)
    row = await repo.get_unit(session, unit.id)
    assert row is not None
    try:
        async with session.begin_nested():
            unit_to_row(unit, row)
            await session.flush()
    except IntegrityError as exc:
        raise DomainError(
            ErrorKind.CONFLICT,
            "unit-name-taken",
            f"Region {unit.region_code} already has a unit named {unit.name!r}.",
        ) from exc
    unit.version = row.version
    await write_recorded(session, unit)
    await audit.record(
        session, principal=principal, action="unit.patch", target=unit.id, detail={"fields": list(changed)}
    )
    return unit


async def visible_unit(session: AsyncSession, principal: Principal, unit_id: str) -> Unit:
    """The unit if the caller may see it (404 otherwise)."""
    row = await repo.get_unit(session, unit_id)
    if row is None:
        raise not_found("unit", unit_id)
    ensure_visible(principal, row.region_code, row.id, "unit", unit_id)
    return unit_from_row(row)


async def _check_liaison(session: AsyncSession, unit: Unit) -> None:
    """The liaison (联络员) is a registered, active person of the unit (or, for an office, of its region)."""
    if unit.liaison_person_id is None:
        return
    person = await session.get(PersonRow, unit.liaison_person_id)
    belongs = (
        person is not None
        and person.active
        and (
            person.unit_id == unit.id
            or (
                unit.kind is UnitKind.COMPETENT_OFFICE
                and person.unit_id is None
                and person.region_code == unit.region_code
            )
        )
    )
    if not belongs:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "unknown-liaison",
            f"liaison_person_id {unit.liaison_person_id} is not an active person registered with this unit.",
        )
