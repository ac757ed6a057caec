"""Every govmedia metric carries the ``service`` label, and every dashboard query of one filters by the
dashboard's ``$service`` variable.

Found by the outside-testing round: ``govmedia_delivery_attempts_total`` (notify) and
``govmedia_token_revocations_unreachable`` (every service) had no ``service`` label while every other
govmedia metric had one, so a dashboard or an alert could neither tell which service's series it read nor
filter them with the others (the platform-health dashboard's delivery panel ignored its service filter).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for base in ("libs", "services") for p in (ROOT / base).glob("*/src/**/*.py"))
KINDS = {
    "Counter",
    "Gauge",
    "Histogram",
    "Summary",
    "Info",
    "Enum",
    "GaugeMetricFamily",
    "CounterMetricFamily",
}
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))


def _metrics() -> list[tuple[str, str, ast.Call]]:
    """(metric name, where, the call that defines it) for every govmedia metric in the product's sources."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            kind = getattr(func, "id", None) or getattr(func, "attr", "")
            first = node.args[0]
            if kind in KINDS and isinstance(first, ast.Constant) and str(first.value).startswith("govmedia_"):
                found.append((str(first.value), f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _label_names(call: ast.Call) -> list[str]:
    labels: ast.expr | None = call.args[2] if len(call.args) > 2 else None
    for keyword in call.keywords:
        if keyword.arg in ("labelnames", "labels"):
            labels = keyword.value
    if not isinstance(labels, ast.List | ast.Tuple):
        return []
    return [str(e.value) for e in labels.elts if isinstance(e, ast.Constant)]


def test_the_product_defines_metrics_where_this_test_looks() -> None:
    names = {name for name, _, _ in _metrics()}
    assert {"govmedia_http_requests_total", "govmedia_delivery_attempts_total"} <= names, names


def test_every_govmedia_metric_has_a_service_label() -> None:
    missing = [f"{name} ({where})" for name, where, call in _metrics() if "service" not in _label_names(call)]
    assert not missing, f"metrics without a service label: {missing}"


def test_every_dashboard_query_of_a_govmedia_metric_filters_by_the_service_variable() -> None:
    selector = re.compile(r"\b(govmedia_[a-z0-9_]+)(\{[^}]*\})?")
    unfiltered = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                for match in selector.finditer(target.get("expr", "")):
                    if '$service"' not in (match.group(2) or ""):
                        unfiltered.append(f"{path.name}: {panel['title']}: {match.group(0)}")
    assert not unfiltered, unfiltered
