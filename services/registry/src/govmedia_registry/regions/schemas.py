"""Request and response models of regions and their settings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govmedia_common.json_values import JsonDocument
from govmedia_registry.schemas import In


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None


class RegionSettingsIn(In):
    settings: JsonDocument = Field(
        max_length=20,
        description="Sections per service, e.g. {'registry': {'filing_deadline_workdays': 7, "
        "'approval_levels': {'open': ['unit','county','city','province']}}, 'monitor': {...}}. "
        "A key left out inherits from the parent region.",
    )


class RegionSettingsOut(BaseModel):
    region_code: str
    own: dict[str, Any] = Field(description="Settings set at this region.")
    effective: dict[str, Any] = Field(description="What applies here after inheritance and defaults.")
    version: int
