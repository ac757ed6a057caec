"""The case aggregate: deadlines, reminders and quiet hours, reports, closure, escalation; one mapping."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

from govmedia_common.errors import DomainError
from govmedia_common.events.monitor import AlertRaised, AlertResolution
from govmedia_common.workdays import SHANGHAI, WorkCalendar
from govmedia_notify.cases.domain import (
    Case,
    CaseState,
    deadline,
    reminder_due,
    unknown_year_of_deadline,
)
from govmedia_notify.cases.mapping import apply_to_rows, to_domain
from govmedia_notify.rules import DEFAULT_RULES, NotifyRules

CAL = WorkCalendar()
R1, R2 = str(uuid.uuid4()), str(uuid.uuid4())


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def alert(severity: str = "violation") -> AlertRaised:
    return AlertRaised(
        occurred_at=at(9, 26),
        alert_id=str(uuid.uuid4()),
        account_id=str(uuid.uuid4()),
        unit_id=str(uuid.uuid4()),
        region_code="331004",
        rule="not_updated",
        severity=severity,
        alert_class="not_updated",
        period="2025-09-26",
        detail={},
    )


def opened(now: datetime = at(9, 26), rules: NotifyRules = DEFAULT_RULES) -> Case:
    return Case.open(alert(), now=now, rules=rules, calendar=CAL, ladder_year=2025, ladder_ordinal=1)


def kinds(case: Case) -> list[str]:
    return [e.event_type.split(".")[-3] + "." + e.event_type.split(".")[-2] for e in case.pull_events()]


def test_deadline_in_calendar_or_official_working_days() -> None:
    assert deadline(date(2025, 9, 26), DEFAULT_RULES, CAL) == date(2025, 10, 3)
    working = NotifyRules(rectification_day_kind="working")
    # Working days skip the National Day holiday (1–8 October 2025) and count the swapped Sunday 28 September.
    assert deadline(date(2025, 9, 26), working, CAL) == CAL.add_workdays(date(2025, 9, 26), 7)
    assert deadline(date(2025, 9, 26), working, CAL) > date(2025, 10, 8)


def test_only_violations_open_a_case_and_the_notice_is_recorded() -> None:
    case = opened()
    assert case.state is CaseState.OPEN and case.rectify_by == date(2025, 10, 3)
    assert kinds(case) == ["notice.issued"]
    with pytest.raises(DomainError):
        Case.open(
            alert("warning"),
            now=at(9, 26),
            rules=DEFAULT_RULES,
            calendar=CAL,
            ladder_year=2025,
            ladder_ordinal=1,
        )


def test_daily_reminder_waits_for_the_end_of_quiet_hours_and_goes_once_a_day() -> None:
    case = opened()
    case.pull_events()
    assert not case.remind_if_due(
        now=at(9, 26, 15), rules=DEFAULT_RULES
    )  # notice day: the notice is the call
    assert not case.remind_if_due(now=at(9, 27, 23), rules=DEFAULT_RULES)  # due, but quiet hours
    assert not case.remind_if_due(now=at(9, 28, 7, 59), rules=DEFAULT_RULES)
    assert case.remind_if_due(now=at(9, 28, 8), rules=DEFAULT_RULES)
    assert not case.remind_if_due(now=at(9, 28, 12), rules=DEFAULT_RULES)
    assert case.remind_if_due(now=at(9, 29, 9), rules=DEFAULT_RULES)
    assert case.reminders_sent == 2 and kinds(case) == ["reminder.sent", "reminder.sent"]
    assert not reminder_due(at(9, 30, 21, 59), None, DEFAULT_RULES)


def test_report_returned_then_accepted_closes_only_once_the_alert_is_resolved() -> None:
    case = opened()
    with pytest.raises(DomainError) as unsealed:
        case.submit_report(
            report_id=R1,
            text="x",
            signed_by="张局长",
            sealed=False,
            submitted_by="p",
            attachments=[],
            principal_name="张局长",
            now=at(9, 27),
        )
    assert unsealed.value.code == "report-not-sealed"
    case.submit_report(
        report_id=R1,
        text="x",
        signed_by="张局长",
        sealed=True,
        submitted_by="p",
        attachments=[],
        principal_name="张局长",
        now=at(9, 27),
    )
    case.return_report(R1, by="o", reason="缺截图", now=at(9, 28), rules=DEFAULT_RULES, calendar=CAL)
    assert case.state is CaseState.OPEN and case.rectify_by == date(2025, 10, 5)
    with pytest.raises(DomainError):
        case.accept_report(R1, by="o", now=at(9, 28))  # the returned one cannot be accepted
    case.submit_report(
        report_id=R2,
        text="y",
        signed_by="张局长",
        sealed=True,
        submitted_by="p",
        attachments=[],
        principal_name=None,
        now=at(9, 29),
    )
    case.accept_report(R2, by="o", now=at(9, 30))
    assert case.state is CaseState.ACCEPTED  # type: ignore[comparison-overlap]  # mypy keeps case.state narrowed to OPEN across the calls
    case.alert_resolved(AlertResolution.RECHECKED, now=at(10, 6))
    assert case.state is CaseState.CLOSED and case.closed_on_time is False  # after the 5 October deadline
    assert kinds(case) == [
        "notice.issued",
        "rectification.submitted",
        "rectification.returned",
        "rectification.submitted",
        "rectification.accepted",
        "case.closed",
    ]


def test_a_resolved_alert_waits_for_the_report_and_a_dismissal_closes_at_once() -> None:
    case = opened()
    case.alert_resolved(AlertResolution.CLEARED, now=at(9, 27))
    assert case.state is CaseState.OPEN
    case.submit_report(
        report_id=R1,
        text="x",
        signed_by="张",
        sealed=True,
        submitted_by="p",
        attachments=[],
        principal_name=None,
        now=at(9, 28),
    )
    case.accept_report(R1, by="o", now=at(9, 29))
    assert case.state is CaseState.CLOSED and case.closed_on_time is True  # type: ignore[comparison-overlap]  # mypy keeps case.state narrowed to OPEN across the calls
    other = opened()
    other.alert_resolved(AlertResolution.DISMISSED, now=at(9, 27))
    assert other.state is CaseState.CLOSED and other.outcome == "dismissed"


def test_only_a_working_day_deadline_that_reaches_an_unknown_year_needs_its_schedule() -> None:
    only_2025 = WorkCalendar(use_package=False)
    only_2025.load_year(2025, [date(2025, 10, 1)], [])
    working = NotifyRules(rectification_day_kind="working")
    assert unknown_year_of_deadline(date(2025, 3, 3), DEFAULT_RULES, only_2025) is None  # calendar days
    assert unknown_year_of_deadline(date(2025, 12, 29), DEFAULT_RULES, only_2025) is None
    assert unknown_year_of_deadline(date(2025, 3, 3), working, only_2025) is None  # stays inside 2025
    assert unknown_year_of_deadline(date(2025, 12, 29), working, only_2025) == 2026


def test_escalation_once_after_the_deadline_and_grace_days() -> None:
    case = opened()
    assert not case.escalate_if_overdue(now=at(10, 3, 23), rules=DEFAULT_RULES)
    assert case.escalate_if_overdue(now=at(10, 4, 9), rules=DEFAULT_RULES)
    assert not case.escalate_if_overdue(now=at(10, 5, 9), rules=DEFAULT_RULES)
    patient = opened()
    assert not patient.escalate_if_overdue(now=at(10, 5), rules=NotifyRules(escalate_after_days=2))
    assert patient.escalate_if_overdue(now=at(10, 6), rules=NotifyRules(escalate_after_days=2))


def test_rows_and_domain_round_trip() -> None:
    case = opened()
    case.submit_report(
        report_id=R1,
        text="x",
        signed_by="张",
        sealed=True,
        submitted_by="p",
        attachments=[{"sha256": "0" * 64, "filename": "a.png"}],
        principal_name=None,
        now=at(9, 28),
    )
    case.remind_if_due(now=at(9, 28, 9) + timedelta(hours=1), rules=DEFAULT_RULES)
    row, reports = apply_to_rows(case, None, [])
    back = to_domain(row, reports)
    assert back == case
    assert back.reports[0].attachments == [{"sha256": "0" * 64, "filename": "a.png"}]
