"""Metrics of a service's scheduled work (a sweep, a dispatcher, a schedule): did it run, did it fail.

A background loop logs its failures and tries again at its next turn, so a loop that fails every time, or one
that hangs, leaves a service ready and its HTTP answers fine: only its own metrics can tell. Each loop wraps
one turn in :meth:`ScheduledTask.turn`::

    task = ScheduledTask("notify", "sweep", interval_seconds=60, log=log)
    while True:
        try:
            with task.turn():
                await sweep(...)
        except Exception:
            task.log_failure("sweep failed; next run as scheduled")
        await asyncio.sleep(task.pause(60))

A loop that fails for an hour (the database away) must not bury the log in tracebacks:
:meth:`ScheduledTask.log_failure` writes the traceback of the first failure in a row and of each new error,
and for the same error again one line, at the 2nd, 4th, 8th … failure in a row and then every 64th; the first
turn that succeeds after failures logs that the task recovered and after how many.

The alerts ``GovmediaScheduledTaskFailing`` and ``GovmediaScheduledTaskLate`` (deploy/prometheus/rules.yml)
read them; docs/operations.md names every task. The label is ``task``, not ``job``, which Prometheus keeps for
the scrape job.
"""

from __future__ import annotations

import contextlib
import logging
import sys
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
# After the 2nd, 4th, … 64th failure in a row with the same error, it is logged again every this many turns.
REPEAT_EVERY = 64

_log = logging.getLogger(__name__)


class ScheduledTask:
    """The metrics of one background loop of one service."""

    def __init__(
        self, service: str, name: str, *, interval_seconds: float, log: logging.Logger | None = None
    ) -> None:
        self.service = service
        self.name = name
        self.log = log or _log
        self._failures = 0
        self._error = ""
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
        if self._failures:
            self.log.info(
                "%s recovered after %d failed turn(s) in a row",
                self.name,
                self._failures,
                extra={"task": self.name, "failed_turns": self._failures},
            )
        self._failures = 0
        self._error = ""
        TASK_RUNS.labels(self.service, self.name, "ok").inc()
        TASK_FAILURES_IN_A_ROW.labels(self.service, self.name).set(0)
        TASK_LAST_SUCCESS.labels(self.service, self.name).set(time.time())

    def log_failure(self, message: str, *args: object) -> None:
        """Log the failed turn being handled (call it in the ``except`` around :meth:`turn`): its traceback
        when it is the first failure in a row or another error than the last one; otherwise one line, at
        the 2nd, 4th, 8th … 64th failure in a row and then every 64th, saying how many turns failed."""
        error = sys.exc_info()[1]
        text = f"{type(error).__name__}: {error}" if error is not None else ""
        extra = {"task": self.name, "failed_turns": self._failures}
        if self._failures <= 1 or text != self._error:
            self.log.exception(message, *args, extra=extra)
        elif self._failures & (self._failures - 1) == 0 or self._failures % REPEAT_EVERY == 0:
            self.log.error(
                message + " (%d turns in a row, the same error: %s)", *args, self._failures, text, extra=extra
            )
        self._error = text

    @property
    def failures_in_a_row(self) -> int:
        return self._failures

    def pause(self, interval_seconds: float) -> float:
        """The pause before the next turn: the interval, doubled for each failure in a row (a database away
        is not retried, and logged, every second), up to a minute (or the interval when longer)."""
        backoff: float = interval_seconds * 2.0 ** min(self._failures, 16)
        return min(backoff, max(interval_seconds, MAX_PAUSE_SECONDS))
