"""The provisioned Grafana dashboards are the rendered ones, have unique uids, name only provisioned
datasources, and query only metrics that exist (service metrics, or the documented exporters' metrics)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
METRIC = re.compile(r"\b(govmedia_[a-z0-9_]+|kafka_[a-z0-9_]+|pg_[a-z0-9_]+)")
# Metrics of the exporters deploy/ runs beside the services (danielqsj/kafka-exporter, postgres-exporter).
EXPORTER_METRICS = {
    "kafka_consumergroup_lag",
    "pg_up",
    "pg_stat_database_numbackends",
    "pg_stat_database_xact_commit",
}


def _renderer() -> ModuleType:
    sys.path.insert(0, str(GRAFANA))
    try:
        spec = importlib.util.spec_from_file_location("render", GRAFANA / "render.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["render"] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(GRAFANA))


def test_the_committed_dashboards_are_the_rendered_ones() -> None:
    sys.path.insert(0, str(GRAFANA))
    try:
        rendered = _renderer().render()
    finally:
        sys.path.remove(str(GRAFANA))
    assert sorted(rendered) == [p.name for p in DASHBOARDS], "run `python deploy/grafana/render.py`"
    for path in DASHBOARDS:
        assert path.read_text(encoding="utf-8") == rendered[path.name], f"{path.name} is stale"


def test_every_dashboard_has_a_unique_uid_and_panels() -> None:
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids)) and all(uids)
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        assert doc["panels"], path
        ids = [panel["id"] for panel in doc["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"


def _provisioned_uids() -> set[str]:
    uids: set[str] = set()
    for path in (GRAFANA / "provisioning" / "datasources").glob("*.yaml"):
        for ds in yaml.safe_load(path.read_text())["datasources"]:
            uids.add(ds["uid"])
    return uids


def test_every_datasource_a_dashboard_names_is_provisioned() -> None:
    provisioned = _provisioned_uids()
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        for panel in doc["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] in provisioned, f"{path.name}: {panel['title']}"
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] in provisioned, f"{path.name}: {panel['title']}"
        for variable in doc["templating"]["list"]:
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in provisioned, f"{path.name}: ${variable['name']}"


def promql_metric_names() -> dict[str, str]:
    """Every metric name a PromQL panel or an alert rule uses → where it is used."""
    used: dict[str, str] = {}
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                for name in METRIC.findall(target.get("expr", "")):
                    used[name] = f"{path.name}: {panel['title']}"
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            for name in METRIC.findall(rule["expr"]):
                used[name] = f"rules.yml: {rule['alert']}"
    return used


def test_exporter_metrics_the_dashboards_use_are_the_documented_ones() -> None:
    for name, where in promql_metric_names().items():
        if not name.startswith("govmedia_"):
            assert name in EXPORTER_METRICS, (
                f"{where} queries {name}, which no deployed exporter is known to export"
            )


def test_a_panel_that_means_today_takes_the_day_in_beijing_not_the_database_sessions_zone() -> None:
    """Found by the outside-testing round: 'Overdue rectifications' compared deadlines (Beijing dates) with
    PostgreSQL's current_date, which is the day in the zone of Grafana's session (UTC): from 00:00 to 08:00
    Beijing time the panel left out the cases that fell overdue at midnight, while notify's gauge
    govmedia_rectifications_overdue (the service clock's day in Asia/Shanghai) counted them; 'Hot words today'
    showed the day before; the per-day series counted a violation raised at 07:00 Beijing time on the day
    before. The day the services judge by is Asia/Shanghai's."""
    zoneless = re.compile(
        r"\bcurrent_date\b|\bnow\(\)\s*::\s*date\b|\bcurrent_timestamp\s*::\s*date\b"
        r"|date_trunc\('day', *\w+\)",  # a per-day series cut at the session zone's midnight
        re.I,
    )
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                query = target.get("rawSql", "")
                assert not zoneless.search(query), (
                    f"{path.name}: {panel['title']} takes the day of the session's zone: {query}"
                )
