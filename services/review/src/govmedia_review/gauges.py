"""Business gauges of the review, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

GAUGES = (
    SqlGauge(
        "govmedia_review_queue",
        "Posts waiting for the machine check or a human decision, by status (待审稿件).",
        "SELECT status, count(*) FROM posts WHERE status IN ('submitted', 'checked', 'in_review') "
        "GROUP BY status",
        labels=("status",),
    ),
    SqlGauge(
        "govmedia_review_overrides_last_day",
        "Blocking findings overridden by a final approver in the last 24 hours (越权放行).",
        "SELECT count(*) FROM posts "
        "WHERE override AND updated_at > CAST(:now AS timestamptz) - interval '1 day'",
    ),
)
