"""The one mapping between case rows and the :class:`~govmedia_notify.cases.domain.Case` aggregate."""

from __future__ import annotations

from govmedia_notify.cases.domain import Case, CaseState, Report, ReportStatus
from govmedia_notify.models import CaseRow, ReportRow

_CASE_FIELDS = (
    "id",
    "alert_id",
    "account_id",
    "unit_id",
    "region_code",
    "rule",
    "severity",
    "alert_class",
    "period",
    "opened_at",
    "rectify_by",
    "day_kind",
    "ladder_year",
    "ladder_ordinal",
    "next_reminder_at",
    "reminders_sent",
    "escalated_at",
    "alert_resolved_at",
    "alert_resolution",
    "accepted_at",
    "closed_at",
    "outcome",
    "closed_on_time",
    "version",
)
_REPORT_FIELDS = (
    "id",
    "text",
    "signed_by",
    "sealed",
    "submitted_by",
    "submitted_at",
    "attachments",
    "decided_by",
    "decided_at",
    "reason",
)


def to_domain(row: CaseRow, reports: list[ReportRow]) -> Case:
    case = Case(state=CaseState(row.state), **{f: getattr(row, f) for f in _CASE_FIELDS})
    case.reports = [
        Report(status=ReportStatus(r.status), **{f: getattr(r, f) for f in _REPORT_FIELDS})
        for r in sorted(reports, key=lambda r: r.submitted_at)
    ]
    return case


def apply_to_rows(
    case: Case, row: CaseRow | None, reports: list[ReportRow]
) -> tuple[CaseRow, list[ReportRow]]:
    """Write the aggregate onto its rows (new rows for a new case or report); returns every row."""
    row = row or CaseRow()
    for f in _CASE_FIELDS:
        setattr(row, f, getattr(case, f))
    row.state = str(case.state)
    by_id = {r.id: r for r in reports}
    out = []
    for report in case.reports:
        r = by_id.get(report.id) or ReportRow(case_id=case.id)
        for f in _REPORT_FIELDS:
            setattr(r, f, getattr(report, f))
        r.status = str(report.status)
        out.append(r)
    return row, out
