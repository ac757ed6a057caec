"""Set-up helpers of the hostile-input tests of the supervision services (monitor, notify, scoring).

Each service runs on a real socket on a fresh database and the real broker, consumers off; tokens are
signed by a key the three verify against (as the registry's JWKS would be), and registry events reach the
monitor's projection through its own event handler, as its consumer would hand them over.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from govmedia_common.auth import TokenVerifier
from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Platform,
)
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.hostile.harness import service_settings_for, serving

NOW = datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
HOME = "331004"  # 台州市路桥区, the county of the callers
ELSEWHERE = "331003"  # 台州市黄岩区, a county next door
_serial = itertools.count(1)
Roles = tuple[str, ...]


@dataclass
class NotifyCase:
    """A case in notify with the competent office's and the host unit's clients."""

    id: str
    account_id: str
    unit_id: str
    office: httpx.AsyncClient
    unit: httpx.AsyncClient


@dataclass
class Supervision:
    """Monitor, notify and scoring on sockets (base URLs), the key that signs tokens and the clock."""

    monitor_url: str
    notify_url: str
    scoring_url: str
    monitor_app: Any
    notify_app: Any
    scoring_app: Any
    key: SigningKey
    clock: FixedClock
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    def token(
        self,
        *,
        region: str = HOME,
        roles: tuple[str, ...] = ("office_staff",),
        scopes: tuple[str, ...] = (),
        kind: str = "person",
        unit: str | None = None,
    ) -> str:
        return mint_token(
            self.key,
            subject=str(uuid.uuid4()),
            name=f"tester-{next(_serial)}",
            region=region,
            unit=unit,
            roles=list(roles),
            scopes=list(scopes),
            kind=kind,
            ttl_seconds=3600,
        )

    def client(self, base_url: str, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60)
        self._clients.append(c)
        return c

    def connector(self, region: str = HOME) -> httpx.AsyncClient:
        """An ingest client of ``region`` on the monitor."""
        scopes = ("monitor:ingest",)
        return self.client(self.monitor_url, self.token(region=region, kind="client", scopes=scopes))

    def monitor_reader(self, region: str = HOME, roles: Roles = ("office_staff",)) -> httpx.AsyncClient:
        return self.client(self.monitor_url, self.token(region=region, roles=roles, scopes=("monitor:read",)))

    def notify_user(self, region: str = HOME, roles: Roles = ("office_staff",)) -> httpx.AsyncClient:
        scopes = ("notify:read", "notify:write")
        return self.client(self.notify_url, self.token(region=region, roles=roles, scopes=scopes))

    def scoring_reader(self, region: str = HOME, roles: Roles = ("office_staff",)) -> httpx.AsyncClient:
        return self.client(self.scoring_url, self.token(region=region, roles=roles, scopes=("scoring:read",)))

    async def account(self, *, region: str = HOME, opened: date | None = None) -> str:
        """An active WeChat account the monitor learnt from the registry's event; its id."""
        from govmedia_monitor import handlers

        account_id = str(uuid.uuid4())
        at = datetime.combine(opened or date(2025, 9, 1), NOW.timetz())
        snap = AccountSnapshot(
            account_id=account_id,
            name="路桥发布",
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=str(uuid.uuid4()),
            unit_name="台州市路桥区人民政府办公室",
            region_code=region,
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=3,
            certified=False,
            matrix_badge=None,
            outsourced=False,
        )
        event = AccountOpened(
            occurred_at=at,
            account_id=account_id,
            account=snap,
            filing_id=str(uuid.uuid4()),
            actor_id="system",
            effective_on=at.date(),
        )
        sessions = self.monitor_app.state.runtime.sessions
        async with sessions() as session, session.begin():
            await handlers.on_account_event(event, None, session)
        return account_id

    async def notify_case(self, *, region: str = HOME) -> NotifyCase:
        """An office and a host unit of ``region`` in notify's directory, and a case opened on the unit's
        account by a not-updated violation (the monitor's ``AlertRaised`` handed to notify's handler)."""
        from govmedia_common.events.monitor import AlertRaised
        from govmedia_common.events.registry import UnitRegistered
        from govmedia_common.workdays import WorkCalendar
        from govmedia_notify.cases.handlers import alert_handlers
        from govmedia_notify.directory.handlers import on_account_event, on_unit_event

        runtime = self.notify_app.state.runtime
        office_id, unit_id, account_id = (str(uuid.uuid4()) for _ in range(3))
        at = NOW - timedelta(days=1)

        def unit(uid: str, name: str, kind: str, **fields: Any) -> UnitRegistered:
            return UnitRegistered(
                occurred_at=at,
                unit_id=uid,
                name=f"{name}{next(_serial)}",
                region_code=region,
                kind=kind,
                duty_keywords=("市场监管",),
                **fields,
            )

        opened = AccountOpened(
            occurred_at=at,
            account_id=account_id,
            account=AccountSnapshot(
                account_id=account_id,
                name="路桥市场监管",
                platform=Platform.WECHAT,
                platform_account_id=None,
                unit_id=unit_id,
                unit_name="路桥区市场监督管理局",
                region_code=region,
                status=AccountStatus.ACTIVE,
                attention_tier=AttentionTier.ORDINARY,
                interaction_enabled=True,
                review_levels=3,
                certified=False,
                matrix_badge=None,
                outsourced=False,
            ),
            filing_id=str(uuid.uuid4()),
            actor_id="system",
            effective_on=at.date(),
        )
        alert = AlertRaised(
            occurred_at=at,
            alert_id=str(uuid.uuid4()),
            account_id=account_id,
            unit_id=unit_id,
            region_code=region,
            rule="not_updated",
            severity="violation",
            alert_class="not_updated",
            period=at.date().isoformat(),
            detail={"days_silent": 15},
        )
        handlers = alert_handlers(self.clock, runtime.component(WorkCalendar))
        steps: list[tuple[Any, Any]] = [
            (on_unit_event, unit(office_id, "路桥区人民政府办公室", "office")),
            (on_unit_event, unit(unit_id, "路桥区市场监督管理局", "unit", principal_name="张局长")),
            (on_account_event, opened),
            (handlers[AlertRaised], alert),
        ]
        for handler, event in steps:
            async with runtime.sessions() as session, session.begin():
                await handler(event, None, session)
        office = self.client(
            self.notify_url,
            self.token(
                region=region,
                roles=("office_staff", "office_admin"),
                scopes=("notify:read", "notify:write"),
                unit=office_id,
            ),
        )
        liaison = self.client(
            self.notify_url,
            self.token(
                region=region, roles=("liaison",), scopes=("notify:read", "notify:write"), unit=unit_id
            ),
        )
        listed = await office.get("/v1/cases", params={"account_id": account_id})
        [case] = listed.json()["items"]
        return NotifyCase(str(case["id"]), account_id, unit_id, office, liaison)

    async def close(self) -> None:
        for c in self._clients:
            await c.aclose()


@contextlib.asynccontextmanager
async def serve_supervision(infra: Infrastructure) -> AsyncIterator[Supervision]:
    from govmedia_monitor.main import SchedulerSettings
    from govmedia_monitor.main import create_app as create_monitor
    from govmedia_notify.main import create_app as create_notify
    from govmedia_notify.settings import NotifySettings
    from govmedia_scoring.main import ScheduleSettings
    from govmedia_scoring.main import create_app as create_scoring

    key = SigningKey.generate()
    clock = FixedClock(NOW)
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    monitor_db = await fresh_database(infra, "hostile_monitor", "monitor")
    notify_db = await fresh_database(infra, "hostile_notify", "notify")
    scoring_db = await fresh_database(infra, "hostile_scoring", "scoring")
    monitor_app = create_monitor(
        service_settings_for("monitor", monitor_db, infra),
        verifier=verifier,
        clock=clock,
        schedule=SchedulerSettings(sweep_enabled=False),
    )
    base = service_settings_for("notify", notify_db, infra).model_dump()
    notify_settings = NotifySettings(**{**base, "run_dispatcher": False, "run_sweeper": False})
    notify_app = create_notify(notify_settings, verifier=verifier, clock=clock)
    scoring_app = create_scoring(
        service_settings_for("scoring", scoring_db, infra),
        verifier=verifier,
        clock=clock,
        schedule=ScheduleSettings(schedule_enabled=False),
    )
    async with contextlib.AsyncExitStack() as stack:
        monitor_url = await stack.enter_async_context(serving(monitor_app))
        notify_url = await stack.enter_async_context(serving(notify_app))
        scoring_url = await stack.enter_async_context(serving(scoring_app))
        sup = Supervision(
            monitor_url, notify_url, scoring_url, monitor_app, notify_app, scoring_app, key, clock
        )
        try:
            yield sup
        finally:
            await sup.close()
