"""A notify app on a fresh migrated database and the real broker, driven in-process over ASGI.

Helpers are methods of the :class:`NotifyKit` fixture because test modules cannot import from conftest.
The directory is seeded through the consumers' handlers with the registry's own events.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.db import outbox_table
from govmedia_common.envelope import wrap
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertRaised, AlertResolved
from govmedia_common.events.registry import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    UnitChanged,
    UnitRegistered,
)
from govmedia_common.events.types import Platform
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings
from govmedia_common.workdays import SHANGHAI, FixedClock, WorkCalendar
from govmedia_notify.cases.handlers import alert_handlers
from govmedia_notify.channels.service import Dispatcher
from govmedia_notify.directory.handlers import on_account_event, on_unit_event
from govmedia_notify.main import create_app
from govmedia_notify.models import Delivery
from govmedia_notify.settings import NotifySettings
from govmedia_platform.groups import own_groups, start_at_the_end
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

START = datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI)
ROLE_SCOPES = {
    "liaison": ["notify:read", "notify:write"],
    "office_staff": ["notify:read", "notify:write"],
    "office_admin": ["notify:read", "notify:write"],
}


@dataclass
class Person:
    id: str
    name: str
    http: httpx.AsyncClient
    unit_id: str | None = None


@dataclass
class Unit:
    id: str
    name: str
    region: str
    liaison: Person
    account_id: str
    account_name: str


class NotifyKit:
    """The running notify app and everything a test needs around it."""

    def __init__(self, app: Any, clock: FixedClock, key: SigningKey, infra: Infrastructure) -> None:
        self.app = app
        self.transport = httpx.ASGITransport(app=app)
        self.clock = clock
        self.key = key
        self.infra = infra
        self.runtime = app.state.runtime
        self.sessions: async_sessionmaker[AsyncSession] = self.runtime.sessions
        self.calendar: WorkCalendar = self.runtime.component(WorkCalendar)
        self.settings: NotifySettings = self.runtime.component(NotifySettings)
        self.handlers = alert_handlers(clock, self.calendar)
        self._clients: list[httpx.AsyncClient] = []

    # ---- people and the directory

    def person(self, name: str, roles: list[str], *, unit: str | None, region: str = "331004") -> Person:
        pid = str(uuid.uuid4())
        scopes = sorted({s for r in roles for s in ROLE_SCOPES.get(r, [])})
        token = mint_token(
            self.key, subject=pid, name=name, region=region, unit=unit, roles=roles, scopes=scopes
        )
        client = httpx.AsyncClient(
            transport=self.transport, base_url="http://notify", headers={"Authorization": f"Bearer {token}"}
        )
        self._clients.append(client)
        return Person(pid, name, client, unit)

    async def apply(self, handler: Callable[..., Any], event: Any) -> None:
        async with self.sessions() as session, session.begin():
            await handler(event, None, session)

    async def office(
        self, region: str = "331004", name: str = "台州市路桥区人民政府办公室", **contacts: Any
    ) -> Person:
        """A competent office in the directory and a member of its staff."""
        office_id = str(uuid.uuid4())
        await self.apply(on_unit_event, self.unit_event(office_id, name, region, "office", **contacts))
        return self.person("王主任", ["office_staff", "office_admin"], unit=office_id, region=region)

    async def unit(
        self,
        name: str = "路桥区市场监督管理局",
        *,
        region: str = "331004",
        account_name: str = "路桥市场监管",
        **contacts: Any,
    ) -> Unit:
        """A host unit with its principal, deputy head and contacts, an account, and its liaison."""
        unit_id = str(uuid.uuid4())
        liaison = self.person("李联络", ["liaison"], unit=unit_id, region=region)
        record = self.unit_event(
            unit_id, name, region, "unit", principal_name="张局长", deputy_head_name="赵副局长", **contacts
        )
        await self.apply(on_unit_event, record)
        account_id = str(uuid.uuid4())
        unit = Unit(unit_id, name, region, liaison, account_id, account_name)
        opened = self.snapshot_event(unit, account_id, account_name, START)
        await self.apply(on_account_event, opened)
        return unit

    @staticmethod
    def unit_event(
        unit_id: str,
        name: str,
        region: str,
        kind: str,
        *,
        changed: bool = False,
        at: datetime = START,
        **fields: Any,
    ) -> UnitRegistered | UnitChanged:
        common: dict[str, Any] = {
            "occurred_at": at,
            "unit_id": unit_id,
            "name": name,
            "region_code": region,
            "kind": kind,
            "duty_keywords": ("市场监管",),
            **fields,
        }
        if changed:
            return UnitChanged(**common, changed_fields=tuple(fields))
        return UnitRegistered(**common)

    @staticmethod
    def snapshot_event(unit: Unit, account_id: str, name: str, at: datetime) -> AccountOpened:
        """The registry's AccountOpened for an account of ``unit``."""
        snapshot = AccountSnapshot(
            account_id=account_id,
            name=name,
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=unit.id,
            unit_name=unit.name,
            region_code=unit.region,
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=3,
            certified=False,
            matrix_badge=None,
            outsourced=False,
        )
        return AccountOpened(
            occurred_at=at,
            account_id=account_id,
            account=snapshot,
            filing_id=str(uuid.uuid4()),
            actor_id="system",
            effective_on=at.date(),
        )

    # ---- alerts

    @staticmethod
    def alert(
        unit: Unit,
        *,
        at: datetime,
        rule: str = "not_updated",
        severity: str = "violation",
        account_id: str | None = None,
    ) -> AlertRaised:
        return AlertRaised(
            occurred_at=at,
            alert_id=str(uuid.uuid4()),
            account_id=account_id or unit.account_id,
            unit_id=unit.id,
            region_code=unit.region,
            rule=rule,
            severity=severity,
            alert_class="not_updated" if rule == "not_updated" else "serious",
            period=at.date().isoformat(),
            detail={"days_silent": 15},
        )

    @staticmethod
    def resolved(alert: AlertRaised, *, at: datetime, resolution: str = "rechecked") -> AlertResolved:
        return AlertResolved(
            occurred_at=at,
            alert_id=alert.alert_id,
            account_id=alert.account_id,
            rule=alert.rule,
            period=alert.period,
            resolution=resolution,
        )

    async def raise_alert(self, alert: AlertRaised) -> None:
        """Hand an alert to the consumer's handler (same code path as a message from the broker)."""
        await self.apply(self.handlers[AlertRaised], alert)

    async def publish(self, *events: Event) -> None:
        """Publish events onto the real broker as CloudEvents, as their owner would."""
        producer = AIOKafkaProducer(bootstrap_servers=self.infra.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for event in events:
                env = wrap(event)
                await producer.send_and_wait(
                    event.topic, value=orjson.dumps(env.data), key=env.subject.encode(), headers=env.headers()
                )
        finally:
            await producer.stop()

    # ---- what the service recorded

    async def events(self, **match: str) -> list[tuple[str, dict[str, Any]]]:
        """(short type, payload) of outbox events whose payload matches every given field, in order."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(outbox_table.c.type, outbox_table.c.payload).order_by(outbox_table.c.seq)
                )
            ).all()
        return [
            (r.type.removeprefix("gov.notify.").removesuffix(".v1"), r.payload)
            for r in rows
            if all(r.payload.get(k) == v for k, v in match.items())
        ]

    async def deliveries(self, **match: Any) -> list[Delivery]:
        async with self.sessions() as session:
            stmt = select(Delivery).order_by(Delivery.seq)
            for k, v in match.items():
                stmt = stmt.where(getattr(Delivery, k) == v)
            return list((await session.execute(stmt)).scalars())

    def dispatcher(self, **overrides: Any) -> Dispatcher:
        settings = NotifySettings.model_validate({**self.settings.model_dump(), **overrides})
        return Dispatcher(self.sessions, settings, self.clock)

    async def wait_for(self, probe: Callable[[], Any], *, within: float = 30.0) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.2)
        raise AssertionError(f"condition not met within {within}s")

    async def from_broker(
        self, event_type: type[Event], keep: Callable[[dict[str, Any]], bool], *, within: float = 20.0
    ) -> dict[str, Any]:
        """The first ``event_type`` record on its topic whose data ``keep`` accepts (read without a group)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.infra.kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        deadline = time.monotonic() + within
        try:
            partitions = consumer.partitions_for_topic(event_type.topic) or set()
            while not partitions and time.monotonic() < deadline:
                await consumer.topics()
                partitions = consumer.partitions_for_topic(event_type.topic) or set()
            tps = [TopicPartition(event_type.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        data = orjson.loads(record.value or b"{}")
                        if headers.get("ce_type") == event_type.event_type and keep(data):
                            return {"headers": headers, "data": data}
        finally:
            await consumer.stop()
        raise AssertionError(
            f"no {event_type.__name__} matching the filter reached the broker within {within}s"
        )

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients))


@asynccontextmanager
async def running_notify(
    infra: Infrastructure, *, consumers: bool, **overrides: Any
) -> AsyncIterator[NotifyKit]:
    url = await fresh_database(infra, "notify", "notify")
    overrides.setdefault("webhook_allowed_networks", "127.0.0.0/8")  # the tests' receivers are local
    overrides.setdefault("smtp_host", "127.0.0.1")  # a deployment with a mail server: e-mail is written
    # with consumers: groups of the run's own, starting at the topics' end (govmedia_platform.groups)
    kafka = (
        own_groups(infra.kafka_bootstrap, "notify")
        if consumers
        else KafkaSettings(bootstrap=infra.kafka_bootstrap)
    )
    settings = NotifySettings(
        service_name="notify",
        environment="test",
        database_url=url,
        kafka=kafka,
        run_consumers=consumers,
        relay_idle_sleep_seconds=0.05,
        log_json=False,
        log_level="WARNING",
        run_dispatcher=False,
        run_sweeper=False,
        **overrides,
    )
    key = SigningKey.generate()
    clock = FixedClock(START)
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    app = create_app(settings, verifier=verifier, clock=clock)
    if consumers:
        await start_at_the_end(app)
    async with LifespanManager(app):
        kit = NotifyKit(app, clock, key, infra)
        try:
            yield kit
        finally:
            await kit.close()


@pytest.fixture
async def notify(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[NotifyKit]:
    """The notify app with its outbox relay; consumers, dispatcher and sweep off (tests drive them)."""
    async with running_notify(infra, consumers=False) as kit:
        yield kit


@pytest.fixture
async def notify_consuming(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[NotifyKit]:
    """The notify app with its consumers running against the real broker."""
    async with running_notify(infra, consumers=True) as kit:
        yield kit


@pytest.fixture
async def notify_public_webhooks_only(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[NotifyKit]:
    """The notify app as production configures it by default: webhooks to public addresses only."""
    async with running_notify(infra, consumers=False, webhook_allowed_networks="") as kit:
        yield kit
