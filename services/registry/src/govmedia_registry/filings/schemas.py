"""Request and response models of filings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator

from govmedia_common.inputs import BoundedDate, Identifier, MediumText
from govmedia_registry.accounts.schemas import AccountChanges, AccountDraft
from govmedia_registry.filings.domain import FilingAction
from govmedia_registry.filings.mapping import DECISION_OF
from govmedia_registry.schemas import In, Name, Out


class OpenFilingIn(In):
    type: Literal["open"]
    event_date: BoundedDate = Field(description="Day the account was (or will be) opened.")
    account: AccountDraft
    reason: MediumText | None = None


class ChangeFilingIn(In):
    type: Literal["change"]
    account_id: Identifier
    event_date: BoundedDate
    changes: AccountChanges
    reason: Name


class MergeFilingIn(In):
    type: Literal["merge"]
    account_id: Identifier = Field(description="The surviving account.")
    merged_account_ids: list[Identifier] = Field(min_length=1, max_length=50)
    event_date: BoundedDate
    reason: Name


class SuspendFilingIn(In):
    type: Literal["suspend"]
    account_id: Identifier
    event_date: BoundedDate
    reason: Name


class DeregisterFilingIn(In):
    type: Literal["deregister"]
    account_id: Identifier
    event_date: BoundedDate
    reason: Name


FilingIn = Annotated[
    OpenFilingIn | ChangeFilingIn | MergeFilingIn | SuspendFilingIn | DeregisterFilingIn,
    Field(discriminator="type"),
]


class DecisionIn(In):
    decision: Literal["approve", "return", "reject"]
    reason: str | None = Field(None, max_length=2000, description="Required to return or reject.")


class ResubmitIn(In):
    changes: AccountChanges | None = Field(None, description="Amended account details (open/change filings).")
    event_date: BoundedDate | None = None


class DecisionOut(Out):
    level: str | None
    decision: str = Field(validation_alias=AliasChoices("decision", "action"))
    actor_id: str
    actor_name: str
    reason: str | None
    at: datetime

    @field_validator("decision", mode="before")
    @classmethod
    def _word(cls, value: Any) -> Any:
        # A step of the domain's history is shown with the decision word of the API (approve, return …).
        return DECISION_OF[value] if isinstance(value, FilingAction) else value


class FilingOut(Out):
    id: str = Field(validation_alias=AliasChoices("id", "filing_id"))
    type: str = Field(validation_alias=AliasChoices("type", "filing_type"))
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
    decisions: list[DecisionOut] = Field(
        default_factory=list, validation_alias=AliasChoices("decisions", "history")
    )
