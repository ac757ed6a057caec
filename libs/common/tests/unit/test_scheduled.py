"""A scheduled task's turns are counted: failures in a row until one succeeds, and when the last succeeded."""

from __future__ import annotations

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
