"""Business gauges of notify, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

GAUGES = (
    SqlGauge(
        "govmedia_cases_open",
        "Open rectification cases by state (整改中).",
        "SELECT state, count(*) FROM cases WHERE closed_at IS NULL GROUP BY state",
        labels=("state",),
    ),
    SqlGauge(
        "govmedia_rectifications_overdue",
        "Open cases past their rectification deadline (逾期未整改).",
        "SELECT count(*) FROM cases WHERE closed_at IS NULL AND rectify_by < :today",
    ),
    SqlGauge(
        "govmedia_interviews_scheduled",
        "Interviews (约谈) scheduled and not yet held.",
        "SELECT count(*) FROM interviews WHERE held_at IS NULL AND cancelled_at IS NULL",
    ),
)
