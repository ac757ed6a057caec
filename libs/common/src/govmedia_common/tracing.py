"""W3C trace context carried through HTTP, the outbox and Kafka headers."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceContext:
    """One span's identity: the trace it belongs to and its own span id."""

    trace_id: str
    span_id: str
    flags: str = "01"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """A new span in the same trace."""
        return TraceContext(self.trace_id, secrets.token_hex(8), self.flags)


current_trace: ContextVar[TraceContext | None] = ContextVar("govmedia_trace", default=None)


def parse_traceparent(value: str | None) -> TraceContext | None:
    """Parse a ``traceparent`` header; None if absent or malformed."""
    if not value:
        return None
    m = _TRACEPARENT.match(value.strip().lower())
    if not m or m.group(1) == "0" * 32 or m.group(2) == "0" * 16:
        return None
    return TraceContext(m.group(1), m.group(2), m.group(3))


def new_trace() -> TraceContext:
    """Start a new trace."""
    return TraceContext(secrets.token_hex(16), secrets.token_hex(8))


def continue_or_start(traceparent: str | None) -> TraceContext:
    """A child span of the incoming context, or a fresh trace."""
    parent = parse_traceparent(traceparent)
    return parent.child() if parent else new_trace()


def current_traceparent() -> str:
    """The current context's traceparent, starting a trace if there is none."""
    ctx = current_trace.get()
    if ctx is None:
        ctx = new_trace()
        current_trace.set(ctx)
    return ctx.traceparent


# ---- OpenTelemetry spans ------------------------------------------------------------------------------
# The W3C context above is what travels (HTTP headers, outbox rows, Kafka headers); OpenTelemetry records the
# spans. span() starts an OTel span whose parent is the incoming traceparent and makes its ids the current
# TraceContext, so the outbox, the logs and problem documents carry the ids of the span that really exists.
# Without a configured SDK (no exporter wanted) spans are not recorded and the ids are generated as before.

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("govmedia")


@contextlib.contextmanager
def span(
    name: str,
    traceparent: str | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int | bool] | None = None,
) -> Iterator[TraceContext]:
    """Run a block in a span that continues ``traceparent`` (or starts a trace) and is the current context."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else Context()
    with _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as otel_span:
        sc = otel_span.get_span_context()
        if otel_span.is_recording() and sc.is_valid:
            ctx = TraceContext(format(sc.trace_id, "032x"), format(sc.span_id, "016x"))
        else:
            ctx = continue_or_start(traceparent)
        token = current_trace.set(ctx)
        try:
            yield ctx
        finally:
            current_trace.reset(token)


def configure_tracing(service: str) -> None:
    """Install the OpenTelemetry SDK once per process, exporting over OTLP when an endpoint is configured.

    The endpoint comes from the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``…_TRACES_ENDPOINT``); without
    one, nothing is installed and spans cost nothing. A provider installed earlier (a test's in-memory
    exporter, an operator's auto-instrumentation) is left as it is.
    """
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": f"govmedia-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def exporting_traces() -> bool:
    """Whether spans are recorded for some exporter: an OpenTelemetry SDK provider is installed (by
    :func:`configure_tracing` for an OTLP endpoint, or by a test or an operator's auto-instrumentation)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def instrument_engine(engine: AsyncEngine) -> None:
    """Database spans for every statement of this engine (the maintained SQLAlchemy instrumentation).

    Only when traces are exported (:func:`exporting_traces`, so call it after :func:`configure_tracing`):
    without an SDK the spans are recorded nowhere, whatever ``traceparent`` came in, and the statement hooks
    would cost CPU on every statement of every request for nothing. The trace ids the services quote (logs,
    problem bodies, outbox rows) come from :func:`span`, which does not need them.

    ``SQLAlchemyInstrumentor().instrument(engine=…)`` works once per process (a singleton), and a process may
    hold several engines (tests run several services in one process), so each engine gets the
    instrumentation's own ``EngineTracer`` directly.
    """
    if not exporting_traces():
        return
    from opentelemetry import metrics as otel_metrics
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__

    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    usage = otel_metrics.get_meter(
        "opentelemetry.instrumentation.sqlalchemy", __version__
    ).create_up_down_counter(
        name="db.client.connections.usage", unit="connections", description="Connections by state."
    )
    EngineTracer(tracer, engine.sync_engine, usage, enable_commenter=False)  # type: ignore[no-untyped-call]
