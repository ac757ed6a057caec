"""A monitor app on a fresh migrated database and the real broker, driven in-process over ASGI.

Helpers are methods of the :class:`MonitorKit` fixture because test modules cannot import from conftest.
Registry and review events are handed to the consumers' handlers directly (the projection is what they
build); one test runs the consumers against the broker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Event,
    Platform,
    PostApproved,
    PostOverridden,
    PostPublished,
    RegionSettingsChanged,
    ReviewerSignature,
)
from govmedia_common.hashing import content_hash
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_monitor import handlers
from govmedia_monitor.main import SchedulerSettings, create_app
from govmedia_monitor.models import Alert, ObservedPost
from govmedia_monitor.rules import sweeps
from govmedia_platform.groups import own_groups, start_at_the_end
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

START = datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI)


class MonitorKit:
    """The running monitor app and everything a test needs around it."""

    def __init__(self, app: Any, clock: FixedClock, key: SigningKey, infra: Infrastructure) -> None:
        self.app = app
        self.transport = httpx.ASGITransport(app=app)
        self.clock = clock
        self.key = key
        self.infra = infra
        self.sessions: async_sessionmaker[AsyncSession] = app.state.runtime.sessions
        self._clients: list[httpx.AsyncClient] = []
        self.connector = self.client(self.token("connector", kind="client", scopes=["monitor:ingest"]))
        self.office = self.client(
            self.token("office", roles=["office_staff"], scopes=["monitor:read"], region="330000")
        )
        self.admin = self.client(
            self.token("admin", roles=["office_admin"], scopes=["monitor:read"], region="330000")
        )

    def token(
        self,
        name: str,
        *,
        region: str = "330000",
        roles: list[str] | None = None,
        scopes: list[str] | None = None,
        kind: str = "person",
        unit: str | None = None,
    ) -> str:
        return mint_token(
            self.key,
            subject=str(uuid.uuid4()),
            name=name,
            region=region,
            unit=unit,
            roles=roles or [],
            scopes=scopes or [],
            kind=kind,
            ttl_seconds=3600,
        )

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.AsyncClient(transport=self.transport, base_url="http://monitor", headers=headers)
        self._clients.append(c)
        return c

    # ---- registry and review events, through the consumers' handlers

    async def apply(self, handler: Callable[..., Any], event: Event) -> None:
        async with self.sessions() as session, session.begin():
            await handler(event, None, session)

    async def account(
        self,
        *,
        region: str = "331004",
        tier: str = "ordinary",
        interaction: bool = True,
        opened: date | None = None,
        status: str = "active",
        account_id: str | None = None,
        unit: str | None = None,
    ) -> str:
        account_id = account_id or str(uuid.uuid4())
        at = datetime.combine(opened or START.date(), START.timetz())
        snap = AccountSnapshot(
            account_id=account_id,
            name="路桥发布",
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=unit or str(uuid.uuid4()),
            unit_name="台州市路桥区人民政府办公室",
            region_code=region,
            status=AccountStatus(status),
            attention_tier=AttentionTier(tier),
            interaction_enabled=interaction,
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
        await self.apply(handlers.on_account_event, event)
        return account_id

    async def approve(
        self, account_id: str, title: str, text: str, *, override: bool = False, at: datetime | None = None
    ) -> str:
        post_id = str(uuid.uuid4())
        when = at or self.clock.now()
        signatures = tuple(
            ReviewerSignature(
                level=i, reviewer_id=str(uuid.uuid4()), reviewer_name=f"审核{i}", reviewed_at=when
            )
            for i in (1, 2)
        )
        if override:
            await self.apply(
                handlers.on_post_overridden,
                PostOverridden(
                    occurred_at=when,
                    account_id=account_id,
                    post_id=post_id,
                    approver_id=str(uuid.uuid4()),
                    approver_name="领导",
                    reason="已核实，属正常表述",
                    blocking_categories=("serious_expression_error",),
                    content_hash=content_hash(title, text),
                ),
            )
        await self.apply(
            handlers.on_post_approved,
            PostApproved(
                occurred_at=when,
                account_id=account_id,
                post_id=post_id,
                title=title,
                text=text,
                content_hash=content_hash(title, text),
                reviewers=signatures,
                override=override,
                override_reason="已核实，属正常表述" if override else None,
            ),
        )
        return post_id

    async def published(
        self, account_id: str, post_id: str, platform_post_id: str, title: str, text: str
    ) -> None:
        now = self.clock.now()
        await self.apply(
            handlers.on_post_published,
            PostPublished(
                occurred_at=now,
                account_id=account_id,
                post_id=post_id,
                platform=Platform.WECHAT,
                platform_post_id=platform_post_id,
                url=None,
                content_hash=content_hash(title, text),
                published_at=now,
                reviewers=tuple(
                    ReviewerSignature(
                        level=i, reviewer_id=str(uuid.uuid4()), reviewer_name=f"审核{i}", reviewed_at=now
                    )
                    for i in (1, 2)
                ),
            ),
        )

    async def region_settings(self, region: str, monitor: dict[str, Any], version: int = 1) -> None:
        await self.apply(
            handlers.on_region_settings,
            RegionSettingsChanged(
                occurred_at=self.clock.now(),
                region_code=region,
                settings={"monitor": monitor},
                changed_keys=("monitor",),
                version=version,
                actor_id="admin",
            ),
        )

    # ---- ingest over HTTP

    async def observe(
        self,
        account_id: str,
        text: str,
        *,
        title: str = "",
        post_id: str | None = None,
        at: datetime | None = None,
    ) -> httpx.Response:
        return await self.connector.post(
            "/v1/observed-posts",
            json={
                "account_id": account_id,
                "platform_post_id": post_id or f"wx-{uuid.uuid4().hex[:12]}",
                "title": title,
                "text": text,
                "published_at": (at or self.clock.now()).isoformat(),
            },
        )

    async def sweep(self, as_of: date) -> dict[str, Any]:
        async with self.sessions() as session, session.begin():
            result = await sweeps.run(session, as_of=as_of, now=self.clock.now())
        return {
            "raised": dict(result.raised),
            "escalated": dict(result.escalated),
            "resolved": dict(result.resolved),
        }

    async def alerts(self, account_id: str, rule: str | None = None) -> list[Alert]:
        stmt = select(Alert).where(Alert.account_id == account_id).order_by(Alert.seq)
        if rule:
            stmt = stmt.where(Alert.rule == rule)
        async with self.sessions() as session:
            return list((await session.execute(stmt)).scalars())

    async def observation(self, account_id: str, platform_post_id: str) -> ObservedPost:
        async with self.sessions() as session:
            row = await session.get(ObservedPost, (account_id, platform_post_id))
            assert row is not None
            return row

    async def from_broker(
        self, topic: str, ce_type: str, keep: Callable[[dict[str, Any]], bool], *, within: float = 60.0
    ) -> dict[str, Any]:
        """The first record of ``ce_type`` on ``topic`` whose data ``keep`` accepts (read without a group)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.infra.kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        deadline = time.monotonic() + within
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            while not partitions and time.monotonic() < deadline:
                await consumer.topics()
                await asyncio.sleep(0.1)
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        data = orjson.loads(record.value or b"{}")
                        if headers.get("ce_type") == ce_type and keep(data):
                            return {"headers": headers, "data": data, "key": record.key}
        finally:
            await consumer.stop()
        raise AssertionError(f"no {ce_type} matching the filter reached {topic} within {within}s")

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients))


@asynccontextmanager
async def running_monitor(
    infra: Infrastructure, *, consumers: bool, schedule: SchedulerSettings | None = None
) -> AsyncIterator[MonitorKit]:
    url = await fresh_database(infra, "monitor", "monitor")
    # with consumers: groups of the run's own, starting at the topics' end (govmedia_platform.groups)
    kafka = (
        own_groups(infra.kafka_bootstrap, "monitor")
        if consumers
        else KafkaSettings(bootstrap=infra.kafka_bootstrap)
    )
    settings = ServiceSettings(
        service_name="monitor",
        environment="test",
        database_url=url,
        kafka=kafka,
        run_consumers=consumers,
        relay_idle_sleep_seconds=0.05,
        log_json=False,
        log_level="WARNING",
    )
    key = SigningKey.generate()
    clock = FixedClock(START)
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    app = create_app(
        settings, verifier=verifier, clock=clock, schedule=schedule or SchedulerSettings(sweep_enabled=False)
    )
    if consumers:
        await start_at_the_end(app)
    async with LifespanManager(app, startup_timeout=60):
        kit = MonitorKit(app, clock, key, infra)
        try:
            yield kit
        finally:
            await kit.close()


@pytest.fixture
async def monitor_consuming(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[MonitorKit]:
    """The monitor app with its consumers running against the real broker."""
    async with running_monitor(infra, consumers=True) as kit:
        yield kit


@pytest.fixture
async def monitor_scheduled(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[MonitorKit]:
    """The monitor app with its daily sweep running on the (test) clock, polled every 50 ms."""
    schedule = SchedulerSettings(sweep_enabled=True, sweep_poll_seconds=0.05)
    async with running_monitor(infra, consumers=False, schedule=schedule) as kit:
        yield kit


@pytest.fixture
async def monitor(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[MonitorKit]:
    """The monitor app with its outbox relay; consumers off (tests feed the projections through handlers)."""
    async with running_monitor(infra, consumers=False) as kit:
        yield kit


DAY = timedelta(days=1)
