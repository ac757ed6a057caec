"""Dashboards as code: render govmedia's Grafana dashboards into ``deploy/grafana/dashboards/*.json``.

``python deploy/grafana/render.py`` rewrites them; tests fail when the committed JSON is stale, when a PromQL
panel or alert names a metric no running service exports, or when an SQL panel does not run against the
migrated schemas through the read-only role Grafana uses.

Two dashboards:
- **Platform health** (运行状态) for operators: services up and ready, versions, traffic, errors, latency,
  consumer lag from the broker's side and the service's side, relay backlog and age, dead letters, dead outbox
  rows, scheduled tasks (sweeps, dispatcher, schedule) and notify's deliveries, stale scores, database.
- **Supervision** (监管态势) for offices: violations by region and category, open alerts, overdue cases,
  interviews, scores and rankings, silent accounts, filings pending and late — with region and platform
  variables. Business facts come from SQL over each service's database (datasource per database).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "govmedia-prometheus"}
SERVICES = ("registry", "review", "monitor", "notify", "scoring")


def postgres(service: str) -> dict[str, str]:
    return {"type": "grafana-postgresql-datasource", "uid": f"govmedia-pg-{service}"}


class Board:
    """Lays panels out on Grafana's 24-column grid, left to right, top to bottom."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self._x = 0
        self._y = 0
        self._row_h = 0

    def add(self, panel: dict[str, Any], w: int = 8, h: int = 8) -> None:
        if self._x + w > 24:
            self._x, self._y, self._row_h = 0, self._y + self._row_h, 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"x": self._x, "y": self._y, "w": w, "h": h}
        self.panels.append(panel)
        self._x += w
        self._row_h = max(self._row_h, h)

    def row(self, title: str) -> None:
        if self._x:
            self._x, self._y, self._row_h = 0, self._y + self._row_h, 0
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, w=24, h=1)
        self._x, self._y, self._row_h = 0, self._y + 1, 0


def prom(
    title: str, *exprs: str, kind: str = "timeseries", unit: str = "short", legend: str = ""
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(65 + i), "expr": e, "legendFormat": legend, "datasource": PROMETHEUS}
            for i, e in enumerate(exprs)
        ],
    }


def sql(title: str, service: str, query: str, kind: str = "table", unit: str = "short") -> dict[str, Any]:
    ds = postgres(service)
    fmt = "time_series" if kind == "timeseries" else "table"
    return {
        "type": kind,
        "title": title,
        "datasource": ds,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {
                "refId": "A",
                "datasource": ds,
                "rawQuery": True,
                "editorMode": "code",
                "format": fmt,
                "rawSql": " ".join(query.split()),
            }
        ],
    }


def dashboard(
    uid: str, title: str, board: Board, variables: list[dict[str, Any]], tags: list[str]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["govmedia", *tags],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "panels": board.panels,
    }


def query_variable(name: str, label: str, datasource: dict[str, str], query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": datasource,
        "query": query,
        "definition": query,
        "refresh": 1,
        "includeAll": True,
        "multi": False,
        "allValue": "",
        "current": {"selected": True, "text": "All", "value": "$__all"},
    }


def platform_health() -> dict[str, Any]:
    b = Board()
    svc = 'service=~"$service"'
    b.row("Services")
    b.add(prom("Services up", 'up{job="govmedia"}', kind="stat", legend="{{instance}}"), w=6)
    b.add(
        prom(
            "Ready (database and broker reachable)",
            f"govmedia_service_ready{{{svc}}}",
            kind="stat",
            legend="{{service}}",
        ),
        w=6,
    )
    b.add(
        prom("Version", f"govmedia_service_info{{{svc}}}", kind="table", legend="{{service}} {{version}}"),
        w=6,
    )
    b.add(
        prom(
            "Business gauges age",
            f"govmedia_business_gauges_age_seconds{{{svc}}}",
            kind="stat",
            unit="s",
            legend="{{service}}",
        ),
        w=6,
    )
    b.add(
        prom(
            "Business gauge queries failing (15 min)",
            f"sum by (service, gauge) (increase(govmedia_business_gauge_errors_total{{{svc}}}[15m]))",
            legend="{{service}} {{gauge}}",
        ),
        w=6,
    )
    b.row("HTTP (RED)")
    b.add(
        prom(
            "Requests per second",
            f"sum by (service) (rate(govmedia_http_requests_total{{{svc}}}[5m]))",
            unit="reqps",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Server error ratio (5xx)",
            f'sum by (service) (rate(govmedia_http_requests_total{{{svc},status=~"5.."}}[5m])) / '
            f"clamp_min(sum by (service) (rate(govmedia_http_requests_total{{{svc}}}[5m])), 1e-9)",
            unit="percentunit",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "p95 latency by route",
            "histogram_quantile(0.95, sum by (le, service, route) "
            f"(rate(govmedia_http_request_duration_seconds_bucket{{{svc}}}[5m])))",
            unit="s",
            legend="{{service}} {{route}}",
        )
    )
    b.add(
        prom(
            "Refusals over the audit budget (a flood from one source)",
            f"sum by (service) (rate(govmedia_audit_refusals_unwritten_total{{{svc}}}[5m]))",
            unit="reqps",
            legend="{{service}}",
        )
    )
    b.row("Events")
    b.add(
        prom(
            "Consumer lag (broker side)",
            "sum by (consumergroup, topic) (kafka_consumergroup_lag)",
            legend="{{consumergroup}} {{topic}}",
        )
    )
    b.add(
        prom(
            "Consumer lag (service side)",
            f"sum by (service, group, topic) (govmedia_consumer_lag{{{svc}}})",
            legend="{{service}}/{{group}} {{topic}}",
        )
    )
    b.add(
        prom(
            "Messages handled by outcome",
            f"sum by (service, outcome) (rate(govmedia_consumer_messages_total{{{svc}}}[5m]))",
            unit="ops",
            legend="{{service}} {{outcome}}",
        )
    )
    b.add(
        prom(
            "Outbox backlog (rows not yet on Kafka)",
            f"govmedia_outbox_backlog{{{svc}}}",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Oldest unpublished outbox row",
            f"govmedia_outbox_oldest_age_seconds{{{svc}}}",
            unit="s",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Dead outbox rows (refused by the broker)",
            f"govmedia_outbox_set_aside{{{svc}}}",
            kind="stat",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Dead letters and retries (1 h)",
            f"sum by (service, topic) (increase(govmedia_consumer_dead_letters_total{{{svc}}}[1h]))",
            f"sum by (service, topic) (increase(govmedia_consumer_retries_total{{{svc}}}[1h]))",
            legend="{{service}} {{topic}}",
        )
    )
    b.add(
        prom(
            "Outbox publish errors (15 min)",
            f"sum by (service) (increase(govmedia_outbox_publish_errors_total{{{svc}}}[15m]))",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Relay throughput",
            f"sum by (service) (rate(govmedia_outbox_published_total{{{svc}}}[5m]))",
            unit="ops",
            legend="{{service}}",
        )
    )
    b.row("Scheduled work and deliveries (monitor, notify, scoring)")
    b.add(
        prom(
            "Scheduled tasks: time since the last successful turn",
            f"time() - max by (service, task) (govmedia_task_last_success_timestamp_seconds{{{svc}}})",
            unit="s",
            legend="{{service}} {{task}}",
        )
    )
    b.add(
        prom(
            "Scheduled tasks: replicas running each",
            f"count by (service, task) (govmedia_task_interval_seconds{{{svc}}})",
            kind="stat",
            legend="{{service}} {{task}}",
        )
    )
    b.add(
        prom(
            "Scheduled tasks: failed turns in a row",
            f"max by (service, task) (govmedia_task_consecutive_failures{{{svc}}})",
            legend="{{service}} {{task}}",
        )
    )
    b.add(
        prom(
            "Lexicon lists waiting for their document (monitor)",
            f'govmedia_lexicon_lists_waiting{{{svc},measure="lists"}}',
            kind="stat",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Lexicon fetch state (monitor: not_configured, no_client, failing, ok)",
            f"max by (state) (govmedia_lexicon_fetch_state{{{svc}}}) == 1",
            kind="stat",
            legend="{{state}}",
        )
    )
    b.add(
        prom(
            "Delivery channels configured (notify: 0 = nothing is written for it)",
            f"min by (channel) (govmedia_delivery_channel_configured{{{svc}}})",
            kind="stat",
            legend="{{channel}}",
        )
    )
    b.add(
        prom(
            "Official working-day schedule stored (this year, next year)",
            f"min by (year) (govmedia_working_days_known{{{svc}}})",
            kind="stat",
            legend="{{year}}",
        )
    )
    b.add(
        prom(
            "Deliveries by outcome (e-mail, SMS, webhooks)",
            f"sum by (channel, outcome) (increase(govmedia_delivery_attempts_total{{{svc}}}[15m]))",
            legend="{{channel}} {{outcome}}",
        )
    )
    b.add(
        prom(
            "Token revocation feed unreachable (1: revocations are not seen until it is back)",
            f"max by (service) (govmedia_token_revocations_unreachable{{{svc}}})",
            kind="stat",
            legend="{{service}}",
        )
    )
    b.add(
        prom(
            "Deliveries pending and dead",
            f"sum by (channel, status) (govmedia_deliveries{{{svc}}})",
            legend="{{channel}} {{status}}",
        )
    )
    b.add(
        prom(
            "Longest wait of a due delivery",
            f"max by (channel) (govmedia_deliveries_due_oldest_seconds{{{svc}}})",
            unit="s",
            legend="{{channel}}",
        )
    )
    b.add(
        prom(
            "Score periods waiting for a recomputation",
            f"max by (service) (govmedia_scoring_stale_periods{{{svc}}})",
            kind="stat",
            legend="{{service}}",
        )
    )
    b.row("Database")
    b.add(prom("PostgreSQL up", "pg_up", kind="stat"), w=6)
    b.add(
        prom(
            "Connections by database", "sum by (datname) (pg_stat_database_numbackends)", legend="{{datname}}"
        ),
        w=9,
    )
    b.add(
        prom(
            "Transactions per second by database",
            "sum by (datname) (rate(pg_stat_database_xact_commit[5m]))",
            unit="ops",
            legend="{{datname}}",
        ),
        w=9,
    )
    service_var = {
        "name": "service",
        "label": "Service",
        "type": "custom",
        "query": ",".join(SERVICES),
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": "All", "value": "$__all"},
        "options": [],
    }
    return dashboard(
        "govmedia-platform-health", "govmedia — Platform health (运行状态)", b, [service_var], ["operations"]
    )


def render() -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    from supervision import supervision  # the SQL panels live beside this file

    boards = {"govmedia-platform-health.json": platform_health(), "govmedia-supervision.json": supervision()}
    return {name: json.dumps(doc, ensure_ascii=False, indent=2) + "\n" for name, doc in boards.items()}


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    OUT.mkdir(exist_ok=True)
    for stale in OUT.glob("*.json"):
        stale.unlink()
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {OUT / name}\n")
