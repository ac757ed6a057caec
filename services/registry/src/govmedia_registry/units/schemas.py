"""Request and response models of units."""

from __future__ import annotations

from pydantic import Field

from govmedia_registry.schemas import In, Name, Out, RegionCode, ShortKeyword
from govmedia_registry.units.domain import UnitKind


class UnitIn(In):
    name: Name = Field(examples=["台州市路桥区市场监督管理局"])
    short_name: Name = Field(description="Name without the region, e.g. 市场监管局", examples=["市场监管局"])
    kind: UnitKind = UnitKind.HOST_UNIT
    region_code: RegionCode
    duty_keywords: list[ShortKeyword] = Field(
        max_length=100,
        default_factory=list,
        examples=[["市场监管", "食品安全"]],
        description="Words of the unit's duties: account names must relate to them (naming rule R2). "
        "A unit whose duties include publishing government information (信息发布) may also use the region's "
        "generic release words (发布, 政务, 在线, 之声 …; setting registry.naming_release_words).",
    )
    principal_name: Name | None = Field(None, description="主要负责人")
    deputy_head_name: Name | None = Field(None, description="分管负责人")
    liaison_person_id: str | None = Field(
        None, max_length=64, description="The registered person who is 联络员"
    )
    contact_email: str | None = Field(None, max_length=200)
    contact_phone: str | None = Field(None, max_length=50)


class UnitPatch(In):
    """Unit details to change (absent fields stay); the region and the kind never change."""

    name: Name | None = None
    short_name: Name | None = None
    duty_keywords: list[ShortKeyword] | None = Field(None, max_length=100)
    principal_name: Name | None = None
    deputy_head_name: Name | None = None
    liaison_person_id: str | None = Field(None, max_length=64)
    contact_email: str | None = Field(None, max_length=200)
    contact_phone: str | None = Field(None, max_length=50)


class UnitOut(Out):
    id: str
    name: str
    short_name: str
    kind: str
    region_code: str
    duty_keywords: list[str]
    principal_name: str | None = None
    deputy_head_name: str | None = None
    liaison_person_id: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    version: int = 1
