"""Starts the infrastructure and the five services, and stops all of it again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from govmedia_common.files import write_atomic
from govmedia_platform.stack import (
    SERVICES,
    EmbeddedBroker,
    EmbeddedPostgres,
    _die_with_parent,
    create_databases,
    database_name,
    stop_process,
    with_database,
)

DEFAULT_PORTS = {"registry": 8001, "review": 8002, "monitor": 8003, "notify": 8004, "scoring": 8005}


@dataclass
class Infrastructure:
    """Where PostgreSQL and the broker are, and whether we own their processes."""

    database_server_url: str
    kafka_bootstrap: str
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None

    @property
    def embedded(self) -> bool:
        return self.postgres is not None or self.broker is not None

    def database_url(self, service: str) -> str:
        return with_database(self.database_server_url, database_name(service))

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def start_infrastructure(data_dir: Path, log: Callable[[str], None] = print) -> Infrastructure:
    """External URLs from the environment when given, otherwise the embedded stack."""
    db_url = os.environ.get("GOVMEDIA_DATABASE_URL")
    bootstrap = os.environ.get("GOVMEDIA_KAFKA_BOOTSTRAP")
    pg = broker = None
    if db_url:
        log("using PostgreSQL from GOVMEDIA_DATABASE_URL")
    else:
        pg = EmbeddedPostgres(data_dir / "postgres")
        pg.start(log)
        db_url = pg.url
    if bootstrap:
        log(f"using Kafka at {bootstrap} (GOVMEDIA_KAFKA_BOOTSTRAP)")
    else:
        try:
            broker = EmbeddedBroker(data_dir / "broker")
            broker.start(log)
        except Exception:
            if pg is not None:
                pg.stop()
            raise
        bootstrap = broker.bootstrap
    return Infrastructure(db_url, bootstrap, pg, broker)


async def prepare(
    infra: Infrastructure, services: tuple[str, ...] = SERVICES, log: Callable[[str], None] = print
) -> list[str]:
    """Create one database per service, run every migration, create the topics; returns the databases
    created now (none existed before)."""
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.migrations import upgrade_async
    from govmedia_common.settings import KafkaSettings

    created = await create_databases(infra.database_server_url, [database_name(s) for s in services])
    for name in created:
        log(f"created database {name}")
    for service in services:
        await upgrade_async(service, infra.database_url(service))
        log(f"migrated {database_name(service)} to head")
    made = await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
    log(f"topics ready ({len(all_topics())}, {len(made)} created)")
    return created


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    restarts: int = 0  # recent restarts: sets the back-off, reset after a minute of running
    restart_at: float | None = None  # when a crashed process is due to be started again
    started_at: float = field(default_factory=time.monotonic)
    ready: bool = False
    restarts_total: int = 0  # every restart since `govmedia up` (what `govmedia status` shows)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def listen(preferred: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on ``preferred``, or on a free port when that one is taken.

    The launcher binds before it starts a service and hands the socket to the child (it keeps its own
    copy), so a second platform started at the same moment can never take the port between a check and
    uvicorn's bind (~10 s later, after the app's startup), and a restarted service serves on the same port.
    """
    for port in (preferred, 0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only, never a listener
        try:
            sock.bind((host, port))
            sock.listen(2048)
        except OSError:
            sock.close()
            if port == 0:
                raise
            continue
        return sock
    raise AssertionError("unreachable")


def serve_child(service: str, fd: int) -> None:
    """In the service's process: serve its app with uvicorn on the listening socket ``fd`` it inherited."""
    import uvicorn

    sock = socket.socket(fileno=fd)  # family (AF_INET) read from the descriptor
    config = uvicorn.Config(
        f"govmedia_{service}.main:create_app",
        factory=True,
        lifespan="on",
        access_log=False,
        # The app decides whom to believe about X-Forwarded-For (GOVMEDIA_TRUSTED_PROXIES);
        # uvicorn's own rewriting would trust any local process.
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)  # what uvicorn's command line answers when the app's startup failed


def migrations_fingerprint(service: str) -> tuple[tuple[str, int, int], ...]:
    """What a service's migration scripts on disk look like (names, sizes, times): changes when newer
    code with a new revision is put under a running platform (``git pull``)."""
    from govmedia_common.migrations import migrations_dir

    try:
        versions = migrations_dir(service) / "versions"
    except (ImportError, FileNotFoundError):
        return ()
    files = sorted(versions.glob("*.py"))
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)


def restart_backoff(restarts: int) -> float:
    """Seconds to wait before restart number ``restarts + 1``: 1, 2, 4 … at most 30."""
    return float(min(30, 2**restarts))


@dataclass
class _InfraWatch:
    """Restart state of the embedded broker or PostgreSQL."""

    restarts: int = 0
    restart_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Platform:
    infra: Infrastructure
    data_dir: Path
    services: list[ServiceProcess] = field(default_factory=list)

    @property
    def clock_file(self) -> Path | None:
        """The shared offset file of the services' movable clock; None in production (real time only)."""
        if os.environ.get("GOVMEDIA_ENVIRONMENT", "development") == "production":
            return None
        return self.data_dir / "clock.json"

    def settle_clock(self, *, fresh_data: bool, log: Callable[[str], None] = print) -> None:
        """Keep the movable clock with the data it dated; a platform on new databases starts on real time.

        Records carry the clock's dates: after ``make demo`` moved it ahead, a clock back on real time would
        date new records before the ones that led to them. So the clock file lives as long as the databases
        do (``make clean`` removes both); one left beside databases created just now (their data removed,
        another server) belonged to an earlier platform and is removed.
        """
        file = self.clock_file
        if file is None or not file.exists():
            return
        if fresh_data:
            file.unlink()
            log(f"new databases: the services' clock reads real time (an earlier platform moved it: {file})")
        else:
            from govmedia_common.devclock import MovableClock

            clock = MovableClock(file)
            log(f"the services' clock stays where it was moved: {clock.now():%Y-%m-%d %H:%M} ({file})")

    def service_env(self, service: str, registry_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                f"GOVMEDIA_{service.upper()}_DATABASE_URL": self.infra.database_url(service),
                "GOVMEDIA_KAFKA_BOOTSTRAP": self.infra.kafka_bootstrap,
                "GOVMEDIA_JWKS_URL": f"{registry_url}/.well-known/jwks.json",
                "GOVMEDIA_ENVIRONMENT": env.get("GOVMEDIA_ENVIRONMENT", "development"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.clock_file is not None:  # development and test: one clock `govmedia demo` can move
            env["GOVMEDIA_DEV_CLOCK_FILE"] = str(self.clock_file)
        if service == "monitor":  # it fetches large lexicon lists from the review as a machine client
            review = next((s.url for s in self.services if s.name == "review"), "")
            env.setdefault("GOVMEDIA_MONITOR_REVIEW_URL", review)
            env.setdefault("GOVMEDIA_MONITOR_REGISTRY_URL", registry_url)
            if not env.get("GOVMEDIA_MONITOR_CLIENT_ID"):
                env.setdefault("GOVMEDIA_MONITOR_CLIENT_CREDENTIALS_FILE", str(self.monitor_client_file))
        return env

    @property
    def monitor_client_file(self) -> Path:
        """Where :func:`provision_monitor_client` keeps the monitor's machine client (mode 0600)."""
        return self.data_dir / "monitor-client.json"

    registry_url: str = ""
    # Told to every service (GOVMEDIA_INSTANCE_ID); its /readyz answers it with its pid, so readiness is
    # taken only from a process this launcher started, never from whatever else answers on the port.
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    listeners: dict[str, socket.socket] = field(default_factory=dict)
    # Each service's migration scripts as they were when it was last migrated (or first started).
    migrated: dict[str, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)
    broker_watch: _InfraWatch = field(default_factory=_InfraWatch)
    postgres_watch: _InfraWatch = field(default_factory=_InfraWatch)

    def _spawn(self, service: str, port: int) -> subprocess.Popen[bytes]:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        out = open(logs / f"{service}.log", "ab")  # noqa: SIM115 - lives as long as the service
        sock = self.listeners.get(service)
        if sock is None or sock.getsockname()[1] != port:
            if sock is not None:
                sock.close()
            sock = self.listeners[service] = listen(port)
        env = self.service_env(service, self.registry_url)
        env["GOVMEDIA_INSTANCE_ID"] = self.instance
        return subprocess.Popen(
            [sys.executable, "-m", "govmedia_platform.launcher", service, str(sock.fileno())],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )

    def start_services(
        self, services: tuple[str, ...] = SERVICES, log: Callable[[str], None] = print
    ) -> None:
        for s in services:  # held from now on: taken ports are replaced, nothing can take ours meanwhile
            if s not in self.listeners:
                self.listeners[s] = listen(DEFAULT_PORTS.get(s, 0))
        ports = {s: int(self.listeners[s].getsockname()[1]) for s in services}
        self.registry_url = f"http://127.0.0.1:{ports.get('registry', DEFAULT_PORTS['registry'])}"
        logs = self.data_dir / "logs"
        for service in services:
            self.migrated[service] = migrations_fingerprint(service)  # `govmedia up` migrated it just before
            proc = self._spawn(service, ports[service])
            self.services.append(ServiceProcess(service, ports[service], proc))
            log(f"starting {service} on port {ports[service]} (log: {logs / (service + '.log')})")

    def supervise(self, log: Callable[[str], None] = print) -> bool:
        """One round of supervision: restart what crashed (with backoff), report what came back.

        A crashed service is started again on its port after 1, 2, 4 … 30 s (the count resets once it has
        run for a minute); the others keep running. The embedded broker and PostgreSQL are restarted the
        same way; a restarted broker is empty, so the topics are recreated with their configured
        partitions at once (relays then republish the outbox). Returns True when something changed.
        """
        changed = self._supervise_infra(log)
        now = time.monotonic()
        for svc in self.services:
            code = svc.process.poll()
            if code is None:
                if svc.restart_at is None and not svc.ready and svc.restarts and self._is_ready(svc):
                    svc.ready = True
                    log(f"{svc.name} is back and ready (restart {svc.restarts_total})")
                    changed = True
                if now - svc.started_at > 60:
                    svc.restarts = min(svc.restarts, 1) if svc.ready else svc.restarts
                continue
            if svc.restart_at is None:
                delay = restart_backoff(svc.restarts)
                svc.restart_at = now + delay
                svc.ready = False
                log(
                    f"{svc.name} exited with code {code}; restarting it in {delay:.0f}s "
                    "(the others keep running)"
                )
                changed = True
            elif now >= svc.restart_at:
                svc.restarts += 1
                svc.restarts_total += 1
                svc.restart_at = None
                svc.started_at = now
                scripts = migrations_fingerprint(svc.name)
                if scripts != self.migrated.get(svc.name, scripts):  # newer code came with a migration
                    self._migrate(svc.name, log)
                    self.migrated[svc.name] = scripts
                svc.process = self._spawn(svc.name, svc.port)
                log(
                    f"restarted {svc.name} on port {svc.port} "
                    f"(restart {svc.restarts_total}, pid {svc.process.pid})"
                )
                changed = True
        if changed:
            self.write_state()
        return changed

    def _migrate(self, service: str, log: Callable[[str], None]) -> None:
        """Run ``service``'s migrations to head in a fresh interpreter (it reads the new code from disk,
        not the launcher's imported modules). A failure is reported and the service started anyway: its
        /readyz then answers 503 naming the migration that is missing."""
        env = dict(os.environ, GOVMEDIA_MIGRATE_URL=self.infra.database_url(service))
        code = (
            "import os, sys; from govmedia_common.migrations import upgrade; "
            "upgrade(sys.argv[1], os.environ['GOVMEDIA_MIGRATE_URL'])"
        )
        log(f"{service}: its migrations changed on disk; migrating its database before the restart")
        try:
            done = subprocess.run(
                [sys.executable, "-c", code, service], env=env, capture_output=True, text=True, timeout=300
            )
        except subprocess.TimeoutExpired:
            log(f"{service}: migrating took over 300 s; starting it anyway (see /readyz)")
            return
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            log(f"{service}: migrating failed ({last[0]}); starting it anyway (see /readyz)")
        else:
            log(f"{service}: migrated to head")

    def _supervise_infra(self, log: Callable[[str], None]) -> bool:
        changed = False
        now = time.monotonic()
        for what, server, watch in (
            ("PostgreSQL", self.infra.postgres, self.postgres_watch),
            ("broker", self.infra.broker, self.broker_watch),
        ):
            if server is None or server.process is None:
                continue
            code = server.process.poll()
            if code is None:
                continue
            if watch.restart_at is None:
                delay = restart_backoff(watch.restarts)
                watch.restart_at = now + delay
                log(f"the embedded {what} exited with code {code}; restarting it in {delay:.0f}s")
                changed = True
            elif now >= watch.restart_at:
                watch.restarts += 1
                watch.restart_at = None
                try:
                    server.start(log)
                    if isinstance(server, EmbeddedBroker):
                        asyncio.run(recreate_topics(self.infra.kafka_bootstrap, log))
                except Exception as exc:  # tried again after the next back-off
                    watch.restart_at = time.monotonic() + restart_backoff(watch.restarts)
                    log(f"could not restart the embedded {what} ({exc}); trying again")
                    continue
                log(f"the embedded {what} is back (restart {watch.restarts})")
                changed = True
        return changed

    def _answers_for(self, svc: ServiceProcess, response: httpx.Response) -> bool:
        """Whether a /readyz answer says ready *and* comes from the process this launcher started."""
        if response.status_code != 200:
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        return (
            isinstance(body, dict)
            and body.get("instance") == self.instance
            and body.get("pid") == svc.process.pid
        )

    def _is_ready(self, svc: ServiceProcess) -> bool:
        try:
            return self._answers_for(svc, httpx.get(f"{svc.url}/readyz", timeout=1.0))
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 120.0, log: Callable[[str], None] = print) -> None:
        deadline = time.monotonic() + timeout
        pending = {s.name: s for s in self.services}
        with httpx.Client(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for name, svc in list(pending.items()):
                    if svc.process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with code {svc.process.returncode}; "
                            f"see {self.data_dir / 'logs' / (name + '.log')}"
                        )
                    try:
                        if self._answers_for(svc, client.get(f"{svc.url}/readyz")):
                            log(f"{name} is ready")
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(pending)}")

    def write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "database_server_url": self.infra.database_server_url,
            "kafka_bootstrap": self.infra.kafka_bootstrap,
            "clock_file": str(self.clock_file) if self.clock_file is not None else None,
            "services": {
                s.name: {
                    "url": s.url,
                    "pid": s.process.pid,
                    "restarts": s.restarts_total,
                    "restarts_total": s.restarts_total,
                    "restarts_recent": s.restarts,
                }
                for s in self.services
            },
            "postgres_pid": self.infra.postgres.process.pid
            if self.infra.postgres and self.infra.postgres.process
            else None,
            "broker_pid": self.infra.broker.process.pid
            if self.infra.broker and self.infra.broker.process
            else None,
        }
        write_atomic(self.data_dir / "state.json", json.dumps(state, indent=2))  # read by status and demo

    def stop(self) -> None:
        for svc in self.services:  # signal all first, so they shut down in parallel
            if svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        for svc in self.services:
            stop_process(svc.process, signal.SIGTERM, 15)
        self.services.clear()
        for sock in self.listeners.values():
            sock.close()
        self.listeners.clear()
        self.infra.stop()
        (self.data_dir / "state.json").unlink(missing_ok=True)


def provision_monitor_client(platform: Platform, log: Callable[[str], None] = print) -> bool:
    """Give the monitor its machine client (scope ``review:read``), once per data folder.

    The monitor reads lexicon lists too large to travel inline from the review; it reads the client from
    ``monitor-client.json`` (written here after the registry is ready; the monitor looks at each attempt).
    The client is created by the first administrator: ``GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD``, or in
    development its default. Returns whether the monitor has a working client; if not, says why (the
    monitor then checks without such lists until ``GOVMEDIA_MONITOR_CLIENT_ID``/``_SECRET`` are given).
    """
    if os.environ.get("GOVMEDIA_MONITOR_CLIENT_ID"):
        return True  # the operator configured one
    path = platform.monitor_client_file
    with httpx.Client(base_url=platform.registry_url, timeout=10.0) as registry:
        if path.exists():
            saved = json.loads(path.read_text())
            r = registry.post("/v1/auth/token", data={"grant_type": "client_credentials", **saved})
            if r.status_code == 200:
                return True
        environment = os.environ.get("GOVMEDIA_ENVIRONMENT", "development")
        password = os.environ.get("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD") or (
            "govmedia-dev-admin" if environment == "development" else ""
        )
        r = registry.post(
            "/v1/auth/token", data={"grant_type": "password", "username": "admin", "password": password}
        )
        if r.status_code != 200:
            log(
                "monitor: no machine client for lexicon lists (the administrator could not sign in); "
                "set GOVMEDIA_MONITOR_CLIENT_ID and GOVMEDIA_MONITOR_CLIENT_SECRET (scope review:read)"
            )
            return False
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = registry.get("/v1/me", headers=admin)
        region = me.json().get("region_code", "330000") if me.status_code == 200 else "330000"
        created = registry.post(
            "/v1/clients",
            headers=admin,
            json={"name": "运行监测词库读取 (monitor)", "region_code": region, "scopes": ["review:read"]},
        )
        if created.status_code not in (200, 201):
            log(f"monitor: could not create its machine client: {created.status_code} {created.text[:200]}")
            return False
        body = created.json()
        secret = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
        write_atomic(path, json.dumps(secret), mode=0o600)
        log(f"monitor: machine client {body['client_id']} for lexicon lists ({path})")
        return True


async def recreate_topics(
    bootstrap: str, log: Callable[[str], None] = print, topics: list[str] | None = None
) -> None:
    """After a new, empty broker came up: every catalogue topic again, with its configured partitions."""
    from govmedia_common.kafka import all_topics, ensure_topics, topic_partitions
    from govmedia_common.settings import KafkaSettings

    settings = KafkaSettings(bootstrap=bootstrap)
    wanted = topics if topics is not None else all_topics()
    made: set[str] = set()
    for _ in range(10):  # a client's metadata request may auto-create a topic between delete and create
        made.update(await ensure_topics(settings, wanted, repair=True))
        counts = await topic_partitions(settings, wanted)
        if all(counts.get(t, 0) >= settings.topic_partitions for t in wanted):
            break
        await asyncio.sleep(0.2)
    log(f"broker is new: {len(made)} topics (re)created with {settings.topic_partitions} partitions")


def run_prepare(infra: Infrastructure, log: Callable[[str], None] = print) -> None:
    asyncio.run(prepare(infra, log=log))


if (
    __name__ == "__main__"
):  # the launcher's service processes: python -m govmedia_platform.launcher SERVICE FD
    serve_child(sys.argv[1], int(sys.argv[2]))
