"""The operator at 3 a.m. has Grafana, the alerts and docs/operations.md: every way monitor, notify and
scoring can be unwell has a metric, a Platform-health panel that shows it, an alert rule on it, and a runbook
section the alert names.

Ways the whole platform shares (a service down or not ready, consumer lag, dead letters, a stuck relay) were
covered before; this table adds what only the supervision half does by itself: its scheduled work (the
monitor's daily sweep and lexicon fetch, notify's sweep and delivery dispatcher, scoring's schedule), notify's
deliveries to receivers outside (webhooks, e-mail, SMS) and scores waiting for a recomputation.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "deploy" / "grafana" / "dashboards" / "govmedia-platform-health.json"
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
RUNBOOK = ROOT / "docs" / "operations.md"

# (how it is unwell, the metric that shows it, the runbook section its alert names)
SIGNALS = [
    ("a consumer falls behind", "govmedia_consumer_lag", "lag-growing"),
    ("a consumer gives up on a message", "govmedia_consumer_dead_letters_total", "dead-letters-present"),
    ("database or broker away", "govmedia_service_ready", "a-service-is-not-ready"),
    (
        "a scheduled task keeps failing (sweep, dispatcher, schedule)",
        "govmedia_task_consecutive_failures",
        "a-scheduled-task-failing-or-late",
    ),
    (
        "a scheduled task has not run (hung, or never started)",
        "govmedia_task_last_success_timestamp_seconds",
        "a-scheduled-task-failing-or-late",
    ),
    (
        "no replica runs a scheduled task (turned off everywhere: GOVMEDIA_NOTIFY_RUN_DISPATCHER=false …)",
        "govmedia_task_interval_seconds",
        "a-scheduled-task-failing-or-late",
    ),
    (
        "a business gauge's query fails (the gauges behind the delivery, score and calendar alerts)",
        "govmedia_business_gauge_errors_total",
        "business-gauges-failing",
    ),
    ("deliveries given up (dead)", "govmedia_delivery_attempts_total", "deliveries-failing"),
    ("deliveries waiting for the dispatcher", "govmedia_deliveries_due_oldest_seconds", "deliveries-failing"),
    ("scores waiting for a recomputation", "govmedia_scoring_stale_periods", "scores-not-recomputed"),
    (
        "no official working-day schedule for this year or, in December, the next",
        "govmedia_working_days_known",
        "a-years-working-day-calendar-missing",
    ),
]


def _anchors() -> set[str]:
    return {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in RUNBOOK.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }


def _panel_exprs() -> dict[str, str]:
    exprs: dict[str, str] = {}
    for panel in json.loads(HEALTH.read_text(encoding="utf-8"))["panels"]:
        for target in panel.get("targets", []):
            if "expr" in target:
                exprs[target["expr"]] = panel["title"]
    return exprs


def _alerts() -> list[dict[str, object]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"]]


@pytest.mark.parametrize(("way", "metric", "section"), SIGNALS, ids=[s[0] for s in SIGNALS])
def test_each_way_the_supervision_half_is_unwell_has_a_panel_an_alert_and_a_runbook_section(
    way: str, metric: str, section: str
) -> None:
    uses = re.compile(rf"\b{metric}\b")
    panels = [title for expr, title in _panel_exprs().items() if uses.search(expr)]
    assert panels, f"{way}: no Platform health panel shows {metric} (deploy/grafana/render.py)"
    alerts = [rule for rule in _alerts() if uses.search(str(rule["expr"]))]
    assert alerts, f"{way}: no alert rule in deploy/prometheus/rules.yml watches {metric}"
    runbooks = {str(rule["annotations"]["runbook"]).split("#", 1)[1] for rule in alerts}  # type: ignore[index]  # yaml
    assert section in runbooks, f"{way}: the alerts on {metric} name {runbooks}, not #{section}"
    assert section in _anchors(), f"{way}: docs/operations.md has no section #{section}"


def test_the_runbook_names_every_scheduled_task_with_what_to_do() -> None:
    """The task label of govmedia_task_* is what the operator reads in the alert: the runbook has its row."""
    text = RUNBOOK.read_text(encoding="utf-8")
    for service, task in SCHEDULED_TASKS:
        assert re.search(rf"^\| *{service} *\| *`{task}` *\|", text, re.MULTILINE), (
            f"docs/operations.md has no row for {service}'s scheduled task `{task}`"
        )


def test_an_alert_says_when_no_replica_runs_a_task_that_must_run() -> None:
    """A task turned off on every replica reports nothing, so no other alert on its series can fire."""
    (rule,) = [r for r in _alerts() if r["alert"] == "GovmediaScheduledTaskNotRunning"]
    absent = set(
        re.findall(
            r'absent\(govmedia_task_interval_seconds\{service="(\w+)",task="([\w-]+)"\}\)', str(rule["expr"])
        )
    )
    assert absent == set(SCHEDULED_TASKS) - {("monitor", "lexicon-fetch")}  # that one only when configured


# Every scheduled task of the supervision half (service, task label); tests/e2e/test_observability.py checks
# that the running services report exactly these.
SCHEDULED_TASKS = [
    ("monitor", "daily-sweep"),
    ("monitor", "lexicon-fetch"),
    ("notify", "sweep"),
    ("notify", "dispatcher"),
    ("scoring", "schedule"),
]


PROMTOOL_CASES = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # notify's sweep fails every turn; scoring's schedule succeeded at start (t=0) and then hangs.
      - series: 'govmedia_task_consecutive_failures{service="notify",task="sweep",instance="a"}'
        values: '0 1+1x60'
      - series: >-
          govmedia_task_last_success_timestamp_seconds{service="scoring",task="schedule",instance="b"}
        values: '0x60'
      - series: 'govmedia_task_interval_seconds{service="scoring",task="schedule",instance="b"}'
        values: '900x60'
      - series: 'govmedia_delivery_attempts_total{channel="webhook",outcome="failed",instance="a"}'
        values: '0+2x60'
      - series: 'govmedia_delivery_attempts_total{channel="webhook",outcome="dead",instance="a"}'
        values: '0x30 1x30'
      - series: 'govmedia_delivery_attempts_total{channel="webhook",outcome="delivered",instance="a"}'
        values: '0x60'
      - series: 'govmedia_deliveries_due_oldest_seconds{service="notify",channel="email",instance="a"}'
        values: '0+60x60'
      - series: 'govmedia_scoring_stale_periods{service="scoring",instance="b"}'
        values: '3x61'
      - series: 'govmedia_working_days_known{service="monitor",year="current",instance="c"}'
        values: '0x61'
      - series: 'govmedia_working_days_known{service="monitor",year="next",instance="c"}'
        values: '0x61'
    alert_rule_test:
      - eval_time: 35m
        alertname: GovmediaScheduledTaskFailing
        exp_alerts:
          - exp_labels: {severity: page, service: notify, task: sweep}
      - eval_time: 20m
        alertname: GovmediaScheduledTaskLate
        exp_alerts: []
      - eval_time: 50m
        alertname: GovmediaScheduledTaskLate
        exp_alerts:
          - exp_labels: {severity: page, service: scoring, task: schedule}
      - eval_time: 40m
        alertname: GovmediaDeliveriesFailing
        exp_alerts:
          - exp_labels: {severity: ticket, channel: webhook}
      - eval_time: 32m
        alertname: GovmediaDeliveriesDead
        exp_alerts:
          - exp_labels: {severity: ticket, channel: webhook}
      - eval_time: 25m
        alertname: GovmediaDeliveriesBehind
        exp_alerts:
          - exp_labels: {severity: page, channel: email}
      - eval_time: 20m
        alertname: GovmediaWorkingCalendarMissing
        exp_alerts:
          - exp_labels: {severity: page, service: monitor, year: current}
      - eval_time: 20m
        alertname: GovmediaScheduledTaskNotRunning
        exp_alerts:
          - exp_labels: {severity: page, service: monitor, task: daily-sweep}
          - exp_labels: {severity: page, service: notify, task: dispatcher}
          - exp_labels: {severity: page, service: notify, task: sweep}
      - eval_time: 61m
        alertname: GovmediaScoresNotRecomputed
        exp_alerts:
          - exp_labels: {severity: ticket, service: scoring}
"""


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) not installed"
)
def test_the_alerts_of_the_supervision_half_fire_on_the_series_they_watch(tmp_path: Path) -> None:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations")  # the cases compare labels; the annotations are checked above
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    cases = tmp_path / "cases.yml"
    cases.write_text(PROMTOOL_CASES, encoding="utf-8")
    result = subprocess.run(
        ["promtool", "test", "rules", str(cases)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
