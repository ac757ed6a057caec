"""Monitor, notify or scoring in-process on a fresh database with no consumers and no schedules: the fault
tests of jobs run every job themselves, hold it mid-way and write beside it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from govmedia_common.auth import TokenVerifier
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import Clock, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.hostile.consumer_kit import NOW, Running


def dsn(url: str) -> str:
    """The service's database URL as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def quiet(
    infra: Infrastructure, service: str, *, url: str | None = None, clock: Clock | None = None
) -> AsyncIterator[Running]:
    """The service on a fresh database (or ``url``: a restart), its consumers and scheduled jobs off."""
    url = url or await fresh_database(infra, f"jobs_{service}", service)
    key = SigningKey.generate()
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    settings: dict[str, Any] = {
        "service_name": service, "environment": "test", "database_url": url,
        "kafka": KafkaSettings(bootstrap=infra.kafka_bootstrap), "run_consumers": False,
        "log_json": False, "log_level": "WARNING",
    }  # fmt: skip
    app: Any
    if service == "scoring":
        from govmedia_scoring.main import ScheduleSettings
        from govmedia_scoring.main import create_app as create_scoring

        app = create_scoring(
            ServiceSettings(**settings), verifier=verifier, clock=clock or FixedClock(NOW),
            schedule=ScheduleSettings(schedule_enabled=False),
        )  # fmt: skip
    elif service == "notify":
        from govmedia_notify.main import create_app as create_notify
        from govmedia_notify.settings import NotifySettings

        notify = NotifySettings(**settings, run_dispatcher=False, run_sweeper=False)
        app = create_notify(notify, verifier=verifier, clock=clock or FixedClock(NOW))
    else:
        from govmedia_monitor.main import SchedulerSettings
        from govmedia_monitor.main import create_app as create_monitor

        app = create_monitor(
            ServiceSettings(**settings), verifier=verifier, clock=clock or FixedClock(NOW),
            schedule=SchedulerSettings(sweep_enabled=False),
        )  # fmt: skip
    async with LifespanManager(app):
        yield Running(app, infra, key)


def client(
    service: Running, *, scopes: list[str], roles: tuple[str, ...] = ("office_admin",)
) -> httpx.AsyncClient:
    """A client of the service in-process, of the province (330000), with these roles and scopes."""
    token = mint_token(
        service.key, subject=str(uuid.uuid4()), name="管理员", region="330000", unit=None, roles=list(roles),
        scopes=scopes,
    )  # fmt: skip
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app),
        base_url="http://service",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
