"""W3C trace context carried through HTTP, the outbox and Kafka headers."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

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
