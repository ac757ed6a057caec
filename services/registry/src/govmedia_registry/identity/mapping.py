"""The one mapping between a ``people`` row and the :class:`Person` domain object."""

from __future__ import annotations

from govmedia_registry.identity.domain import Person
from govmedia_registry.mapping_kit import assign
from govmedia_registry.models import Person as PersonRow


def person_from_row(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        unit_id=row.unit_id,
        region_code=row.region_code,
        roles=tuple(row.roles),
        active=row.active,
        announced_unit_id=row.announced_unit_id,
    )


def person_to_row(person: Person, row: PersonRow | None = None) -> PersonRow:
    row = row or PersonRow(id=person.id)
    assign(row, "username", person.username)
    assign(row, "display_name", person.display_name)
    assign(row, "password_hash", person.password_hash)
    assign(row, "unit_id", person.unit_id)
    assign(row, "region_code", person.region_code)
    assign(row, "roles", list(person.roles))
    assign(row, "active", person.active)
    assign(row, "announced_unit_id", person.announced_unit_id)
    return row
