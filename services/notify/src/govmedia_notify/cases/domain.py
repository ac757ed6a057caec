"""A rectification case: notice, deadline, reminders, reports, escalation, closure. Plain Python, no I/O.

States: ``open`` (the unit must act; reminders run) → ``submitted`` (a report awaits the office) →
``open`` again when the office returns it (new deadline) or ``accepted``; the case closes when the report is
accepted **and** the monitor has resolved the alert (``rectified``, on time when closed by the deadline),
or at once when the alert is dismissed (``dismissed``). Events are recorded on the object; the service
writes them to the outbox in the same transaction as the row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events.monitor import AlertRaised, AlertResolution
from govmedia_common.events.notify import (
    CaseClosed,
    CaseEscalated,
    CaseOutcome,
    NoticeIssued,
    RectificationAccepted,
    RectificationReturned,
    RectificationSubmitted,
    ReminderSent,
)
from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.events.types import AlertSeverity
from govmedia_common.workdays import SHANGHAI, UnknownCalendarYear, WorkCalendar
from govmedia_notify.rules import NotifyRules, in_quiet_hours

CASE_SEVERITIES = frozenset({AlertSeverity.SERIOUS, AlertSeverity.VIOLATION})


class CaseState(StrEnum):
    OPEN = "open"  # awaiting the unit's rectification report
    SUBMITTED = "submitted"  # a report awaits the office's decision
    ACCEPTED = "accepted"  # report accepted; awaiting the monitor's re-check
    CLOSED = "closed"


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


def opens_case(alert: AlertRaised) -> bool:
    """Serious and violation alerts open a case; warnings and minor issues do not."""
    return alert.severity in CASE_SEVERITIES


def case_id_for(alert_id: str) -> str:
    """One case per alert, whatever replica or retry handles it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"govmedia:notify:case:{alert_id}"))


def local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def deadline(start: date, rules: NotifyRules, calendar: WorkCalendar) -> date:
    """Rectification deadline counted from ``start`` in calendar or official working days.

    When the official schedule of a year the count reaches is not loaded, working days cannot be counted
    (never guessed from weekends): the deadline is then counted in calendar days, which is never later than
    the working-day deadline would be, and the service logs that the year's schedule is missing.
    """
    if rules.rectification_day_kind == "working":
        try:
            return calendar.add_workdays(start, rules.rectification_days)
        except UnknownCalendarYear:
            pass
    return start + timedelta(days=rules.rectification_days)


def unknown_year_of_deadline(start: date, rules: NotifyRules, calendar: WorkCalendar) -> int | None:
    """The year whose missing schedule makes :func:`deadline` fall back to calendar days, if any.

    Calendar-day deadlines need no schedule; a working-day count needs the years it actually reaches,
    not simply the next year.
    """
    if rules.rectification_day_kind != "working":
        return None
    try:
        calendar.add_workdays(start, rules.rectification_days)
    except UnknownCalendarYear as missing:
        return missing.year
    return None


def first_reminder_at(notice_at: datetime, rules: NotifyRules) -> datetime:
    """The reminder time of the day after the notice (the notice itself is the first call to act)."""
    day = local(notice_at).date() + timedelta(days=1)
    return datetime.combine(day, rules.reminder_time, SHANGHAI)


def reminder_due(now: datetime, next_at: datetime | None, rules: NotifyRules) -> bool:
    """Due when its time has come and we are not in quiet hours (a late sweep waits for the morning)."""
    if next_at is None or now < next_at:
        return False
    return not in_quiet_hours(local(now).time(), rules.quiet_start, rules.quiet_end)


def days_overdue(today: date, rectify_by: date) -> int:
    return max(0, (today - rectify_by).days)


@dataclass
class Report:
    id: str
    text: str
    signed_by: str
    sealed: bool
    submitted_by: str
    submitted_at: datetime
    attachments: list[dict[str, object]]
    status: ReportStatus = ReportStatus.SUBMITTED
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


@dataclass
class Case(RecordsEvents):
    """One case, with its reports; it records the events its commands cause."""

    id: str
    alert_id: str
    account_id: str
    unit_id: str
    region_code: str
    rule: str
    severity: str
    alert_class: str
    period: str
    state: CaseState
    opened_at: datetime
    rectify_by: date
    day_kind: str
    ladder_year: int
    ladder_ordinal: int
    next_reminder_at: datetime | None = None
    reminders_sent: int = 0
    escalated_at: datetime | None = None
    alert_resolved_at: datetime | None = None
    alert_resolution: str | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    closed_on_time: bool | None = None
    version: int = 1
    reports: list[Report] = field(default_factory=list)

    # ---- opening

    @classmethod
    def open(
        cls,
        alert: AlertRaised,
        *,
        now: datetime,
        rules: NotifyRules,
        calendar: WorkCalendar,
        ladder_year: int,
        ladder_ordinal: int,
    ) -> Case:
        """Open the case of a violation alert and issue the immediate notice (即时通报)."""
        if not opens_case(alert):
            raise DomainError(ErrorKind.UNPROCESSABLE, "not-a-violation", "Only violations open a case.")
        case = cls(
            id=case_id_for(alert.alert_id),
            alert_id=alert.alert_id,
            account_id=alert.account_id,
            unit_id=alert.unit_id,
            region_code=alert.region_code,
            rule=str(alert.rule),
            severity=str(alert.severity),
            alert_class=str(alert.alert_class),
            period=alert.period,
            state=CaseState.OPEN,
            opened_at=now,
            rectify_by=deadline(local(now).date(), rules, calendar),
            day_kind=rules.rectification_day_kind,
            ladder_year=ladder_year,
            ladder_ordinal=ladder_ordinal,
            next_reminder_at=first_reminder_at(now, rules),
        )
        case.record(
            NoticeIssued(
                occurred_at=now,
                account_id=case.account_id,
                case_id=case.id,
                alert_id=case.alert_id,
                unit_id=case.unit_id,
                region_code=case.region_code,
                rule=alert.rule,
                severity=alert.severity,
                rectify_by=case.rectify_by,
            )
        )
        return case

    # ---- the unit's report and the office's decision

    def report(self, report_id: str) -> Report:
        for r in self.reports:
            if r.id == report_id:
                return r
        raise DomainError(ErrorKind.NOT_FOUND, "not-found", f"Report {report_id} is not part of this case.")

    def submit_report(
        self,
        *,
        report_id: str,
        text: str,
        signed_by: str,
        sealed: bool,
        submitted_by: str,
        attachments: list[dict[str, object]],
        principal_name: str | None,
        now: datetime,
    ) -> Report:
        """The unit submits its rectification report, signed by its principal (主要负责人) and sealed."""
        if self.state is not CaseState.OPEN:
            raise DomainError(
                ErrorKind.RULE_VIOLATED,
                "case-not-awaiting-report",
                f"The case is {self.state.value}; a report can be submitted only while it is open.",
            )
        if not sealed:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "report-not-sealed",
                "A rectification report must bear the unit's seal.",
            )
        if principal_name and signed_by.strip() != principal_name.strip():
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "report-not-signed-by-principal",
                f"The report must be signed by the unit's principal ({principal_name}).",
            )
        report = Report(report_id, text, signed_by, sealed, submitted_by, now, attachments)
        self.reports.append(report)
        self.state = CaseState.SUBMITTED
        self.record(
            RectificationSubmitted(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                report_id=report_id,
                signed_by=signed_by,
                sealed=sealed,
                submitted_by=submitted_by,
            )
        )
        return report

    def _pending(self, report_id: str) -> Report:
        report = self.report(report_id)
        if self.state is not CaseState.SUBMITTED or report.status is not ReportStatus.SUBMITTED:
            raise DomainError(
                ErrorKind.RULE_VIOLATED,
                "report-not-pending",
                "Only the report awaiting a decision can be accepted or returned.",
            )
        return report

    def accept_report(self, report_id: str, *, by: str, now: datetime) -> None:
        """The office accepts the report; the case closes once the monitor has resolved the alert."""
        report = self._pending(report_id)
        report.status, report.decided_by, report.decided_at = ReportStatus.ACCEPTED, by, now
        self.state = CaseState.ACCEPTED
        self.accepted_at = now
        self.next_reminder_at = None
        self.record(
            RectificationAccepted(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                report_id=report_id,
                accepted_by=by,
            )
        )
        self._close_if_done(now)

    def return_report(
        self,
        report_id: str,
        *,
        by: str,
        reason: str,
        now: datetime,
        rules: NotifyRules,
        calendar: WorkCalendar,
    ) -> None:
        """The office returns the report with a reason; a new deadline runs and reminders resume."""
        if not reason.strip():
            raise DomainError(ErrorKind.UNPROCESSABLE, "reason-required", "Say why the report is returned.")
        report = self._pending(report_id)
        report.status, report.decided_by, report.decided_at, report.reason = (
            ReportStatus.RETURNED,
            by,
            now,
            reason,
        )
        self.state = CaseState.OPEN
        self.rectify_by = max(self.rectify_by, deadline(local(now).date(), rules, calendar))
        self.next_reminder_at = first_reminder_at(now, rules)
        self.record(
            RectificationReturned(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                report_id=report_id,
                returned_by=by,
                reason=reason,
                rectify_by=self.rectify_by,
            )
        )

    # ---- the monitor's side

    def alert_resolved(
        self, resolution: AlertResolution, *, now: datetime, resolved_at: datetime | None = None
    ) -> None:
        """The monitor resolved the alert (at ``resolved_at``, its business time; notify may read it later):
        a false alarm (dismissed, retracted) closes the case at once; otherwise the case waits for the
        accepted report."""
        if self.state is CaseState.CLOSED or self.alert_resolved_at is not None:
            return
        self.alert_resolved_at = resolved_at or now
        self.alert_resolution = str(resolution)
        if resolution.false_alarm:
            self._close(CaseOutcome.DISMISSED, now)
        else:
            self._close_if_done(now)

    def _close_if_done(self, now: datetime) -> None:
        if self.state is CaseState.ACCEPTED and self.alert_resolved_at is not None:
            self._close(CaseOutcome.RECTIFIED, now)

    def _close(self, outcome: CaseOutcome, now: datetime) -> None:
        """Close at ``now``; on time when what it waited for was done by the deadline: the report's acceptance
        and the monitor's resolution as they happened, not when notify read them (a lagging consumer, a
        replayed event would otherwise turn an on-time rectification into a late one)."""
        times = [t for t in (self.accepted_at, self.alert_resolved_at) if t is not None]
        done = min(max(times), now) if times else now
        self.state = CaseState.CLOSED
        self.closed_at = now
        self.outcome = str(outcome)
        self.closed_on_time = local(done).date() <= self.rectify_by
        self.next_reminder_at = None
        self.record(
            CaseClosed(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                outcome=outcome,
                closed_on_time=self.closed_on_time,
            )
        )

    # ---- time-driven work (the sweep)

    def remind_if_due(self, *, now: datetime, rules: NotifyRules) -> bool:
        """Send the daily reminder (每日督促整改) when due and outside quiet hours; True when sent."""
        if self.state is not CaseState.OPEN or not reminder_due(now, self.next_reminder_at, rules):
            return False
        self.reminders_sent += 1
        today = local(now).date()
        self.next_reminder_at = datetime.combine(today + timedelta(days=1), rules.reminder_time, SHANGHAI)
        self.record(
            ReminderSent(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                unit_id=self.unit_id,
                region_code=self.region_code,
                reminder_number=self.reminders_sent,
                rectify_by=self.rectify_by,
                days_overdue=days_overdue(today, self.rectify_by),
            )
        )
        return True

    def escalate_if_overdue(self, *, now: datetime, rules: NotifyRules) -> bool:
        """Escalate to the office once the deadline (plus the grace days) has passed; True when so."""
        if self.state in (CaseState.CLOSED, CaseState.ACCEPTED) or self.escalated_at is not None:
            return False
        late = days_overdue(local(now).date(), self.rectify_by)
        if late <= rules.escalate_after_days:
            return False
        self.escalated_at = now
        self.record(
            CaseEscalated(
                occurred_at=now,
                account_id=self.account_id,
                case_id=self.id,
                unit_id=self.unit_id,
                region_code=self.region_code,
                rectify_by=self.rectify_by,
                days_overdue=late,
            )
        )
        return True

    def overdue(self, today: date) -> bool:
        return self.state is not CaseState.CLOSED and today > self.rectify_by
