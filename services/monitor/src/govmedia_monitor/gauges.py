"""Business gauges of the monitor, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

# As observations.lexicon_fetch reads it: a list whose document is not a JSON object yet.
_WITHOUT_DOCUMENT = "coalesce(jsonb_typeof(document), 'null') <> 'object'"

GAUGES = (
    SqlGauge(
        "govmedia_alerts_open",
        "Open alerts by class and severity (未处置预警).",
        "SELECT alert_class, severity, count(*) FROM alerts WHERE state = 'open' "
        "GROUP BY alert_class, severity",
        labels=("alert_class", "severity"),
    ),
    SqlGauge(
        "govmedia_silent_accounts",
        "Accounts with an open not-updated alert (不更新账号).",
        "SELECT count(DISTINCT account_id) FROM alerts WHERE state = 'open' AND rule = 'not_updated'",
    ),
    SqlGauge(
        "govmedia_lexicon_lists_waiting",
        "Lexicon lists the review announced whose document the monitor has not fetched yet (the machine "
        "check runs without them), and the seconds the oldest has waited.",
        f"SELECT 'lists', count(*) FROM lexicon_lists WHERE {_WITHOUT_DOCUMENT} "
        "UNION ALL SELECT 'oldest_seconds', coalesce(extract(epoch FROM :now - min(received_at)), 0) "
        f"FROM lexicon_lists WHERE {_WITHOUT_DOCUMENT}",
        labels=("measure",),
    ),
    SqlGauge(
        "govmedia_working_days_known",
        "1 when the official working-day schedule of the service clock's year (current) or of the next year "
        "(next) is stored, else 0: without it the unanswered-message rule is not swept and notify counts "
        "deadlines in calendar days.",
        "SELECT 'current', (count(*) > 0)::int FROM workdays WHERE extract(year FROM day) = "
        "extract(year FROM CAST(:today AS date)) UNION ALL SELECT 'next', (count(*) > 0)::int FROM workdays "
        "WHERE extract(year FROM day) = extract(year FROM CAST(:today AS date)) + 1",
        labels=("year",),
    ),
)
