"""Request and response models of accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from govmedia_common.events import AttentionTier, Platform
from govmedia_common.inputs import BoundedDate, Identifier, ShortText
from govmedia_common.json_values import JsonBool, JsonInt
from govmedia_registry.schemas import In, Name, Out, ShortKeyword


class Operators(In):
    editors: list[ShortKeyword] = Field(default_factory=list, max_length=50, description="采编人员")
    reviewers: list[ShortKeyword] = Field(default_factory=list, max_length=50, description="审核人员")
    security_officer: Name | None = Field(None, description="安全责任人")


class Outsourcing(In):
    """委托代运营: the vendor and its contract."""

    vendor: Name
    licence_no: ShortText | None = Field(None, description="Unified social credit code or licence number")
    contract_start: BoundedDate
    contract_end: BoundedDate


class AccountDraft(In):
    name: Name = Field(examples=["路桥市场监管"])
    platform: Platform
    platform_account_id: ShortText | None = None
    unit_id: Identifier
    attention_tier: AttentionTier = AttentionTier.ORDINARY
    interaction_enabled: JsonBool = True
    review_levels: JsonInt = Field(3, ge=2, le=3)
    operators: Operators = Field(default_factory=Operators)
    outsourcing: Outsourcing | None = None


class AccountChanges(In):
    name: Name | None = None
    platform_account_id: ShortText | None = None
    attention_tier: AttentionTier | None = None
    interaction_enabled: JsonBool | None = None
    review_levels: JsonInt | None = Field(None, ge=2, le=3)
    operators: Operators | None = None
    outsourcing: Outsourcing | None = None


class AccountOut(Out):
    id: str
    name: str
    platform: str
    platform_account_id: str | None
    unit_id: str
    region_code: str
    status: str
    attention_tier: str
    interaction_enabled: bool
    review_levels: int
    certified: bool
    matrix_badge: str | None
    operators: dict[str, Any]
    outsourcing: dict[str, Any] | None
    stop_update_notice: dict[str, Any] | None
    merged_into: str | None
    effective_on: date | None
    version: int


class AccountPatch(In):
    """Details that change without a filing."""

    interaction_enabled: JsonBool | None = None
    attention_tier: AttentionTier | None = None
    operators: Operators | None = None
    outsourcing: Outsourcing | None = None
    platform_account_id: ShortText | None = None


class StopNoticeIn(In):
    published_on: BoundedDate
    url: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=2000)


class CertificationIn(In):
    certified: JsonBool = True
    platform_certificate: ShortText | None = Field(
        None, description="The platform's certification reference."
    )


class HistoryOut(Out):
    at: datetime
    kind: str
    actor_id: str | None
    filing_id: str | None
    data: dict[str, Any]


class NameCheckIn(In):
    """A proposed account name, checked as a filing would check it, without filing anything."""

    name: Name = Field(examples=["路桥发布"])
    unit_id: str = Field(max_length=64, description="The host unit the account would belong to.")
    platform: Platform
    account_id: str | None = Field(
        None,
        max_length=64,
        description="When renaming an existing account: that account (not compared with itself).",
    )


class NamingViolationOut(BaseModel):
    rule: str = Field(
        description="R1 region, R2 duties, R3 same name, R4 one per platform, R5 personal, R6 campaign"
    )
    code: str = Field(description="The problem code a filing with this name gets, e.g. naming-r4")
    message_zh: str
    message_en: str


class NameCheckOut(BaseModel):
    name: str
    compliant: bool
    violations: list[NamingViolationOut] = Field(description="Every rule the name breaks, and why.")
