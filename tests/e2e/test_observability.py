"""Observability across the running services: one request is one trace through several services, and every
metric a dashboard panel or an alert rule queries is exported by some running service.

The five services run in-process with their relays and consumers on the real broker and PostgreSQL; an
in-memory OpenTelemetry exporter collects the spans.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from govmedia_common.settings import ServiceSettings
from govmedia_platform.groups import exact_ends, own_groups, start_at_the_end
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.stack import SERVICES
from tests.contract.test_dashboards import promql_metric_names

pytestmark = pytest.mark.integration

ADMIN_PASSWORD = "observability-admin-pw-5521"
_EXPORTER = InMemorySpanExporter()


def _install_in_memory_exporter() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    return _EXPORTER


class Platform:
    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}


@pytest.fixture(scope="module")
async def platform(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Platform]:
    import importlib

    exporter = _install_in_memory_exporter()
    exporter.clear()
    running = Platform()
    # consumer groups of its own, from where the topics end now: other tests' events are not this platform's
    kafka = own_groups(infra.kafka_bootstrap, "obs")
    before = await exact_ends(infra.kafka_bootstrap)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
        async with contextlib.AsyncExitStack() as stack:
            for service in SERVICES:
                url = await fresh_database(infra, f"obs_{service}", service)
                main = importlib.import_module(f"govmedia_{service}.main")
                params: dict[str, Any] = {
                    "service_name": service,
                    "environment": "test",
                    "database_url": url,
                    "kafka": kafka,
                    "log_json": False,
                    "log_level": "WARNING",
                    "relay_idle_sleep_seconds": 0.05,
                }
                hint = main.create_app.__annotations__.get("settings", "")
                settings_cls: type[ServiceSettings] = ServiceSettings
                if "NotifySettings" in str(hint):
                    settings_cls = importlib.import_module("govmedia_notify.settings").NotifySettings
                app = main.create_app(settings_cls(**params))
                await start_at_the_end(app, before)
                manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=60))
                running.apps[service] = manager.app
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{service}"
                )
                await stack.enter_async_context(client)
                running.clients[service] = client
            yield running


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


async def _admin_token(client: httpx.AsyncClient) -> str:
    answer = await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_one_request_is_one_trace_through_at_least_three_services(platform: Platform) -> None:
    registry = platform.clients["registry"]
    token = await _admin_token(registry)
    auth = {"Authorization": f"Bearer {token}"}
    current = await registry.get("/v1/regions/330000/settings", headers=auth)
    assert current.status_code == 200, current.text
    headers = dict(auth)
    if current.headers.get("etag"):
        headers["If-Match"] = current.headers["etag"]
    _EXPORTER.clear()
    answer = await registry.put(
        "/v1/regions/330000/settings",
        json={"settings": {**current.json().get("own", {}), "registry": {"filing_deadline_workdays": 6}}},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    trace_id = answer.headers["traceparent"].split("-")[1]

    def spans_of_the_trace() -> list[ReadableSpan]:
        return [
            s
            for s in _EXPORTER.get_finished_spans()
            if s.context and _hex(s.context.trace_id, 32) == trace_id
        ]

    deadline = time.monotonic() + 90
    services: set[str] = set()
    while time.monotonic() < deadline:
        services = {str(s.attributes.get("govmedia.service")) for s in spans_of_the_trace() if s.attributes}
        if len(services - {"registry"}) >= 2:
            break
        await asyncio.sleep(0.5)
    assert "registry" in services and len(services) >= 3, f"services in trace {trace_id}: {services}"
    spans = spans_of_the_trace()
    consumers = [s for s in spans if s.kind == trace.SpanKind.CONSUMER]
    assert consumers and all(s.parent is not None for s in consumers), "consumer spans continue the trace"
    database = [s for s in spans if s.attributes and s.attributes.get("db.system") == "postgresql"]
    assert database, "the database writes of the request and the consumers are spans of the same trace"


async def test_every_metric_a_dashboard_or_alert_queries_is_exported_by_a_running_service(
    platform: Platform,
) -> None:
    exported: set[str] = set()
    for service, client in platform.clients.items():
        answer = await client.get("/metrics")
        assert answer.status_code == 200, service
        for line in answer.text.splitlines():
            match = re.match(r"# TYPE (\S+) (\w+)", line) or re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", line)
            if match:
                exported.add(match.group(1))
    # Histograms are queried through their _bucket/_sum/_count series, counters through _total.
    expanded = exported | {
        f"{n}{suffix}" for n in exported for suffix in ("_bucket", "_sum", "_count", "_total")
    }
    missing = {
        name: where
        for name, where in promql_metric_names().items()
        if name.startswith("govmedia_") and name not in expanded
    }
    assert not missing, f"queried but exported by no running service: {missing}"
    for gauge in ("govmedia_accounts", "govmedia_alerts_open", "govmedia_rectifications_overdue"):
        assert gauge in exported, f"business gauge {gauge} is not exported"


ALWAYS_A_ROW = (
    "govmedia_lexicon_lists_waiting",
    "govmedia_scoring_stale_periods",
    "govmedia_working_days_known",
)


async def test_the_supervision_halfs_scheduled_tasks_and_gauges_report_to_the_operator(
    platform: Platform,
) -> None:
    """Each scheduled task of monitor, notify and scoring reports its turns under the name the runbook's table
    gives it, and every business gauge's query runs (a failing one is counted, not shown)."""
    from prometheus_client.parser import text_string_to_metric_families

    from tests.contract.test_supervision_signals import SCHEDULED_TASKS

    expected = {t for t in SCHEDULED_TASKS if t != ("monitor", "lexicon-fetch")}  # needs the review's URL
    samples: dict[tuple[str, str], dict[str, float]] = {}
    gauge_errors: dict[str, float] = {}
    gauges_seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        samples.clear()
        for service in ("monitor", "notify", "scoring"):
            text = (await platform.clients[service].get("/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = sample.labels
                    # this process's registry also holds what other tests in it reported (a unit test's
                    # tasks): only the series of the services asked about count
                    if sample.name.startswith("govmedia_task_") and labels.get("service") == service:
                        key = sample.name + (f"/{labels['outcome']}" if "outcome" in labels else "")
                        samples.setdefault((labels["service"], labels["task"]), {})[key] = sample.value
                    if (
                        sample.name == "govmedia_business_gauge_errors_total"
                        and sample.value
                        and labels.get("service") == service
                    ):
                        gauge_errors[f"{labels['service']}/{labels['gauge']}"] = sample.value
                    if sample.name in ALWAYS_A_ROW:
                        gauges_seen.add(sample.name + (f"/{labels['year']}" if "year" in labels else ""))
                        assert sample.value >= 0, sample
        done = {k for k, v in samples.items() if v.get("govmedia_task_runs_total/ok", 0) >= 1}
        if expected <= done:
            break
        await asyncio.sleep(0.5)
    assert set(samples) <= set(SCHEDULED_TASKS), "a task the runbook's table does not name"
    assert expected <= set(samples), f"tasks reported: {sorted(samples)}"
    for task in expected:
        reported = samples[task]
        assert reported.get("govmedia_task_runs_total/ok", 0) >= 1, (
            f"{task} never completed a turn: {reported}"
        )
        assert reported["govmedia_task_consecutive_failures"] == 0, f"{task}: {reported}"
        assert reported["govmedia_task_interval_seconds"] > 0, f"{task}: {reported}"
        assert reported["govmedia_task_last_success_timestamp_seconds"] <= time.time(), task
    assert not gauge_errors, f"business gauge queries that fail: {gauge_errors}"
    expected_gauges = {
        "govmedia_lexicon_lists_waiting",
        "govmedia_scoring_stale_periods",
        "govmedia_working_days_known/current",
        "govmedia_working_days_known/next",
    }
    assert gauges_seen == expected_gauges, "gauges whose query always answers a row"
