"""W3C trace context: parsing traceparent, continuing a trace, starting one when there is none."""

from __future__ import annotations

import contextvars

import pytest

from govmedia_common.tracing import (
    TraceContext,
    continue_or_start,
    current_trace,
    current_traceparent,
    new_trace,
    parse_traceparent,
)

VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_valid_traceparent_is_parsed_into_its_parts() -> None:
    ctx = parse_traceparent(VALID)
    assert ctx == TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01")
    assert ctx is not None and ctx.traceparent == VALID


def test_upper_case_and_surrounding_blanks_are_accepted() -> None:
    assert parse_traceparent(f"  {VALID.upper()} ") == parse_traceparent(VALID)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # unknown version
        "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",  # trace id one digit short
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01",  # not hex
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # all-zero trace id is invalid
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # all-zero span id is invalid
    ],
)
def test_malformed_or_invalid_traceparents_are_ignored(value: str | None) -> None:
    assert parse_traceparent(value) is None


def test_continuing_keeps_the_trace_and_makes_a_new_span() -> None:
    child = continue_or_start(VALID)
    assert child.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert child.span_id != "b7ad6b7169203331"
    assert len(child.span_id) == 16


def test_a_missing_or_bad_parent_starts_a_new_trace() -> None:
    a, b = continue_or_start(None), continue_or_start("nonsense")
    assert a.trace_id != b.trace_id
    assert parse_traceparent(a.traceparent) == a


def test_new_traces_are_well_formed_and_distinct() -> None:
    traces = {new_trace().trace_id for _ in range(100)}
    assert len(traces) == 100
    assert all(parse_traceparent(TraceContext(t, "b7ad6b7169203331").traceparent) for t in traces)


def test_current_traceparent_starts_a_trace_once_and_then_keeps_it() -> None:
    def in_fresh_context() -> tuple[TraceContext | None, str, str, TraceContext | None]:
        return current_trace.get(), current_traceparent(), current_traceparent(), current_trace.get()

    before, first, second, after = contextvars.Context().run(in_fresh_context)
    assert before is None
    assert first == second
    assert after is not None and after.traceparent == first
