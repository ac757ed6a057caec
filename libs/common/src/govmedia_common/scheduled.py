"""Metrics of a service's scheduled work (a sweep, a dispatcher, a schedule): did it run, did it fail.

A background loop logs its failures and tries again at its next turn, so a loop that fails every time, or one
that hangs, leaves a service ready and its HTTP answers fine: only its own metrics can tell. Each loop wraps
one turn in :meth:`ScheduledTask.turn`::

    task = ScheduledTask("notify", "sweep", interval_seconds=60)
    while True:
        try:
            with task.turn():
                await sweep(...)
        except Exception:
            log.exception("sweep failed; next run as scheduled")
        await asyncio.sleep(60)

The alerts ``GovmediaScheduledTaskFailing`` and ``GovmediaScheduledTaskLate`` (deploy/prometheus/rules.yml)
read them; docs/operations.md names every task. The label is ``task``, not ``job``, which Prometheus keeps for
the scrape job.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge

TASK_RUNS = Counter(
    "govmedia_task_runs_total",
    "Turns of a scheduled task (sweep, dispatcher, schedule) by outcome: ok or failed.",
    ["service", "task", "outcome"],
)
TASK_FAILURES_IN_A_ROW = Gauge(
    "govmedia_task_consecutive_failures",
    "Turns of a scheduled task that failed since its last successful one (0: the last turn succeeded).",
    ["service", "task"],
)
TASK_LAST_SUCCESS = Gauge(
    "govmedia_task_last_success_timestamp_seconds",
    "Unix time of a scheduled task's last successful turn (before the first one: when the task started).",
    ["service", "task"],
)
TASK_INTERVAL = Gauge(
    "govmedia_task_interval_seconds",
    "How long a scheduled task waits between two turns when all is well (a daily task: 86400).",
    ["service", "task"],
)


# The longest pause between two failing turns of a task whose interval is shorter.
MAX_PAUSE_SECONDS = 60.0


class ScheduledTask:
    """The metrics of one background loop of one service."""

    def __init__(self, service: str, name: str, *, interval_seconds: float) -> None:
        self.service = service
        self.name = name
        self._failures = 0
        TASK_INTERVAL.labels(service, name).set(interval_seconds)
        TASK_FAILURES_IN_A_ROW.labels(service, name).set(0)
        # A task that hangs in its first turn must look late too, so the clock starts with the task.
        TASK_LAST_SUCCESS.labels(service, name).set(time.time())
        for outcome in ("ok", "failed"):
            TASK_RUNS.labels(service, name, outcome)

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Count one turn: failed when the body raises (the exception goes on), ok otherwise. A cancelled
        turn (the service stopping) is neither."""
        try:
            yield
        except Exception:
            self._failures += 1
            TASK_RUNS.labels(self.service, self.name, "failed").inc()
            TASK_FAILURES_IN_A_ROW.labels(self.service, self.name).set(self._failures)
            raise
        self._failures = 0
        TASK_RUNS.labels(self.service, self.name, "ok").inc()
        TASK_FAILURES_IN_A_ROW.labels(self.service, self.name).set(0)
        TASK_LAST_SUCCESS.labels(self.service, self.name).set(time.time())

    @property
    def failures_in_a_row(self) -> int:
        return self._failures

    def pause(self, interval_seconds: float) -> float:
        """The pause before the next turn: the interval, doubled for each failure in a row (a database away
        is not retried, and logged, every second), up to a minute (or the interval when longer)."""
        backoff: float = interval_seconds * 2.0 ** min(self._failures, 16)
        return min(backoff, max(interval_seconds, MAX_PAUSE_SECONDS))
