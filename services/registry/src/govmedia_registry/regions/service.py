"""Regions and their settings: seeding the tree, settings with inheritance, the registry rules of a region."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import not_found
from govmedia_common.events.outbox import write_recorded
from govmedia_common.workdays import Clock
from govmedia_registry.models import RegionSettings
from govmedia_registry.regions import authority
from govmedia_registry.regions import repository as repo
from govmedia_registry.regions.domain import RegionRecord, parent_code, region_path
from govmedia_registry.regions.mapping import region_to_row, settings_from_row, settings_to_row
from govmedia_registry.regions.rules import RegistryRules


async def seed_regions(session: AsyncSession, records: list[RegionRecord]) -> int:
    """Add the regions not yet in the tree; returns how many were added."""
    existing = {r.code for r in await repo.regions_in(session, "")}
    added = [region_to_row(rec) for rec in records if rec.code not in existing]
    session.add_all(added)
    return len(added)


async def effective_settings(session: AsyncSession, region_code: str) -> dict[str, Any]:
    """Settings after inheritance: province, then city, then county; the nearer region wins per key."""
    merged: dict[str, Any] = {}
    for row in await repo.settings_on_path(session, region_path(region_code)):
        for section, values in row.settings.items():
            if isinstance(values, dict):
                merged.setdefault(section, {}).update(values)
            else:
                merged[section] = values
    return merged


async def registry_rules(session: AsyncSession, region_code: str) -> RegistryRules:
    """The registry's rules as they apply in ``region_code``."""
    return RegistryRules.from_settings((await effective_settings(session, region_code)).get("registry", {}))


async def visible_region(session: AsyncSession, principal: Principal, code: str) -> None:
    """404 unless the region exists inside the caller's subtree."""
    if not principal.can_see_region(code) or await repo.get_region(session, code) is None:
        raise not_found("region", code)


async def settings_view(session: AsyncSession, code: str) -> dict[str, Any]:
    """A region's own settings, what applies there, and the version of its own settings."""
    row = await repo.get_settings(session, code)
    effective = await effective_settings(session, code)
    effective["registry"] = RegistryRules.from_settings(effective.get("registry", {})).to_settings()
    return {
        "region_code": code,
        "own": row.settings if row else {},
        "effective": effective,
        "version": row.version if row else 0,
    }


async def put_settings(
    session: AsyncSession, principal: Principal, code: str, settings: dict[str, Any], clock: Clock
) -> RegionSettings:
    """Replace a region's own settings (validated as they would apply there) and announce the change."""
    authority.check_sections(settings)
    registry_section = settings.get("registry", {})
    # Validate what this region would end up with, not only its own keys.
    parent = parent_code(code)
    merged = await effective_settings(session, parent) if parent else {}
    RegistryRules.from_settings({**merged.get("registry", {}), **registry_section})
    # Judged as a whole, and never looser than the regions above allow (regions/authority.py).
    path = region_path(code)
    above = [row.settings for row in await repo.settings_on_path(session, path[:-1])]
    authority.check(above, settings, is_top=parent is None)
    row = await repo.get_settings(session, code, lock=True)
    document = settings_from_row(code, row)
    changed = list(document.replace(settings, actor_id=principal.subject, at=clock.now()))
    if row is None:
        row = settings_to_row(document)
        session.add(row)
    else:
        settings_to_row(document, row)
        row.updated_at = clock.now()
    await session.flush()
    await write_recorded(session, document)
    await audit.record(
        session, principal=principal, action="region.settings.put", target=code, detail={"changed": changed}
    )
    return row
