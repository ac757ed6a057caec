"""The provisioned Grafana dashboards query only metrics the services really export."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import govmedia_common.metrics  # noqa: F401 - registers the metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
METRIC = re.compile(r"\bgovmedia_[a-z0-9_]+")


def exported_series() -> set[str]:
    names: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        names.update(REGISTRY._collector_to_names[collector])
    return names


def test_every_dashboard_is_valid_json_with_a_uid_and_panels() -> None:
    assert DASHBOARDS, "no dashboards provisioned"
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        assert doc["uid"] and doc["panels"], path


def test_every_metric_a_dashboard_queries_is_exported() -> None:
    exported = exported_series()
    for path in DASHBOARDS:
        doc = json.loads(path.read_text())
        for panel in doc["panels"]:
            for target in panel.get("targets", []):
                for name in METRIC.findall(target["expr"]):
                    assert name in exported, f"{path.name}: panel {panel['title']!r} queries unknown {name}"


def test_the_datasource_the_dashboards_use_is_provisioned() -> None:
    provisioned = (
        ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yaml"
    ).read_text()
    uids = set(re.findall(r"uid:\s*(\S+)", provisioned))
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            assert panel["datasource"]["uid"] in uids, f"{path.name}: {panel['title']}"
