"""Business gauges of the monitor, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

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
)
