"""Request and response models of the cases API (not the ORM rows, not the events)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from govmedia_common.json_values import JsonBool, JsonDateTime
from govmedia_common.text import shows_something

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


Visible = Annotated[str, AfterValidator(shows_something)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AttachmentRefIn(_In):
    sha256: Sha256 = Field(description="Hash returned by POST /v1/attachments.")
    filename: Visible = Field(min_length=1, max_length=200)


class ReportIn(_In):
    """A rectification report (整改报告): what was done, signed by the principal, sealed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "账号已恢复更新，已明确专人负责日常发布和审核，并建立每周检查制度。",
                    "signed_by": "王某某",
                    "sealed": True,
                    "attachments": [],
                }
            ]
        }
    )

    text: Visible = Field(min_length=1, max_length=100_000, description="What was found and fixed.")
    signed_by: Visible = Field(
        min_length=1, max_length=100, description="The principal (主要负责人) who signed it."
    )
    sealed: JsonBool = Field(description="Bears the unit's official seal (加盖公章); required.")
    attachments: list[AttachmentRefIn] = Field(default_factory=list, max_length=20)


class ReturnIn(_In):
    reason: Visible = Field(min_length=1, max_length=2_000, description="What is missing or wrong.")


class SweepIn(_In):
    as_of: JsonDateTime | None = Field(
        None, description="Run as of this instant (default: the service clock)."
    )


class AttachmentOut(_Out):
    sha256: str
    media_type: str
    size: int


class ReportOut(_Out):
    id: str
    text: str
    signed_by: str
    sealed: bool
    submitted_by: str
    submitted_at: datetime
    attachments: list[dict[str, Any]]
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class CaseOut(_Out):
    id: str
    alert_id: str
    account_id: str
    unit_id: str
    region_code: str
    rule: str
    severity: str
    alert_class: str
    period: str
    state: str
    opened_at: datetime
    rectify_by: date
    day_kind: str
    ladder_year: int
    ladder_ordinal: int = Field(description="This violation's place in the unit's year (二四六 ladder).")
    next_reminder_at: datetime | None
    reminders_sent: int
    escalated_at: datetime | None
    alert_resolved_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    closed_on_time: bool | None
    version: int


class CaseDetailOut(CaseOut):
    reports: list[ReportOut]


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = None


class SweepOut(_Out):
    as_of: datetime
    reminders: int
    escalations: int
    digests: int
    listed: list[str]
    purged: int = Field(
        description="Delivered e-mail, SMS and webhook rows past retention, removed: by the scheduled sweep "
        "and a province admin's (a county admin's sweep acts on its own regions only and purges nothing)."
    )
