"""Database spans only when traces go somewhere; trace ids in problems and logs either way.

The SQLAlchemy instrumentation hooks every statement of an engine. Without an OpenTelemetry SDK installed
(no ``OTEL_EXPORTER_OTLP_ENDPOINT``, no exporter a test or operator installed) its spans are recorded
nowhere, so the engine is left without the hooks; the W3C trace ids the services quote are made without it.
"""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.app import build_runtime
from govmedia_common.auth import TokenVerifier
from govmedia_common.db import create_engine
from govmedia_common.problems import Problem
from govmedia_common.settings import ServiceSettings
from govmedia_common.tracing import exporting_traces, instrument_engine, span

URL = "postgresql+asyncpg://nobody@127.0.0.1:9/none"  # never connected to
INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _statement_hooks(engine: AsyncEngine) -> int:
    dispatch = engine.sync_engine.dispatch
    return len(dispatch.before_cursor_execute) + len(dispatch.after_cursor_execute)


@pytest.fixture
def no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process as a service runs without an exporter: OpenTelemetry's default (proxy) provider."""
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())


async def test_without_an_exporter_a_services_engine_runs_statements_without_span_hooks(
    no_sdk: None,
) -> None:
    assert not exporting_traces()
    runtime = build_runtime(
        ServiceSettings(service_name="probe", database_url=URL),
        verifier=TokenVerifier(issuer="i", audience="a", jwks={"keys": []}),
    )
    try:
        assert _statement_hooks(runtime.engine) == 0
    finally:
        await runtime.engine.dispose()


async def test_with_an_sdk_installed_every_statement_gets_a_span(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = TracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    assert exporting_traces()
    engine = create_engine(URL)
    try:
        instrument_engine(engine)
        assert _statement_hooks(engine) == 2
    finally:
        await engine.dispose()


def test_without_an_exporter_a_request_continues_the_callers_trace_and_its_problems_quote_it(
    no_sdk: None,
) -> None:
    with span("HTTP POST", INCOMING) as ctx:
        body = Problem(422, "bad", "No.").body()
    assert ctx.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert ctx.span_id != "b7ad6b7169203331"
    assert body["trace_id"] == ctx.trace_id
    with span("HTTP POST", None) as fresh:
        assert len(fresh.trace_id) == 32 and fresh.trace_id != ctx.trace_id
        assert Problem(422, "bad", "No.").body()["trace_id"] == fresh.trace_id
