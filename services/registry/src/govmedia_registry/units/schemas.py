"""Request and response models of units."""

from __future__ import annotations

from pydantic import Field

from govmedia_registry.schemas import In, Name, Out, RegionCode
from govmedia_registry.units.domain import UnitKind


class UnitIn(In):
    name: Name = Field(examples=["台州市路桥区市场监督管理局"])
    short_name: Name = Field(description="Name without the region, e.g. 市场监管局", examples=["市场监管局"])
    kind: UnitKind = UnitKind.HOST_UNIT
    region_code: RegionCode
    duty_keywords: list[str] = Field(default_factory=list, examples=[["市场监管", "食品安全"]])


class UnitOut(Out):
    id: str
    name: str
    short_name: str
    kind: str
    region_code: str
    duty_keywords: list[str]
