"""The one mapping between region rows and the domain: a ``regions`` row ↔ :class:`RegionRecord`, and a
region's settings document ↔ :class:`RegistryRules` (``RegistryRules.from_settings``/``to_settings``)."""

from __future__ import annotations

from govmedia_registry.models import Region
from govmedia_registry.regions.domain import RegionLevel, RegionRecord


def region_from_row(row: Region) -> RegionRecord:
    return RegionRecord(
        code=row.code, name=row.name, level=RegionLevel(row.level), parent_code=row.parent_code
    )


def region_to_row(record: RegionRecord, row: Region | None = None) -> Region:
    row = row or Region(code=record.code)
    row.name = record.name
    row.level = str(record.level)
    row.parent_code = record.parent_code
    return row
