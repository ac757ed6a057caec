"""The launcher's own bookkeeping, without the whole platform: restart counts, the sockets it holds for
its services, and that readiness is taken only from the process it spawned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govmedia_platform import launcher
from govmedia_platform.launcher import Infrastructure, Platform, ServiceProcess


class _Proc:
    """A stand-in for a child process: alive until ``die`` is called."""

    _next_pid = 40000

    def __init__(self) -> None:
        _Proc._next_pid += 1
        self.pid = _Proc._next_pid
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code

    def die(self) -> None:
        self.code = -9


def _platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: list[float]) -> Platform:
    platform = Platform(Infrastructure("postgresql://u@127.0.0.1:1/postgres", "127.0.0.1:2"), tmp_path)
    monkeypatch.setattr(launcher.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(Platform, "_spawn", lambda self, service, port: _Proc())
    monkeypatch.setattr(Platform, "_is_ready", lambda self, svc: True)
    return platform


def test_status_keeps_the_total_restart_count_after_the_recent_one_resets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    platform = _platform(tmp_path, monkeypatch, clock)
    svc = ServiceProcess("registry", 8001, _Proc())  # type: ignore[arg-type]
    platform.services.append(svc)
    for _ in range(2):  # kill -9, restarted after the back-off, then runs for more than a minute
        svc.process.die()  # type: ignore[attr-defined]
        platform.supervise(log=lambda _: None)
        clock[0] += 31
        platform.supervise(log=lambda _: None)
        clock[0] += 1
        platform.supervise(log=lambda _: None)  # ready again
        clock[0] += 61
        platform.supervise(log=lambda _: None)
    state: dict[str, Any] = json.loads((tmp_path / "state.json").read_text())
    assert state["services"]["registry"]["restarts_total"] == 2, state
    assert svc.restarts_total == 2
    assert svc.restarts <= 1  # the back-off count still resets after a minute of running
