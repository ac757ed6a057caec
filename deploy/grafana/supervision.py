"""The Supervision dashboard (监管态势): business facts for offices, by region and platform.

Each SQL panel reads one service's own database through its read-only datasource (``govmedia-pg-<service>``)
— the dashboards are readers like any other, they never join across services. The region variable is a GB/T
2260 code; ``subtree()`` turns it into the code-prefix filter the services use for scoping (330000 → '33%',
331000 → '3310%', All → '%').
"""

from __future__ import annotations

from typing import Any

from render import Board, dashboard, postgres, query_variable, sql

PLATFORMS = ("wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili", "app", "miniprogram", "other")


# The day the services judge by (deadlines, hot words): Beijing's, whatever the zone of Grafana's session.
TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"


def beijing_day(column: str) -> str:
    """The start of the Beijing day of ``column`` (a timestamptz), for per-day series."""
    return f"date_trunc('day', {column} AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'"


def subtree(column: str = "region_code") -> str:
    return f"{column} LIKE regexp_replace('$region', '(00)+$', '') || '%'"


def platform_is(column: str = "platform") -> str:
    return f"('$platform' = '' OR {column} = '$platform')"


def supervision() -> dict[str, Any]:
    b = Board()
    where = f"{subtree()} AND {platform_is()}"
    b.row("Accounts and filings (registry)")
    b.add(
        sql(
            "Accounts by status and platform",
            "registry",
            f"SELECT status, platform, count(*) AS accounts FROM accounts WHERE {where} "
            "GROUP BY status, platform ORDER BY status, platform",
        ),
        w=8,
    )
    b.add(
        sql(
            "Filings pending (待审核备案)",
            "registry",
            f"SELECT count(*) AS pending FROM filings WHERE status = 'pending' AND {subtree()}",
            kind="stat",
        ),
        w=4,
    )
    b.add(
        sql(
            "Filings late (逾期备案)",
            "registry",
            f"SELECT count(*) AS late FROM filings WHERE late AND status IN ('pending', 'approved') "
            f"AND {subtree()}",
            kind="stat",
        ),
        w=4,
    )
    b.add(
        sql(
            "Filings by type and status",
            "registry",
            f"SELECT filing_type, status, count(*) AS filings FROM filings WHERE {subtree()} "
            "GROUP BY filing_type, status ORDER BY filing_type, status",
        ),
        w=8,
    )
    b.row("Review (先审后发)")
    b.add(
        sql(
            "Review queue (posts awaiting a decision)",
            "review",
            "SELECT status, count(*) AS posts FROM posts "
            f"WHERE status IN ('submitted', 'checked', 'in_review') "
            f"AND {where} GROUP BY status",
            kind="table",
        ),
        w=8,
    )
    b.add(
        sql(
            "Overrides of a blocking finding (越权放行)",
            "review",
            "SELECT count(*) AS overrides FROM posts "
            f"WHERE override AND $__timeFilter(updated_at) AND {where}",
            kind="stat",
        ),
        w=4,
    )
    b.add(
        sql(
            "Posts published per day",
            "review",
            f"SELECT {beijing_day('published_at')} AS time, count(*) AS published FROM posts "
            f"WHERE status = 'published' AND $__timeFilter(published_at) AND {where} GROUP BY 1 ORDER BY 1",
            kind="timeseries",
        ),
        w=12,
    )
    b.row("Monitoring (运行监测)")
    b.add(
        sql(
            "Open alerts by class",
            "monitor",
            f"SELECT alert_class, severity, count(*) AS open_alerts FROM alerts WHERE state = 'open' "
            f"AND {subtree()} GROUP BY alert_class, severity ORDER BY open_alerts DESC",
        ),
        w=8,
    )
    b.add(
        sql(
            "Silent accounts (不更新)",
            "monitor",
            f"SELECT count(DISTINCT account_id) AS silent FROM alerts WHERE state = 'open' "
            f"AND rule = 'not_updated' AND {subtree()}",
            kind="stat",
        ),
        w=4,
    )
    b.add(
        sql(
            "Violations raised per day by class",
            "monitor",
            f"SELECT {beijing_day('raised_at')} AS time, alert_class AS metric, count(*) AS value "
            f"FROM alerts WHERE $__timeFilter(raised_at) AND {subtree()} GROUP BY 1, 2 ORDER BY 1",
            kind="timeseries",
        ),
        w=12,
    )
    b.add(
        sql(
            "Open alerts by region",
            "monitor",
            f"SELECT region_code, count(*) AS open_alerts FROM alerts WHERE state = 'open' AND {subtree()} "
            "GROUP BY region_code ORDER BY open_alerts DESC LIMIT 30",
            kind="barchart",
        ),
        w=12,
    )
    b.add(
        sql(
            "Hot words today (热词)",
            "monitor",
            f"SELECT term, sum(weight) AS weight FROM hot_words WHERE day = {TODAY} AND {subtree()} "
            "GROUP BY term ORDER BY weight DESC LIMIT 20",
        ),
        w=12,
    )
    b.row("Rectification and escalation (通报整改)")
    b.add(
        sql(
            "Overdue rectifications (逾期未整改)",
            "notify",
            f"SELECT count(*) AS overdue FROM cases WHERE closed_at IS NULL AND rectify_by < {TODAY} "
            f"AND {subtree()}",
            kind="stat",
        ),
        w=4,
    )
    b.add(
        sql(
            "Open cases by state",
            "notify",
            f"SELECT state, count(*) AS cases FROM cases WHERE closed_at IS NULL AND {subtree()} "
            "GROUP BY state ORDER BY cases DESC",
        ),
        w=6,
    )
    b.add(
        sql(
            "Interviews scheduled, not yet held (约谈)",
            "notify",
            "SELECT interviewee_role, interviewer_role, count(*) AS interviews FROM interviews "
            f"WHERE held_at IS NULL AND cancelled_at IS NULL AND {subtree()} GROUP BY 1, 2",
        ),
        w=7,
    )
    b.add(
        sql(
            "Forced-closure recommendations (建议关停)",
            "notify",
            f"SELECT quarter, count(*) AS accounts FROM closure_listings WHERE recommended AND {subtree()} "
            "GROUP BY quarter ORDER BY quarter DESC",
        ),
        w=7,
    )
    b.row("Scores (五项指数)")
    latest = "(SELECT max(period_start) FROM scores WHERE period_kind = 'month')"
    b.add(
        sql(
            "Score distribution, latest month",
            "scoring",
            "SELECT (width_bucket(composite, 0, 100.0001, 10) - 1) * 10 AS band, count(*) AS accounts "
            f"FROM scores WHERE period_kind = 'month' AND period_start = {latest} AND {where} "
            "GROUP BY band ORDER BY band",
            kind="barchart",
        ),
        w=8,
    )
    b.add(
        sql(
            "Pass rate, latest month",
            "scoring",
            "SELECT avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) AS pass_rate FROM scores "
            f"WHERE period_kind = 'month' AND period_start = {latest} AND {where}",
            kind="stat",
            unit="percentunit",
        ),
        w=4,
    )
    b.add(
        sql(
            "Leaderboard, latest month (晾晒台)",
            "scoring",
            "SELECT account_id, platform, region_code, round(composite::numeric, 1) AS composite, "
            "round(diligence::numeric, 1) AS diligence, round(effect::numeric, 1) AS effect, "
            "round(content::numeric, 1) AS content, round(cluster::numeric, 1) AS cluster, "
            "round(growth::numeric, 1) AS growth, passed "
            f"FROM scores WHERE period_kind = 'month' AND period_start = {latest} AND {where} "
            "ORDER BY composite DESC LIMIT 50",
        ),
        w=12,
    )
    region = query_variable(
        "region",
        "Region (行政区划)",
        postgres("registry"),
        "SELECT code AS __value, name AS __text FROM regions ORDER BY code",
    )
    platform = {
        "name": "platform",
        "label": "Platform",
        "type": "custom",
        "query": ",".join(PLATFORMS),
        "includeAll": True,
        "multi": False,
        "allValue": "",
        "current": {"selected": True, "text": "All", "value": "$__all"},
        "options": [],
    }
    return dashboard(
        "govmedia-supervision", "govmedia — Supervision (监管态势)", b, [region, platform], ["supervision"]
    )
