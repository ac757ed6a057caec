"""The one mapping between region rows and the domain: a ``regions`` row ↔ :class:`RegionRecord`, and a
region's settings document ↔ :class:`RegistryRules` (``RegistryRules.from_settings``/``to_settings``)."""

from __future__ import annotations

from govmedia_registry.models import Region, RegionSettings
from govmedia_registry.regions.domain import RegionLevel, RegionRecord, RegionSettingsDocument


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


def settings_from_row(code: str, row: RegionSettings | None) -> RegionSettingsDocument:
    """The region's settings document (an empty one, version 0, when nothing is set there)."""
    if row is None:
        return RegionSettingsDocument(region_code=code)
    return RegionSettingsDocument(
        region_code=row.region_code,
        settings=dict(row.settings),
        version=row.version,
        updated_by=row.updated_by,
    )


def settings_to_row(document: RegionSettingsDocument, row: RegionSettings | None = None) -> RegionSettings:
    row = row or RegionSettings(region_code=document.region_code)
    row.settings = dict(document.settings)
    row.version = document.version
    row.updated_by = document.updated_by
    return row
