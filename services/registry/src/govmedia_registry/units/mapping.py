"""The one mapping between a ``units`` row and the :class:`Unit` domain object."""

from __future__ import annotations

from govmedia_registry.mapping_kit import assign
from govmedia_registry.models import Unit as UnitRow
from govmedia_registry.units.domain import Unit, UnitKind


def unit_from_row(row: UnitRow) -> Unit:
    return Unit(
        id=row.id,
        name=row.name,
        short_name=row.short_name,
        kind=UnitKind(row.kind),
        region_code=row.region_code,
        duty_keywords=tuple(row.duty_keywords or ()),
        principal_name=row.principal_name,
        deputy_head_name=row.deputy_head_name,
        liaison_person_id=row.liaison_person_id,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        version=row.version or 0,
    )


def unit_to_row(unit: Unit, row: UnitRow | None = None) -> UnitRow:
    """Write the unit onto ``row`` (a new row when None); the version counter is the database's."""
    row = row or UnitRow(id=unit.id)
    assign(row, "name", unit.name)
    assign(row, "short_name", unit.short_name)
    assign(row, "kind", str(unit.kind))
    assign(row, "region_code", unit.region_code)
    assign(row, "duty_keywords", list(unit.duty_keywords))
    for key in ("principal_name", "deputy_head_name", "liaison_person_id", "contact_email", "contact_phone"):
        assign(row, key, getattr(unit, key))
    return row
