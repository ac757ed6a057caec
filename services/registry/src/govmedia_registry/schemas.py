"""Request and response models of the registry API (not the ORM models, not the events)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from govmedia_registry.domain import AttentionTier, Platform, UnitKind

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["331004"])]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class RegionOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None


class RegionSettingsIn(_In):
    settings: dict[str, Any] = Field(
        description="Sections per service, e.g. {'registry': {'filing_deadline_workdays': 7, "
        "'approval_levels': {'open': ['unit','county','city','province']}}, 'monitor': {...}}. "
        "A key left out inherits from the parent region."
    )


class RegionSettingsOut(BaseModel):
    region_code: str
    own: dict[str, Any] = Field(description="Settings set at this region.")
    effective: dict[str, Any] = Field(description="What applies here after inheritance and defaults.")
    version: int


class UnitIn(_In):
    name: Name = Field(examples=["台州市路桥区市场监督管理局"])
    short_name: Name = Field(description="Name without the region, e.g. 市场监管局", examples=["市场监管局"])
    kind: UnitKind = UnitKind.HOST_UNIT
    region_code: RegionCode
    duty_keywords: list[str] = Field(default_factory=list, examples=[["市场监管", "食品安全"]])


class UnitOut(BaseModel):
    id: str
    name: str
    short_name: str
    kind: str
    region_code: str
    duty_keywords: list[str]


class PersonIn(_In):
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
    display_name: Name
    password: Annotated[str, Field(min_length=10, max_length=200)]
    unit_id: str | None = None
    region_code: RegionCode
    roles: list[
        Literal[
            "editor",
            "reviewer",
            "approver",
            "unit_admin",
            "liaison",
            "office_staff",
            "office_admin",
            "auditor",
        ]
    ] = Field(min_length=1)


class PersonOut(BaseModel):
    id: str
    username: str
    display_name: str
    unit_id: str | None
    region_code: str
    roles: list[str]
    active: bool


class ClientIn(_In):
    name: Name
    region_code: RegionCode
    unit_id: str | None = None
    scopes: list[str] = Field(min_length=1, examples=[["registry:read"]])


class ClientOut(BaseModel):
    client_id: str
    name: str
    region_code: str
    unit_id: str | None
    scopes: list[str]
    client_secret: str | None = Field(None, description="Shown once, at creation.")


class Operators(_In):
    editors: list[str] = Field(default_factory=list, description="采编人员")
    reviewers: list[str] = Field(default_factory=list, description="审核人员")
    security_officer: str | None = Field(None, description="安全责任人")


class Outsourcing(_In):
    """委托代运营: the vendor and its contract."""

    vendor: Name
    licence_no: str | None = Field(None, description="Unified social credit code or licence number")
    contract_start: date
    contract_end: date


class AccountDraft(_In):
    name: Name = Field(examples=["路桥市场监管"])
    platform: Platform
    platform_account_id: str | None = None
    unit_id: str
    attention_tier: AttentionTier = AttentionTier.ORDINARY
    interaction_enabled: bool = True
    review_levels: int = Field(3, ge=2, le=3)
    operators: Operators = Field(default_factory=Operators)
    outsourcing: Outsourcing | None = None


class AccountChanges(_In):
    name: Name | None = None
    platform_account_id: str | None = None
    attention_tier: AttentionTier | None = None
    interaction_enabled: bool | None = None
    review_levels: int | None = Field(None, ge=2, le=3)
    operators: Operators | None = None
    outsourcing: Outsourcing | None = None


class OpenFilingIn(_In):
    type: Literal["open"]
    event_date: date = Field(description="Day the account was (or will be) opened.")
    account: AccountDraft
    reason: str | None = None


class ChangeFilingIn(_In):
    type: Literal["change"]
    account_id: str
    event_date: date
    changes: AccountChanges
    reason: Name


class MergeFilingIn(_In):
    type: Literal["merge"]
    account_id: str = Field(description="The surviving account.")
    merged_account_ids: list[str] = Field(min_length=1)
    event_date: date
    reason: Name


class SuspendFilingIn(_In):
    type: Literal["suspend"]
    account_id: str
    event_date: date
    reason: Name


class DeregisterFilingIn(_In):
    type: Literal["deregister"]
    account_id: str
    event_date: date
    reason: Name


FilingIn = Annotated[
    OpenFilingIn | ChangeFilingIn | MergeFilingIn | SuspendFilingIn | DeregisterFilingIn,
    Field(discriminator="type"),
]


class DecisionIn(_In):
    decision: Literal["approve", "return", "reject"]
    reason: str | None = Field(None, max_length=2000, description="Required to return or reject.")


class ResubmitIn(_In):
    changes: AccountChanges | None = Field(None, description="Amended account details (open/change filings).")
    event_date: date | None = None


class DecisionOut(BaseModel):
    level: str | None
    decision: str
    actor_id: str
    actor_name: str
    reason: str | None
    at: datetime


class FilingOut(BaseModel):
    id: str
    type: str
    status: str
    account_id: str
    unit_id: str
    region_code: str
    levels: list[str]
    current_level: str | None
    payload: dict[str, Any]
    event_date: date
    filed_on: date
    deadline: date
    late: bool
    announcement_starts_on: date | None
    announcement_ends_on: date | None
    effective: bool
    filed_by: str
    version: int
    decisions: list[DecisionOut] = Field(default_factory=list)


class AccountOut(BaseModel):
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


class AccountPatch(_In):
    """Details that change without a filing."""

    interaction_enabled: bool | None = None
    attention_tier: AttentionTier | None = None
    operators: Operators | None = None
    outsourcing: Outsourcing | None = None
    platform_account_id: str | None = None


class StopNoticeIn(_In):
    published_on: date
    url: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=2000)


class CertificationIn(_In):
    certified: bool = True
    platform_certificate: str | None = Field(None, description="The platform's certification reference.")


class HistoryOut(BaseModel):
    at: datetime
    kind: str
    actor_id: str | None
    filing_id: str | None
    data: dict[str, Any]


class CalendarIn(_In):
    holidays: list[date] = Field(description="Days off of the State Council's schedule for the year.")
    workdays: list[date] = Field(description="Weekend days that are working days (调休上班).")
    source_document: str | None = None


class CalendarOut(BaseModel):
    year: int
    source: Literal["package", "loaded"]
    holidays: list[date]
    workdays: list[date]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    actor_kind: str | None
    actor_region: str | None
    action: str
    target: str | None
    outcome: str
    status_code: int | None
    client_address: str | None
    trace_id: str | None
    detail: dict[str, Any] | None
