"""A scheduled task's turns are counted: failures in a row until one succeeds, and when the last succeeded."""

from __future__ import annotations

import logging
import time

import pytest
from prometheus_client import REGISTRY

from govmedia_common.scheduled import ScheduledTask


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_failures_count_in_a_row_until_a_turn_succeeds() -> None:
    started = time.time()
    task = ScheduledTask("unit", "sweep", interval_seconds=60)
    labels = {"service": "unit", "task": "sweep"}
    assert _value("govmedia_task_interval_seconds", **labels) == 60
    assert _value("govmedia_task_consecutive_failures", **labels) == 0
    first = _value("govmedia_task_last_success_timestamp_seconds", **labels)
    assert first is not None and first >= started  # a task hung in its first turn is late too
    assert _value("govmedia_task_runs_total", outcome="failed", **labels) == 0
    for _ in range(2):
        with pytest.raises(RuntimeError), task.turn():
            raise RuntimeError("database away")
    assert _value("govmedia_task_consecutive_failures", **labels) == 2
    assert _value("govmedia_task_runs_total", outcome="failed", **labels) == 2
    assert _value("govmedia_task_last_success_timestamp_seconds", **labels) == first
    with task.turn():
        pass
    assert _value("govmedia_task_consecutive_failures", **labels) == 0
    assert _value("govmedia_task_runs_total", outcome="ok", **labels) == 1
    last = _value("govmedia_task_last_success_timestamp_seconds", **labels)
    assert last is not None and last >= first


async def test_a_cancelled_turn_is_not_a_failure() -> None:
    import asyncio

    task = ScheduledTask("unit", "cancelled", interval_seconds=1)
    with pytest.raises(asyncio.CancelledError), task.turn():
        raise asyncio.CancelledError
    assert _value("govmedia_task_consecutive_failures", service="unit", task="cancelled") == 0
    assert _value("govmedia_task_runs_total", service="unit", task="cancelled", outcome="failed") == 0


def test_the_pause_doubles_with_each_failure_in_a_row_up_to_a_minute_and_returns_after_a_success() -> None:
    task = ScheduledTask("unit", "paused", interval_seconds=10)
    assert task.pause(10) == 10
    pauses = []
    for _ in range(5):
        with pytest.raises(OSError), task.turn():
            raise OSError("connection refused")
        pauses.append(task.pause(10))
    assert pauses == [20, 40, 60, 60, 60]
    assert task.pause(900) == 900  # a task that waits longer than a minute keeps its interval
    with task.turn():
        pass
    assert task.pause(10) == 10


def test_a_task_failing_for_long_logs_a_traceback_per_error_then_lines_at_growing_intervals_and_its_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database away for an hour under a one-minute loop was 60 tracebacks of forty lines: the first
    failure in a row and each new error keep their traceback; the same error again is one line at the 2nd,
    4th, 8th … failure in a row, then every 64th; the first success says the task recovered."""
    log = logging.getLogger("unit.scheduled")
    task = ScheduledTask("unit", "logged", interval_seconds=60, log=log)

    def fail(error: Exception) -> None:
        try:
            with task.turn():
                raise error
        except Exception:
            task.log_failure("logged failed; next turn in %g s", 60)

    with caplog.at_level(logging.INFO, logger="unit.scheduled"):
        for _ in range(9):
            fail(ConnectionRefusedError("database away"))
        fail(TimeoutError("the database answers too slowly"))
        for _ in range(130):
            fail(TimeoutError("the database answers too slowly"))
        with task.turn():
            pass
    records = [r for r in caplog.records if r.name == "unit.scheduled"]
    tracebacks = [r for r in records if r.exc_info]
    assert [str(r.exc_info[1]) for r in tracebacks if r.exc_info] == [
        "database away",
        "the database answers too slowly",
    ]
    lines = [r.getMessage() for r in records if not r.exc_info]
    repeated = [m for m in lines if "turns in a row" in m]
    # database away: failures 2, 4, 8; the timeouts (failures 10 … 140): 16, 32, 64, 128
    assert [m.split(" (")[1].split(" turns")[0] for m in repeated] == ["2", "4", "8", "16", "32", "64", "128"]
    assert all(m.startswith("logged failed; next turn in 60 s") for m in repeated)
    assert lines[-1] == "logged recovered after 140 failed turn(s) in a row"
    assert len(records) == 2 + 7 + 1, "not one line per failed turn"
