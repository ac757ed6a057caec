"""The launcher's own bookkeeping, without the whole platform: restart counts, the sockets it holds for
its services, and that readiness is taken only from the process it spawned."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
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

    def send_signal(self, sig: int) -> None:
        self.code = -sig

    def wait(self, timeout: float | None = None) -> int | None:
        return self.code


def _platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: list[float]) -> Platform:
    platform = Platform(Infrastructure("postgresql://u@127.0.0.1:1/postgres", "127.0.0.1:2"), tmp_path)
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])  # the module the launcher reads
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


class _OtherPlatformsService:
    """What a second platform's registry looks like from here: a port answering /readyz 200."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"status": "ready", "service": "registry", "instance": "someone-else"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_readiness_answered_by_another_platform_on_our_port_is_not_taken_as_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _OtherPlatformsService()
    try:
        platform = Platform(Infrastructure("postgresql://u@127.0.0.1:1/postgres", "127.0.0.1:2"), tmp_path)
        platform.instance = "ours"
        svc = ServiceProcess("registry", other.port, _Proc())  # type: ignore[arg-type]
        platform.services.append(svc)
        assert not platform._is_ready(svc)
        with pytest.raises(TimeoutError, match="registry"):
            platform.wait_ready(timeout=1.5, log=lambda _: None)
    finally:
        other.close()


@pytest.mark.integration
def test_a_default_port_taken_after_the_check_is_replaced_held_by_the_launcher_and_kept_across_restarts(
    tmp_path: Path, infra: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two platforms started at once: both saw 8001 free; the other one bound it first."""
    other = _OtherPlatformsService()
    monkeypatch.setitem(launcher.DEFAULT_PORTS, "registry", other.port)
    monkeypatch.setattr(
        launcher, "port_is_free", lambda port, host="127.0.0.1": True, raising=False
    )  # checked too early
    lines: list[str] = []
    asyncio.run(launcher.prepare(infra, ("registry",), log=lines.append))
    # Infrastructure without the server objects: stopping this platform leaves the session's servers be.
    platform = Platform(Infrastructure(infra.database_server_url, infra.kafka_bootstrap), tmp_path)
    try:
        platform.start_services(("registry",), log=lines.append)
        svc = platform.services[0]
        assert svc.port != other.port, lines
        with pytest.raises(OSError):  # the launcher holds its port from the start: no one else binds it
            socket.create_server(("127.0.0.1", svc.port)).close()
        platform.wait_ready(timeout=120, log=lines.append)
        first = httpx.get(f"{svc.url}/readyz", timeout=5).json()
        assert (first["instance"], first["pid"]) == (platform.instance, svc.process.pid), first

        svc.process.kill()  # kill -9: started again on the very socket the launcher holds
        svc.process.wait(10)
        deadline = time.monotonic() + 90
        while not (svc.ready and svc.restarts_total == 1):
            assert time.monotonic() < deadline, lines
            platform.supervise(log=lines.append)
            time.sleep(0.3)
        again = httpx.get(f"{svc.url}/readyz", timeout=5).json()
        assert (again["instance"], again["pid"]) == (platform.instance, svc.process.pid), again
        assert again["pid"] != first["pid"]
        assert f"restarted registry on port {svc.port}" in "\n".join(lines)
    finally:
        platform.stop()
        other.close()


def test_a_service_restarted_after_its_migrations_changed_on_disk_is_migrated_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Newer code pulled under a running platform: the restart runs that service's migrations first."""
    clock = [1000.0]
    platform = _platform(tmp_path, monkeypatch, clock)
    calls: list[str] = []
    on_disk: dict[str, tuple[str, ...]] = {"scoring": ("0007",), "review": ("0003",)}
    monkeypatch.setattr(launcher, "migrations_fingerprint", lambda service: on_disk[service])
    monkeypatch.setattr(Platform, "_migrate", lambda self, service, log: calls.append(f"migrate {service}"))
    spawn = Platform._spawn

    def spawned(self: Platform, service: str, port: int) -> Any:
        calls.append(f"spawn {service}")
        return spawn(self, service, port)

    monkeypatch.setattr(Platform, "_spawn", spawned)
    platform.start_services(("review", "scoring"), log=lambda _: None)
    assert calls == ["spawn review", "spawn scoring"]  # `govmedia up` migrated them just before
    try:
        on_disk["scoring"] = ("0007", "0008")  # git pull brought a new revision
        for svc in platform.services:
            svc.process.die()  # type: ignore[attr-defined]
        for _ in range(2):
            platform.supervise(log=lambda _: None)
            clock[0] += 31
        assert calls[2:] == ["spawn review", "migrate scoring", "spawn scoring"], calls
        for svc in platform.services:  # a second restart without new migrations does not migrate again
            svc.process.die()  # type: ignore[attr-defined]
        for _ in range(2):
            platform.supervise(log=lambda _: None)
            clock[0] += 31
        assert calls[5:] == ["spawn review", "spawn scoring"], calls
    finally:
        platform.stop()


@pytest.mark.integration
def test_the_migration_before_a_restart_brings_the_service_database_to_the_code_head(
    tmp_path: Path, infra: Infrastructure
) -> None:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from govmedia_common.db import create_engine
    from govmedia_common.migrations import migrations_dir
    from govmedia_platform.pytest_plugin import fresh_database

    url = asyncio.run(fresh_database(infra, "restartmig"))  # empty: as far behind as it gets

    class OneDatabase(Infrastructure):
        def database_url(self, service: str) -> str:
            return url

    platform = Platform(OneDatabase(infra.database_server_url, infra.kafka_bootstrap), tmp_path)
    lines: list[str] = []
    platform._migrate("review", lines.append)
    assert lines[-1] == "review: migrated to head", lines

    async def version() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        finally:
            await engine.dispose()

    at = asyncio.run(version())
    assert at == set(ScriptDirectory(str(migrations_dir("review"))).get_heads())


def test_a_reader_of_the_state_file_never_sees_it_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``govmedia status``, the demo and the tests read state.json while the launcher rewrites it (after
    every restart): each read must find the old document or the new one, never an empty or cut one."""
    platform = _platform(tmp_path, monkeypatch, [0.0])
    platform.write_state()
    stop = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not stop.is_set():
            text = (tmp_path / "state.json").read_text()
            try:
                json.loads(text)
            except json.JSONDecodeError:
                bad.append(text)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(2000):
            platform.write_state()
    finally:
        stop.set()
        reader.join()
    assert bad == [], f"{len(bad)} reads found a half-written state file, e.g. {bad[0]!r}"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


def _moved_clock(platform: Platform) -> str:
    assert platform.clock_file is not None
    text = json.dumps({"offset_seconds": 90 * 86400, "set_to": "2027-03-01T20:00:00+08:00"})
    platform.clock_file.write_text(text)
    return text


def test_a_platform_that_keeps_its_data_keeps_the_clock_a_demo_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` after `make demo`: the databases hold records dated by the moved clock, so the clock must
    not go back to real time (records would be dated before what led to them)."""
    platform = _platform(tmp_path, monkeypatch, [1000.0])
    moved = _moved_clock(platform)
    platform.settle_clock(fresh_data=False, log=lambda _: None)
    platform.start_services(log=lambda _: None)
    assert platform.clock_file is not None and platform.clock_file.read_text() == moved
    platform.stop()


def test_a_platform_whose_databases_were_created_now_starts_on_real_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clock file left beside new, empty databases (their data removed, another server) is an old
    platform's: the new one starts on real time, and says so."""
    platform = _platform(tmp_path, monkeypatch, [1000.0])
    _moved_clock(platform)
    said: list[str] = []
    platform.settle_clock(fresh_data=True, log=said.append)
    assert platform.clock_file is not None and not platform.clock_file.exists()
    assert any("real time" in line for line in said)
