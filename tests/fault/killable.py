"""One service as an OS process the fault tests can SIGKILL mid-request: its own database, the test broker,
tokens signed by the test's key, a fixed clock, consumers and schedules off.

``python -m tests.fault.killable SERVICE FD`` serves the app on the listening socket FD it inherited, with
its settings from ``KILLABLE_*`` variables; :func:`killable` starts it, waits until it is ready and SIGKILLs
it (by pid) when asked or at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from govmedia_common.keys import SigningKey, jwks
from govmedia_platform.launcher import Infrastructure, listen
from govmedia_platform.stack import _die_with_parent

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Process:
    """The service's process and its base URL."""

    proc: subprocess.Popen[bytes]
    url: str

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback but the database's own."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@contextlib.contextmanager
def killable(
    infra: Infrastructure, service: str, database_url: str, key: SigningKey, now: datetime
) -> Iterator[Process]:
    """The service serving on a socket bound here, ready; SIGKILLed at the end if still running."""
    sock = listen(0)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")},
        "KILLABLE_DATABASE_URL": database_url,
        "KILLABLE_KAFKA": infra.kafka_bootstrap,
        "KILLABLE_JWKS": json.dumps(jwks(key)),
        "KILLABLE_NOW": now.isoformat(),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fault.killable", service, str(sock.fileno())],
        env=env, cwd=ROOT, pass_fds=(sock.fileno(),), preexec_fn=_die_with_parent(signal.SIGKILL),
    )  # fmt: skip
    process = Process(proc, f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"{service} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{service} was not ready within 60 s"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{process.url}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield process
    finally:
        sock.close()
        if proc.poll() is None:
            process.kill()


def _app(service: str) -> Any:
    from govmedia_common.auth import TokenVerifier
    from govmedia_common.settings import KafkaSettings, ServiceSettings
    from govmedia_common.workdays import FixedClock

    verifier = TokenVerifier(
        issuer="govmedia-registry", audience="govmedia", jwks=json.loads(os.environ["KILLABLE_JWKS"])
    )
    clock = FixedClock(datetime.fromisoformat(os.environ["KILLABLE_NOW"]))
    settings: dict[str, Any] = {
        "service_name": service, "environment": "test", "database_url": os.environ["KILLABLE_DATABASE_URL"],
        "kafka": KafkaSettings(bootstrap=os.environ["KILLABLE_KAFKA"]), "run_consumers": False,
        # no relay: these tests read outbox rows, and thousands of events on the session's shared broker
        # would be a backlog for every later test whose service consumes them under its default groups
        "run_relay": False,
        "log_json": False, "log_level": "WARNING",
    }  # fmt: skip
    if service == "notify":
        from govmedia_notify.main import create_app as create_notify
        from govmedia_notify.settings import NotifySettings

        notify = NotifySettings(**settings, run_dispatcher=False, run_sweeper=False)
        return create_notify(notify, verifier=verifier, clock=clock)
    if service == "scoring":
        from govmedia_scoring.main import ScheduleSettings
        from govmedia_scoring.main import create_app as create_scoring

        schedule = ScheduleSettings(schedule_enabled=False)
        return create_scoring(ServiceSettings(**settings), verifier=verifier, clock=clock, schedule=schedule)
    from govmedia_monitor.main import SchedulerSettings
    from govmedia_monitor.main import create_app as create_monitor

    schedule_m = SchedulerSettings(sweep_enabled=False)
    return create_monitor(ServiceSettings(**settings), verifier=verifier, clock=clock, schedule=schedule_m)


def main() -> None:
    import uvicorn

    service, fd = sys.argv[1], int(sys.argv[2])
    config = uvicorn.Config(_app(service), lifespan="on", access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    main()
