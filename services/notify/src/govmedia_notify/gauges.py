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
    SqlGauge(
        "govmedia_deliveries",
        "E-mail, SMS and webhook deliveries waiting (pending: not yet delivered, retried with backoff) or "
        "given up (dead: on the dead list until an office redelivers them), by channel.",
        "SELECT channel, status, count(*) FROM deliveries WHERE channel <> 'inbox' "
        "AND status IN ('pending', 'dead') GROUP BY channel, status",
        labels=("channel", "status"),
    ),
    SqlGauge(
        "govmedia_deliveries_due_oldest_seconds",
        "How long the longest-waiting delivery that is due (its next attempt has come; quiet-hour reminders "
        "are not due before the morning) has waited for the dispatcher, by channel.",
        "SELECT channel, extract(epoch FROM :now - min(next_attempt_at)) FROM deliveries "
        "WHERE status = 'pending' AND channel <> 'inbox' AND next_attempt_at <= :now GROUP BY channel",
        labels=("channel",),
    ),
)
