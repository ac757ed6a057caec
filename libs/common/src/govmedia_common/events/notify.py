"""Events the notify service owns: notices, rectifications, interviews and closures (``gov.notify.cases``,
key ``account_id``). Topic, aggregate and key are declared once, on :class:`_NotifyEvent`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from govmedia_common.events.base import Fact
from govmedia_common.events.types import (
    AlertRule,
    AlertSeverity,
    NonEmpty,
    RegionCode,
    Uuid,
)

__all__ = [
    "BulletinPeriod",
    "BulletinPublished",
    "CaseClosed",
    "CaseEscalated",
    "CaseOutcome",
    "ClosureRecommended",
    "InterviewCancelled",
    "InterviewHeld",
    "InterviewScheduled",
    "IntervieweeRole",
    "InterviewerRole",
    "NoticeIssued",
    "RectificationAccepted",
    "RectificationReturned",
    "RectificationSubmitted",
    "ReminderSent",
]


class CaseOutcome(StrEnum):
    """How a notification case ended."""

    RECTIFIED = "rectified"  # 整改完成
    DISMISSED = "dismissed"  # the alert was dismissed


IntervieweeRole = Literal["liaison", "deputy_head", "principal"]
"""Who at the host unit is interviewed (约谈): its liaison, a deputy head, or its principal."""

InterviewerRole = Literal["open_government_centre", "deputy_director", "director"]
"""Who conducts the interview: the open-government affairs centre, or the office's (deputy) director."""


class _NotifyEvent(Fact, service="notify", topic="gov.notify.cases", aggregate="account", key="account_id"):
    """Events the notify service owns, keyed by the account."""


class _CaseEvent(_NotifyEvent):
    """Notify events about one case (a violation alert being dealt with)."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    case_id: Uuid = Field(description="The case.")


class NoticeIssued(_CaseEvent, type="gov.notify.notice.issued.v1"):
    """An immediate notice (即时通报) went to the host unit and its office; a rectification is due."""

    alert_id: Uuid = Field(description="The alert that opened the case.")
    unit_id: Uuid = Field(description="Host unit notified.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    rule: AlertRule = Field(description="Rule of the alert.")
    severity: AlertSeverity = Field(description="Severity of the alert.")
    rectify_by: date = Field(description="Rectification deadline (default 7 days after the notice).")


class RectificationSubmitted(_CaseEvent, type="gov.notify.rectification.submitted.v1"):
    """The unit submitted a rectification report (整改报告), signed by its principal and sealed."""

    report_id: Uuid = Field(description="The report.")
    signed_by: NonEmpty = Field(description="Name of the principal who signed it (主要负责人).")
    sealed: bool = Field(description="Whether it bears the unit's official seal (加盖公章).")
    submitted_by: NonEmpty = Field(description="Who uploaded it (person id or machine client id).")


class RectificationAccepted(_CaseEvent, type="gov.notify.rectification.accepted.v1"):
    """The competent office accepted a rectification report."""

    report_id: Uuid = Field(description="The report.")
    accepted_by: NonEmpty = Field(description="Office staff who accepted it.")


class RectificationReturned(_CaseEvent, type="gov.notify.rectification.returned.v1"):
    """The competent office returned a rectification report; a new one is due."""

    report_id: Uuid = Field(description="The report.")
    returned_by: NonEmpty = Field(description="Office staff who returned it.")
    reason: NonEmpty = Field(description="What is missing or wrong.")
    rectify_by: date = Field(description="New deadline.")


class InterviewScheduled(_CaseEvent, type="gov.notify.interview.scheduled.v1"):
    """The host unit reached a step of the 二四六 escalation ladder and an interview (约谈) was scheduled.

    ``case_id`` is the case whose violation reached the step.
    """

    interview_id: Uuid = Field(description="The interview.")
    unit_id: Uuid = Field(description="Host unit (violations count per unit per year).")
    year: int = Field(ge=2000, le=2100, description="Year the violations were counted in.")
    violation_count: int = Field(ge=1, description="Violation alerts of the unit in that year so far.")
    ladder_step: int = Field(
        ge=1, description="Threshold reached: 2, 4 or 6 by default; regions may configure others."
    )
    interviewee_role: IntervieweeRole = Field(description="Who at the unit is interviewed.")
    interviewer_role: InterviewerRole = Field(description="Who conducts the interview.")
    scheduled_for: AwareDatetime = Field(description="When the interview takes place.")
    interviewee_name: str | None = Field(
        default=None, description="Name of the person to be interviewed, when the registry has it."
    )


class CaseClosed(_CaseEvent, type="gov.notify.case.closed.v1"):
    """A case was closed: the report was accepted and the alert resolved, or the alert was dismissed."""

    outcome: CaseOutcome = Field(description="How it ended.")
    closed_on_time: bool = Field(description="True when closed by the rectification deadline.")


class ClosureRecommended(_NotifyEvent, type="gov.notify.closure.recommended.v1"):
    """An account is recommended for forced closure (e.g. notified more than twice for not updating)."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    unit_id: Uuid = Field(description="Its host unit.")
    rule: AlertRule = Field(description="The rule whose repeated notices led here.")
    notice_count: int = Field(ge=1, description="Number of notices for that rule that counted.")
    case_ids: tuple[Uuid, ...] = Field(min_length=1, description="The cases of those notices.")
    reason: NonEmpty = Field(description="Human-readable reason.")
    quarter: str | None = Field(
        default=None, description="Quarter whose listing led here, e.g. 2025-Q3 (seed 002 counts listings)."
    )
    listings: int | None = Field(
        default=None,
        ge=1,
        description="Quarterly bulletin listings of the account inside the counting window.",
    )


class ReminderSent(_CaseEvent, type="gov.notify.reminder.sent.v1"):
    """A daily reminder to rectify (每日督促整改) went to the host unit, outside quiet hours."""

    unit_id: Uuid = Field(description="Host unit reminded.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    reminder_number: int = Field(ge=1, description="1 for the first reminder of the case, then 2, 3 ...")
    rectify_by: date = Field(description="Rectification deadline in force.")
    days_overdue: int = Field(ge=0, description="Days past the deadline; 0 while it has not passed.")


class CaseEscalated(_CaseEvent, type="gov.notify.case.escalated.v1"):
    """A case passed its deadline without rectification and was escalated to the competent office."""

    unit_id: Uuid = Field(description="Host unit.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    rectify_by: date = Field(description="The deadline that passed.")
    days_overdue: int = Field(ge=1, description="Days past the deadline when escalated.")


class InterviewHeld(_CaseEvent, type="gov.notify.interview.held.v1"):
    """An interview (约谈) scheduled by the ladder took place."""

    interview_id: Uuid = Field(description="The interview.")
    unit_id: Uuid = Field(description="Host unit interviewed.")
    held_at: AwareDatetime = Field(description="When it took place.")
    recorded_by: NonEmpty = Field(description="Who recorded it (person id or machine client id).")


class InterviewCancelled(_CaseEvent, type="gov.notify.interview.cancelled.v1"):
    """An interview the ladder scheduled was withdrawn before it took place: a false alarm (an alert
    dismissed or retracted) took the unit's count of the year back below its step.

    ``case_id`` is the case whose violation had reached the step. If the count reaches the step again, the
    same ``interview_id`` is scheduled again (InterviewScheduled).
    """

    interview_id: Uuid = Field(description="The interview.")
    unit_id: Uuid = Field(description="Host unit.")
    year: int = Field(ge=2000, le=2100, description="Year the violations are counted in.")
    violation_count: int = Field(ge=1, description="The count the interview was scheduled at.")
    counted: int = Field(
        ge=0, description="Violation alerts of the unit in that year now, false alarms aside."
    )
    reason: NonEmpty = Field(description="Why it was withdrawn.")


BulletinPeriod = Literal["week", "month", "quarter"]
"""Length of a bulletin's period."""


class _BulletinEvent(
    Fact, service="notify", topic="gov.notify.bulletins", aggregate="region", key="region_code"
):
    """Notify events about a region's bulletins, keyed by the region."""


class BulletinPublished(_BulletinEvent, type="gov.notify.bulletin.published.v1"):
    """A region's periodic bulletin (通报) was published, as HTML and PDF, with its headline figures."""

    bulletin_id: Uuid = Field(description="The bulletin.")
    region_code: RegionCode = Field(description="Region it covers, with everything below it (Kafka key).")
    period_kind: BulletinPeriod = Field(description="Weekly, monthly or quarterly.")
    period_start: date = Field(description="First day of the period.")
    period_end: date = Field(description="Last day of the period, inclusive.")
    title: NonEmpty = Field(description="Title of the bulletin.")
    violations: int = Field(ge=0, description="Violation alerts that opened a case in the period.")
    rectified: int = Field(ge=0, description="Cases closed as rectified in the period.")
    overdue: int = Field(ge=0, description="Cases overdue at the end of the period.")
    interviews: int = Field(ge=0, description="Interviews scheduled in the period.")
    closure_recommendations: int = Field(ge=0, description="Accounts recommended for forced closure.")
    pdf_sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the published PDF.")
