"""Events the registry owns: accounts and their filings (``gov.registry.accounts``, key ``account_id``),
region settings and calendars (``gov.registry.settings``, key ``region_code``), people
(``gov.registry.people``, key ``person_id``). Topic, aggregate and key are declared once, on the base
class of each topic.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from govmedia_common.events.base import Fact
from govmedia_common.events.types import (
    FrozenValue,
    NonEmpty,
    Platform,
    RegionCode,
    Uuid,
)

__all__ = [
    "AccountAnnounced",
    "AccountApproved",
    "AccountChanged",
    "AccountDeregistered",
    "AccountFiled",
    "AccountMerged",
    "AccountOpened",
    "AccountRejected",
    "AccountReturned",
    "AccountSnapshot",
    "AccountStatus",
    "AccountSuspended",
    "AccountWithdrawn",
    "ApprovalLevel",
    "AttentionTier",
    "FilingType",
    "PersonRegistered",
    "RegionSettingsChanged",
    "UnitChanged",
    "UnitRegistered",
    "WorkCalendarLoaded",
]


class AccountStatus(StrEnum):
    """Where an account stands in its life cycle."""

    PENDING = "pending"  # an opening filing is under review (备案审核中)
    RETURNED = "returned"  # the opening filing came back for amendment (退回修改)
    REJECTED = "rejected"  # the opening filing was refused (不予备案)
    ANNOUNCING = "announcing"  # approved, public announcement running before it opens (公示中)
    ACTIVE = "active"  # open and running (正常运行)
    SUSPENDED = "suspended"  # closed down (关停)
    MERGED = "merged"  # merged into another account (整合)
    DEREGISTERED = "deregistered"  # deregistered (注销)


class AttentionTier(StrEnum):
    """Attention tier: high-attention accounts (重点关注) must update at least weekly."""

    ORDINARY = "ordinary"
    HIGH = "high"


class FilingType(StrEnum):
    """Kind of filing (备案): opening, change, merge, suspension or deregistration."""

    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    MERGE = "merge"  # 整合
    SUSPEND = "suspend"  # 关停
    DEREGISTER = "deregister"  # 注销


class ApprovalLevel(StrEnum):
    """A level of the level-by-level approval of filings (逐级审核)."""

    UNIT = "unit"  # the host unit (主办单位)
    COUNTY = "county"  # county competent office
    CITY = "city"  # city competent office
    PROVINCE = "province"  # province competent office


class AccountSnapshot(FrozenValue):
    """The state of an account right after an event: enough for a consumer to keep its own projection."""

    account_id: Uuid = Field(description="The account's id in the registry.")
    name: NonEmpty = Field(description="Account name as shown on the platform.")
    platform: Platform = Field(description="Platform the account lives on.")
    platform_account_id: str | None = Field(
        description="The platform's own id of the account; None until the platform account exists."
    )
    unit_id: Uuid = Field(description="Host unit (主办单位) answering for the account.")
    unit_name: NonEmpty = Field(description="Name of the host unit.")
    region_code: RegionCode = Field(description="Region (GB/T 2260 code) of the host unit.")
    status: AccountStatus = Field(description="Life-cycle status after the event.")
    attention_tier: AttentionTier = Field(
        description="Attention tier; high-attention accounts update weekly."
    )
    interaction_enabled: bool = Field(description="Whether public interaction (comments, messages) is on.")
    review_levels: int = Field(
        ge=2, le=3, description="Number of human review levels every post goes through."
    )
    certified: bool = Field(description="Whether the platform has certified the account (认证).")
    matrix_badge: str | None = Field(
        description="Matrix badge number (矩阵标识) once the registry issued one."
    )
    outsourced: bool = Field(description="Whether operation is outsourced to a vendor (委托代运营).")


class _RegistryEvent(Fact, service="registry"):
    """Events the registry owns."""


class _AccountEvent(_RegistryEvent, topic="gov.registry.accounts", aggregate="account", key="account_id"):
    """Registry events about one account; they carry its snapshot after the event."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    account: AccountSnapshot = Field(description="The account as it stands after this event.")

    @model_validator(mode="after")
    def _snapshot_matches(self) -> Self:
        if self.account.account_id != self.account_id:
            raise ValueError("account.account_id must equal account_id")
        return self


class _FilingEvent(_AccountEvent):
    """Registry events about one filing (备案) of an account."""

    filing_id: Uuid = Field(description="The filing.")
    actor_id: NonEmpty = Field(
        description="Who did it: a person id (UUID) or a machine client id, as in the caller's token subject."
    )


class AccountFiled(_FilingEvent, type="gov.registry.account.filed.v1"):
    """A filing (备案) was submitted: opening, change, merge, suspension or deregistration of an account."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    levels: tuple[ApprovalLevel, ...] = Field(
        min_length=1, description="The approval chain this filing goes through, first level first (逐级审核)."
    )
    event_on: date | None = Field(
        default=None,
        description="Day the underlying event happened, if it already did; filings are due within "
        "7 working days of it.",
    )
    reason: str | None = Field(
        default=None, description="Why, as stated by the filer (for changes and closures)."
    )


class AccountApproved(_FilingEvent, type="gov.registry.account.approved.v1"):
    """One approval level passed a filing; ``final`` tells whether it was the last one."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    level: ApprovalLevel = Field(description="The level that approved.")
    final: bool = Field(description="True when no further level has to approve.")
    next_level: ApprovalLevel | None = Field(description="The level that reviews next; None when final.")
    comment: str | None = Field(default=None, description="Approver's comment, if any.")

    @model_validator(mode="after")
    def _next_level_iff_not_final(self) -> Self:
        if self.final == (self.next_level is not None):
            raise ValueError("next_level must be set exactly when the approval is not final")
        return self


class AccountRejected(_FilingEvent, type="gov.registry.account.rejected.v1"):
    """A filing was refused for good (不予备案) at some level."""

    filing_type: FilingType = Field(description="What the filing asked for.")
    level: ApprovalLevel = Field(description="The level that refused.")
    reason: NonEmpty = Field(description="Why it was refused.")


class AccountWithdrawn(_FilingEvent, type="gov.registry.account.withdrawn.v1"):
    """The filer took an undecided filing back (撤回); an account that was only being opened is dropped."""

    filing_type: FilingType = Field(description="What the filing asked for.")
    level: ApprovalLevel | None = Field(
        default=None, description="The level the filing waited at; None when it was returned for amendment."
    )
    reason: str | None = Field(default=None, description="Why, as stated by the filer.")


class AccountReturned(_FilingEvent, type="gov.registry.account.returned.v1"):
    """A filing was returned to the filer for amendment (退回修改); it can be filed again."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    level: ApprovalLevel = Field(description="The level that returned it.")
    reason: NonEmpty = Field(description="What has to be amended.")
    amend_by: date | None = Field(default=None, description="Day by which the amended filing is expected.")


class AccountAnnounced(_FilingEvent, type="gov.registry.account.announced.v1"):
    """The public announcement (公示) of an approved filing started; it takes effect after ``ends_on``."""

    filing_type: FilingType = Field(description="What is being announced.")
    starts_on: date = Field(description="First day of the announcement.")
    ends_on: date = Field(description="Last day of the announcement (at least 15 working days by default).")
    working_days: int = Field(ge=1, description="Length of the announcement in working days.")
    announcement_url: str | None = Field(default=None, description="Where the announcement is published.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class AccountOpened(_AccountEvent, type="gov.registry.account.opened.v1"):
    """An opening (开设) took effect: the account is active from ``effective_on``."""

    filing_id: Uuid | None = Field(
        description="The opening filing; None for an account imported from an earlier registry."
    )
    actor_id: NonEmpty = Field(
        description="Who did it (person id or machine client id); 'system' for schedules."
    )
    effective_on: date = Field(description="Day the account counts as open.")


class AccountChanged(_AccountEvent, type="gov.registry.account.changed.v1"):
    """Recorded details of an account changed (变更), after a change filing or an administrative update."""

    filing_id: Uuid | None = Field(
        description="The change filing; None for updates that need none (matrix badge issued, tier set...)."
    )
    actor_id: NonEmpty = Field(description="Who did it (person id or machine client id).")
    changed_fields: tuple[str, ...] = Field(
        min_length=1, description="Names of the AccountSnapshot fields that changed."
    )
    previous: AccountSnapshot = Field(description="The account as it stood before the change.")
    effective_on: date = Field(description="Day the change takes effect.")

    @model_validator(mode="after")
    def _same_account(self) -> Self:
        if self.previous.account_id != self.account_id:
            raise ValueError("previous.account_id must equal account_id")
        unknown = set(self.changed_fields) - set(AccountSnapshot.model_fields)
        if unknown:
            raise ValueError(f"changed_fields names unknown snapshot fields: {sorted(unknown)}")
        return self


class AccountMerged(_FilingEvent, type="gov.registry.account.merged.v1"):
    """Accounts were merged (整合) into the surviving account ``account_id``.

    Keyed by the surviving account. The merged-away accounts get no event of their own: their final snapshots
    (status ``merged``) travel in ``merged_accounts``.
    """

    merged_account_ids: tuple[Uuid, ...] = Field(
        min_length=1, description="Accounts merged away into the surviving one."
    )
    merged_accounts: tuple[AccountSnapshot, ...] = Field(
        min_length=1, description="Final snapshots of the merged-away accounts, in merged_account_ids order."
    )
    effective_on: date = Field(description="Day the merge took effect.")

    @property
    def surviving_account_id(self) -> str:
        """The account that remains (the same as ``account_id``)."""
        return self.account_id

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.account_id in self.merged_account_ids:
            raise ValueError("the surviving account cannot be merged away")
        if len(set(self.merged_account_ids)) != len(self.merged_account_ids):
            raise ValueError("merged_account_ids has duplicates")
        if tuple(a.account_id for a in self.merged_accounts) != self.merged_account_ids:
            raise ValueError("merged_accounts must match merged_account_ids one for one")
        return self


class AccountSuspended(_FilingEvent, type="gov.registry.account.suspended.v1"):
    """An account was closed down (关停)."""

    reason: NonEmpty = Field(description="Why it was closed down.")
    effective_on: date = Field(description="Day the suspension took effect.")


class AccountDeregistered(_FilingEvent, type="gov.registry.account.deregistered.v1"):
    """An account was deregistered (注销); its history stays queryable."""

    reason: NonEmpty = Field(description="Why it was deregistered.")
    effective_on: date = Field(description="Day the deregistration took effect.")
    stop_notice_on: date | None = Field(
        default=None, description="Day the stop-update notice (停更公告) was published on the account."
    )


class _SettingsEvent(_RegistryEvent, topic="gov.registry.settings", aggregate="region", key="region_code"):
    """Registry events about one region's settings and calendar (keyed by the region code)."""


class RegionSettingsChanged(_SettingsEvent, type="gov.registry.region_settings.changed.v1"):
    """An administrator changed a region's thresholds and settings (e.g. days before 'not updated')."""

    region_code: RegionCode = Field(description="The region (GB/T 2260 code; Kafka key).")
    settings: dict[str, Any] = Field(
        description="All settings set explicitly at this region after the change. A key not present inherits "
        "from the parent region (derivable from the code), then from the platform default."
    )
    changed_keys: tuple[str, ...] = Field(description="Keys whose value changed, was added or was removed.")
    version: int = Field(ge=1, description="Per-region revision number; increases by one with each change.")
    actor_id: NonEmpty = Field(description="Who changed them (person id or machine client id).")


class WorkCalendarLoaded(_SettingsEvent, type="gov.registry.work_calendar.loaded.v1"):
    """A year's official holiday schedule was loaded (节假日安排), including swapped working weekends (调休).

    A year without a loaded schedule is unknown: working-day arithmetic in it must fail, never guess.
    """

    region_code: RegionCode = Field(
        description="Region the schedule applies to, with everything below it (normally the province root)."
    )
    year: int = Field(ge=2000, le=2100, description="The calendar year.")
    holidays: tuple[date, ...] = Field(
        description="Days off of the published schedule (weekend days in a holiday may be listed), sorted."
    )
    workdays: tuple[date, ...] = Field(description="Weekend days that are working days (调休上班), sorted.")
    loaded_by: NonEmpty = Field(description="Who loaded it (person id or machine client id).")
    source_document: str | None = Field(
        default=None, description="Title of the notice the schedule comes from (国务院办公厅通知)."
    )

    @model_validator(mode="after")
    def _within_year(self) -> Self:
        for day in (*self.holidays, *self.workdays):
            if day.year != self.year:
                raise ValueError(f"{day} is outside {self.year}")
        if set(self.holidays) & set(self.workdays):
            raise ValueError("a day cannot be both a holiday and a working day")
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(f"{day} is a weekday; workdays lists swapped weekend days only")
        return self

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted(cls, days: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(days)))


class _PersonEvent(_RegistryEvent, topic="gov.registry.people", aggregate="person", key="person_id"):
    """Registry events about one person (keyed by the person)."""


class PersonRegistered(_PersonEvent, type="gov.registry.person.registered.v1"):
    """A person (staff member of a unit or office) was registered with their roles."""

    person_id: Uuid = Field(description="The person (Kafka key).")
    name: NonEmpty = Field(description="Full name, as recorded with reviews and notices.")
    unit_id: Uuid = Field(
        description="Unit or office the person belongs to; for office staff registered without a unit, the "
        "competent office (主管单位) of their region (announced once that office is registered)."
    )
    region_code: RegionCode = Field(description="Region of that unit.")
    roles: tuple[str, ...] = Field(
        description="Roles, e.g. editor (采编), reviewer (审核), final_approver (终审), unit_admin, liaison "
        "(联络员), office_staff, auditor."
    )


class _UnitEvent(_RegistryEvent, topic="gov.registry.units", aggregate="unit", key="unit_id"):
    """Registry events about one unit or competent office (keyed by the unit)."""

    unit_id: Uuid = Field(description="The unit (Kafka key).")
    name: NonEmpty = Field(description="Official name of the unit, e.g. 台州市路桥区人民政府办公室.")
    region_code: RegionCode = Field(description="Region (GB/T 2260 code) of the unit.")
    kind: Literal["unit", "office"] = Field(
        description="unit: a host unit (主办单位) running accounts; office: a competent office (主管单位)."
    )
    duty_keywords: tuple[str, ...] = Field(
        description="Words of the unit's duties (职责) its account names relate to."
    )
    principal_name: str | None = Field(default=None, description="Name of the principal head (主要负责人).")
    deputy_head_name: str | None = Field(
        default=None, description="Name of the deputy head in charge of new media (分管负责人)."
    )
    liaison_person_id: Uuid | None = Field(
        default=None, description="The registered person who is the unit's liaison (联络员), if any."
    )
    contact_email: str | None = Field(
        default=None, description="Where notices to the unit are sent by e-mail."
    )
    contact_phone: str | None = Field(default=None, description="The unit's contact telephone number.")


class UnitRegistered(_UnitEvent, type="gov.registry.unit.registered.v1"):
    """A host unit or competent office was registered, with its contacts as known then."""

    actor_id: str | None = Field(default=None, description="Who registered it (person or machine client id).")


class UnitChanged(_UnitEvent, type="gov.registry.unit.changed.v1"):
    """A unit's details changed; the event carries all of them as they are now."""

    changed_fields: tuple[str, ...] = Field(description="Names of the fields whose value changed.")
    actor_id: str | None = Field(default=None, description="Who changed them (person or machine client id).")
