"""Business gauges of scoring, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

_LATEST_MONTH = "(SELECT max(period_start) FROM scores WHERE period_kind = 'month')"

GAUGES = (
    SqlGauge(
        "govmedia_score_distribution",
        "Accounts per composite-score band (0, 10 … 90) in the latest scored month.",
        "SELECT ((width_bucket(composite, 0, 100.0001, 10) - 1) * 10)::text, count(*) FROM scores "
        f"WHERE period_kind = 'month' AND period_start = {_LATEST_MONTH} GROUP BY 1",
        labels=("band",),
    ),
    SqlGauge(
        "govmedia_scores_failed",
        "Accounts whose latest scored month failed (any veto), by platform.",
        "SELECT platform, count(*) FROM scores "
        f"WHERE period_kind = 'month' AND period_start = {_LATEST_MONTH} AND NOT passed GROUP BY platform",
        labels=("platform",),
    ),
    SqlGauge(
        "govmedia_scoring_composite_mean",
        "Mean composite score of the latest scored month, by region and platform.",
        "SELECT region_code, platform, avg(composite) FROM scores "
        f"WHERE period_kind = 'month' AND period_start = {_LATEST_MONTH} GROUP BY region_code, platform",
        labels=("region_code", "platform"),
    ),
    SqlGauge(
        "govmedia_scoring_failed_accounts",
        "Accounts failing the latest scored month (any veto), by region.",
        "SELECT region_code, count(*) FILTER (WHERE NOT passed) FROM scores "
        f"WHERE period_kind = 'month' AND period_start = {_LATEST_MONTH} GROUP BY region_code",
        labels=("region_code",),
    ),
    SqlGauge(
        "govmedia_scoring_stale_periods",
        "Scored periods a settings change made stale and no computation has redone yet (the schedule "
        "recomputes them at its next turn).",
        "SELECT count(*) FROM score_runs WHERE stale",
    ),
)
