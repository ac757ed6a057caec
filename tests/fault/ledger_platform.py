"""The five services as OS processes (the launcher's own spawning and supervision) for the ledger fault run.

What differs from ``govmedia up``: fresh databases with names of this run on the session's PostgreSQL
server, a Kafka-protocol broker of this run's own (so it may be killed and restarted and its dead-letter
topics hold only what this run dead-lettered), a consumer-group prefix of this run, ports bound before the
processes start (the launcher's sockets, handed to each process: no pick another test session can take
before the bind), short relay leases (a SIGKILLed relay's claims expire in seconds), and the schedules off
(the run decides when scores are computed). Processes are SIGKILLed by pid; the launcher's ``supervise``
brings them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from govmedia_platform.launcher import Infrastructure, Platform, listen
from govmedia_platform.stack import (
    SERVICES,
    EmbeddedBroker,
    _die_with_parent,
    create_databases,
    stop_process,
    with_database,
)

ADMIN_PASSWORD = "ledger-admin-pw-5531"


class RunInfrastructure(Infrastructure):
    """The session's PostgreSQL server with databases named for this run, and this run's broker."""

    def __init__(self, server_url: str, broker: EmbeddedBroker, run: str) -> None:
        super().__init__(server_url, broker.bootstrap, None, broker)
        self.run = run

    def database_name(self, service: str) -> str:
        return f"t_ledger_{self.run}_{service}"

    def database_url(self, service: str) -> str:
        return with_database(self.database_server_url, self.database_name(service))


@dataclass
class LedgerPlatform(Platform):
    """The launcher's Platform with this run's settings, extra processes (replicas, relays) and a
    supervision thread."""

    group_prefix: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    extras: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def service_env(self, service: str, registry_url: str) -> dict[str, str]:
        env = super().service_env(service, registry_url)
        env = {k: v for k, v in env.items() if not k.startswith("GOVMEDIA_TEST_")}
        env.update(
            {
                "GOVMEDIA_ENVIRONMENT": "test",
                "GOVMEDIA_KAFKA_GROUP_PREFIX": self.group_prefix,
                "GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD": ADMIN_PASSWORD,
                "GOVMEDIA_REGISTRY_BOOTSTRAP_REGION": "330000",
                "GOVMEDIA_RELAY_LEASE_SECONDS": "4",
                "GOVMEDIA_RELAY_IDLE_SLEEP_SECONDS": "0.05",
                "GOVMEDIA_LOG_JSON": "false",
                "GOVMEDIA_LOG_LEVEL": "WARNING",
                "GOVMEDIA_MONITOR_SWEEP_ENABLED": "false",
                "GOVMEDIA_SCORING_SCHEDULE_ENABLED": "false",
            }
        )
        env.update(self.extra_env)
        return env

    def log(self, line: str) -> None:
        self.log_lines.append(f"{time.monotonic():.1f} {line}")

    def start_all(self) -> None:
        """The five services, each on a socket bound here on a free port and handed to its process (the
        launcher's way: a port picked free and bound later by uvicorn may be taken in between)."""
        for service in SERVICES:
            if service not in self.listeners:
                self.listeners[service] = listen(0)
        self.start_services(SERVICES, log=self.log)

    def spawn_extra(
        self, service: str, env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], str]:
        """Another process of ``service`` (a replica, or a rebuild on another database); not supervised.

        It serves on a socket bound here and handed to it, as the five do (launcher.listen, serve_child)."""
        sock = listen(0)
        self.extra_sockets.append(sock)
        port = int(sock.getsockname()[1])
        full = self.service_env(service, self.registry_url)
        full.update(env or {})
        logs = self.data_dir / "logs"
        out = open(logs / f"{service}-extra-{port}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "govmedia_platform.launcher", service, str(sock.fileno())],
            env=full, stdout=out, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )  # fmt: skip
        self.extras.append(proc)
        return proc, f"http://127.0.0.1:{port}"

    def spawn_relay(self, service: str) -> subprocess.Popen[bytes]:
        """A standalone outbox relay of ``service`` (``govmedia_common.relay_main``), short lease."""
        out = open(self.data_dir / "logs" / f"{service}-relay.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "govmedia_common.relay_main", "--database-url",
             self.infra.database_url(service), "--bootstrap", self.infra.kafka_bootstrap,
             "--service", service, "--lease-seconds", "4"],
            env=self.service_env(service, self.registry_url), stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )  # fmt: skip
        self.extras.append(proc)
        return proc

    def url(self, service: str) -> str:
        return next(s.url for s in self.services if s.name == service)

    def kill(self, service: str) -> int:
        """SIGKILL the service's process; the supervision thread starts it again. Returns the killed pid."""
        svc = next(s for s in self.services if s.name == service)
        pid = svc.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.log(f"SIGKILL {service} (pid {pid})")
        return pid

    def kill_broker(self) -> None:
        assert self.infra.broker is not None and self.infra.broker.process is not None
        self.log(f"SIGKILL broker (pid {self.infra.broker.process.pid})")
        self.infra.broker.process.send_signal(signal.SIGKILL)

    def start_supervision(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.supervise(self.log)
                except Exception as exc:  # keep supervising; the run's checks will show what it broke
                    self.log(f"supervision round failed: {exc!r}")
                self._stop.wait(0.2)

        self._thread = threading.Thread(target=loop, name="ledger-supervision", daemon=True)
        self._thread.start()

    def all_ready(self) -> bool:
        for svc in self.services:
            try:
                if httpx.get(f"{svc.url}/readyz", timeout=2).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    def stop_everything(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for proc in self.extras:
            with contextlib.suppress(ProcessLookupError):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
        for proc in self.extras:
            stop_process(proc, signal.SIGTERM, 10)
        for sock in self.extra_sockets:
            sock.close()
        self.stop()


async def prepare_run(infra: RunInfrastructure, extra: tuple[str, ...] = ()) -> None:
    """Fresh databases (the five and ``extra`` ones) migrated to head, and every topic on the broker."""
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.migrations import upgrade_async
    from govmedia_common.settings import KafkaSettings

    await create_databases(infra.database_server_url, [infra.database_name(s) for s in (*SERVICES, *extra)])
    for service in SERVICES:
        await upgrade_async(service, infra.database_url(service))
    await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())


@contextlib.contextmanager
def ledger_platform(server_url: str, data_dir: Path) -> Iterator[LedgerPlatform]:
    """This run's broker, fresh databases, the five services started and ready; everything stopped after."""
    run = uuid.uuid4().hex[:8]
    broker = EmbeddedBroker(data_dir / "broker")
    broker.start(lambda _: None)
    infra = RunInfrastructure(server_url, broker, run)
    platform = LedgerPlatform(infra, data_dir, group_prefix=f"ledger-{run}")
    try:
        platform.log("broker started")
        asyncio.run(prepare_run(infra, extra=("rebuild",)))
        platform.log("databases migrated")
        platform.start_all()
        platform.wait_ready(timeout=180, log=platform.log)
        platform.start_supervision()
        yield platform
    finally:
        platform.stop_everything()
