"""Monitor, notify or scoring in-process on a fresh database with no consumers and no schedules: the fault
tests of jobs run every job themselves, hold it mid-way and write beside it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from govmedia_common.auth import TokenVerifier
from govmedia_common.events import AccountOpened, AccountSnapshot, AccountStatus, AttentionTier, Platform
from govmedia_common.events.monitor import AlertRaised
from govmedia_common.events.registry import UnitRegistered
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import Clock, FixedClock, WorkCalendar
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.hostile.consumer_kit import NOW, REGION, Running


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
        # no relay: these tests read outbox rows, and thousands of events on the session's shared broker
        # would be a backlog for every later test whose service consumes them under its default groups
        "run_relay": False,
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


async def open_cases(infra: Infrastructure, url: str, openings: list[datetime]) -> list[str]:
    """An office and a unit of Luqiao in notify's directory (learnt the day before the first case), and an
    account of the unit with a case opened at each of ``openings`` (the monitor's not-updated violation
    handed to notify's handler at that instant); the case ids in opening order."""
    from govmedia_notify.cases.handlers import alert_handlers
    from govmedia_notify.directory.handlers import on_account_event, on_unit_event

    yesterday = min(openings) - timedelta(days=1)
    office, unit = str(uuid.uuid4()), str(uuid.uuid4())
    async with quiet(infra, "notify", url=url) as notify:
        runtime = notify.app.state.runtime
        steps: list[tuple[Any, Any]] = [
            (on_unit_event, UnitRegistered(occurred_at=yesterday, unit_id=office, name="路桥区人民政府办公室",
                                           region_code=REGION, kind="office", duty_keywords=("政务",))),
            (on_unit_event, UnitRegistered(occurred_at=yesterday, unit_id=unit, name="路桥区市场监督管理局",
                                           region_code=REGION, kind="unit", duty_keywords=("市场监管",))),
        ]  # fmt: skip
        for handler, event in steps:
            async with runtime.sessions() as session, session.begin():
                await handler(event, None, session)
        for i, at in enumerate(openings):
            account = str(uuid.uuid4())
            snap = AccountSnapshot(
                account_id=account, name=f"路桥市场监管{i}", platform=Platform.WECHAT,
                platform_account_id=None, unit_id=unit, unit_name="路桥区市场监督管理局", region_code=REGION,
                status=AccountStatus.ACTIVE,
                attention_tier=AttentionTier.ORDINARY, interaction_enabled=True, review_levels=3,
                certified=False, matrix_badge=None, outsourced=False,
            )  # fmt: skip
            alert = AlertRaised(
                occurred_at=at, alert_id=str(uuid.uuid4()), account_id=account, unit_id=unit,
                region_code=REGION, rule="not_updated", severity="violation", alert_class="not_updated",
                period=(at.date() - timedelta(days=15)).isoformat(), detail={"days_silent": 15},
            )  # fmt: skip
            opened_event = AccountOpened(
                occurred_at=at - timedelta(days=30), account_id=account, account=snap, filing_id=None,
                actor_id="system", effective_on=(at - timedelta(days=30)).date(),
            )  # fmt: skip
            on_alert = alert_handlers(FixedClock(at), runtime.component(WorkCalendar))[AlertRaised]
            pairs: list[tuple[Any, Any]] = [(on_account_event, opened_event), (on_alert, alert)]
            for handler, event in pairs:
                async with runtime.sessions() as session, session.begin():
                    await handler(event, None, session)
        rows = await notify.sql("SELECT id FROM cases ORDER BY opened_at")
    assert len(rows) == len(openings), rows
    return [r[0] for r in rows]
