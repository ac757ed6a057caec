"""Starts the infrastructure and the five services, and stops all of it again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from govmedia_platform.stack import (
    SERVICES,
    EmbeddedBroker,
    EmbeddedPostgres,
    _die_with_parent,
    create_databases,
    database_name,
    free_port,
    port_is_free,
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
) -> None:
    """Create one database per service, run every migration, create the topics."""
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


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    infra: Infrastructure
    data_dir: Path
    services: list[ServiceProcess] = field(default_factory=list)

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
        return env

    def start_services(
        self, services: tuple[str, ...] = SERVICES, log: Callable[[str], None] = print
    ) -> None:
        ports = {
            s: (p if port_is_free(p) else free_port()) for s, p in DEFAULT_PORTS.items() if s in services
        }
        registry_url = f"http://127.0.0.1:{ports.get('registry', DEFAULT_PORTS['registry'])}"
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in services:
            out = open(logs / f"{service}.log", "ab")  # noqa: SIM115 - lives as long as the service
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"govmedia_{service}.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports[service]),
                    "--no-access-log",
                ],
                env=self.service_env(service, registry_url),
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(signal.SIGTERM),
            )
            self.services.append(ServiceProcess(service, ports[service], proc))
            log(f"starting {service} on port {ports[service]} (log: {logs / (service + '.log')})")

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
                        if client.get(f"{svc.url}/readyz").status_code == 200:
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
            "services": {s.name: {"url": s.url, "pid": s.process.pid} for s in self.services},
            "postgres_pid": self.infra.postgres.process.pid
            if self.infra.postgres and self.infra.postgres.process
            else None,
            "broker_pid": self.infra.broker.process.pid
            if self.infra.broker and self.infra.broker.process
            else None,
        }
        (self.data_dir / "state.json").write_text(json.dumps(state, indent=2))

    def stop(self) -> None:
        for svc in self.services:  # signal all first, so they shut down in parallel
            if svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        for svc in self.services:
            stop_process(svc.process, signal.SIGTERM, 15)
        self.services.clear()
        self.infra.stop()
        (self.data_dir / "state.json").unlink(missing_ok=True)


def run_prepare(infra: Infrastructure, log: Callable[[str], None] = print) -> None:
    asyncio.run(prepare(infra, log=log))
