"""The test session's own PostgreSQL is stopped without a checkpoint: its data folder is deleted next, and
a fast shutdown first wrote every dirty page of the session's hundreds of databases (22 s for 40 fresh
ones on a busy machine, and as long again to delete what it wrote)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from govmedia_platform import pytest_plugin
from govmedia_platform.stack import EmbeddedPostgres


class _Process:
    def __init__(self) -> None:
        self.signals: list[int] = []

    def poll(self) -> None:
        return None

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_a_server_whose_data_is_discarded_stops_at_once_and_one_whose_data_stays_stops_cleanly(
    tmp_path: Path,
) -> None:
    for discard, expected in ((True, signal.SIGQUIT), (False, signal.SIGINT)):
        pg = EmbeddedPostgres(tmp_path)
        process = _Process()
        pg.process = process  # type: ignore[assignment]  # stands in for the server's process
        pg.stop(discard=discard)
        assert process.signals == [expected]


def test_the_test_sessions_server_is_stopped_discarding_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[dict[str, Any]] = []

    class Server(EmbeddedPostgres):
        url = "postgresql+asyncpg://postgres@127.0.0.1:1"

        def start(self, log: Any = None) -> None:
            return None

        def stop(self, **how: Any) -> None:
            stopped.append(how)

    monkeypatch.setattr(pytest_plugin, "EmbeddedPostgres", Server)
    monkeypatch.setenv("GOVMEDIA_TEST_NO_DOCKER", "1")
    monkeypatch.setenv("GOVMEDIA_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:2")
    monkeypatch.delenv("GOVMEDIA_TEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVMEDIA_DATABASE_URL", raising=False)
    with pytest_plugin.test_infrastructure():
        pass
    assert stopped == [{"discard": True}]
