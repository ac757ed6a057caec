"""A review app on a fresh migrated database and the real broker, driven in-process over ASGI.

Helpers are methods of the :class:`ReviewKit` fixture because test modules cannot import from conftest.
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
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.db import audit_table, outbox_table
from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Event,
    Platform,
)
from govmedia_common.hashing import content_hash
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.groups import own_groups, start_at_the_end
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_registry.identity import scopes_for_roles
from govmedia_review.handlers import on_account_event
from govmedia_review.main import create_app

START = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
CLEAN = "今天上午，区政务服务中心正常开放，市民可预约办理社保业务。"
BLOCKING = "中国人民共和国成立七十六周年，全区举行升旗仪式。"  # a serious expression error: blocks


@dataclass
class Person:
    """A signed-in member of staff: their id, name and an HTTP client carrying their token."""

    id: str
    name: str
    http: httpx.AsyncClient


@dataclass
class Unit:
    """A host unit with the staff one post needs: an editor and three reviewers (the last an approver)."""

    id: str
    region: str
    editor: Person
    r1: Person
    r2: Person
    boss: Person


class ReviewKit:
    """The running review app and everything a test needs around it."""

    def __init__(
        self,
        app: Any,
        transport: httpx.ASGITransport,
        clock: FixedClock,
        key: SigningKey,
        infra: Infrastructure,
    ) -> None:
        self.app = app
        self.transport = transport
        self.clock = clock
        self.key = key
        self.infra = infra
        self.sessions: async_sessionmaker[AsyncSession] = app.state.runtime.sessions
        self._clients: list[httpx.AsyncClient] = []

    # ---- people

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.AsyncClient(transport=self.transport, base_url="http://review", headers=headers)
        self._clients.append(c)
        return c

    def person(
        self,
        name: str,
        roles: list[str],
        *,
        unit: str | None,
        region: str = "331004",
        scopes: list[str] | None = None,
    ) -> Person:
        """A person with the scopes the registry grants their roles (or the given ones)."""
        pid = str(uuid.uuid4())
        token = mint_token(
            self.key,
            subject=pid,
            name=name,
            region=region,
            unit=unit,
            roles=roles,
            scopes=scopes if scopes is not None else scopes_for_roles(roles),
        )
        return Person(pid, name, self.client(token))

    def unit(self, tag: str, region: str = "331004") -> Unit:
        uid = str(uuid.uuid4())
        return Unit(
            id=uid,
            region=region,
            editor=self.person(f"{tag}采编", ["editor"], unit=uid, region=region),
            r1=self.person(f"{tag}初审", ["reviewer"], unit=uid, region=region),
            r2=self.person(f"{tag}复审", ["reviewer"], unit=uid, region=region),
            boss=self.person(f"{tag}领导", ["approver"], unit=uid, region=region),
        )

    # ---- the accounts projection

    async def account(
        self,
        unit: Unit | str,
        *,
        region: str | None = None,
        platform: str = "wechat",
        status: str = "active",
        levels: int = 3,
        name: str = "路桥发布",
        at: datetime | None = None,
        account_id: str | None = None,
    ) -> str:
        """Seed the projection by handing an account event to the consumer's handler."""
        unit_id = unit.id if isinstance(unit, Unit) else unit
        region = region or (unit.region if isinstance(unit, Unit) else "331004")
        account_id = account_id or str(uuid.uuid4())
        await self.apply(
            self.opened(
                account_id,
                unit_id=unit_id,
                region=region,
                platform=platform,
                status=status,
                levels=levels,
                name=name,
                at=at or START,
            )
        )
        return account_id

    @staticmethod
    def snapshot(
        account_id: str,
        *,
        unit_id: str,
        region: str = "331004",
        platform: str = "wechat",
        status: str = "active",
        levels: int = 3,
        name: str = "路桥发布",
    ) -> AccountSnapshot:
        return AccountSnapshot(
            account_id=account_id,
            name=name,
            platform=Platform(platform),
            platform_account_id=None,
            unit_id=unit_id,
            unit_name="台州市路桥区人民政府办公室",
            region_code=region,
            status=AccountStatus(status),
            attention_tier=AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=levels,
            certified=False,
            matrix_badge=None,
            outsourced=False,
        )

    def opened(self, account_id: str, *, at: datetime, **snapshot: Any) -> AccountOpened:
        return AccountOpened(
            occurred_at=at,
            account_id=account_id,
            account=self.snapshot(account_id, **snapshot),
            filing_id=str(uuid.uuid4()),
            actor_id="system",
            effective_on=at.date(),
        )

    async def apply(self, event: Any) -> None:
        async with self.sessions() as session, session.begin():
            await on_account_event(event, None, session)

    # ---- posts

    async def submit(
        self, editor: Person, account_id: str, body: str = CLEAN, title: str = "通知", **extra: Any
    ) -> tuple[dict[str, Any], str]:
        r = await editor.http.post(
            "/v1/posts", json={"account_id": account_id, "title": title, "body": body, **extra}
        )
        assert r.status_code == 201, r.text
        return r.json(), r.headers["etag"]

    async def decide(
        self, who: Person, post_id: str, etag: str, decision: str = "approve", **extra: Any
    ) -> httpx.Response:
        return await who.http.post(
            f"/v1/posts/{post_id}/reviews", json={"decision": decision, **extra}, headers={"If-Match": etag}
        )

    async def approve_all(self, unit: Unit, post_id: str, etag: str) -> tuple[dict[str, Any], str]:
        for who in (unit.r1, unit.r2, unit.boss):
            r = await self.decide(who, post_id, etag)
            assert r.status_code == 200, r.text
            etag = r.headers["etag"]
        return r.json(), etag

    async def publish(
        self, who: Person, post: dict[str, Any], *, at: datetime | None = None, digest: str | None = None
    ) -> httpx.Response:
        return await who.http.post(
            f"/v1/posts/{post['id']}/publication",
            json={
                "platform_post_id": f"wx-{post['id'][:8]}",
                "url": f"https://mp.weixin.qq.com/s/{post['id'][:8]}",
                "published_at": (at or self.clock.now()).isoformat(),
                "content_hash": digest or content_hash(post["title"], post["body"]),
            },
        )

    # ---- what the service recorded

    async def outbox(self, post_or_campaign_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(type, payload) of the events about one post or campaign, in the order they were written."""
        t = outbox_table
        async with self.sessions() as session:
            rows = (await session.execute(select(t.c.type, t.c.payload).order_by(t.c.seq))).all()
        return [
            (r.type.split(".")[-2], r.payload)
            for r in rows
            if post_or_campaign_id in (r.payload.get("post_id"), r.payload.get("campaign_id"))
        ]

    async def audit(self, action: str | None = None) -> list[dict[str, Any]]:
        t = audit_table
        stmt = select(t).order_by(t.c.id)
        if action:
            stmt = stmt.where(t.c.action == action)
        async with self.sessions() as session:
            return [dict(r._mapping) for r in (await session.execute(stmt)).all()]

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
async def running_review(infra: Infrastructure, *, consumers: bool) -> AsyncIterator[ReviewKit]:
    url = await fresh_database(infra, "review", "review")
    # with consumers: groups of the run's own, starting at the topics' end (govmedia_platform.groups)
    kafka = (
        own_groups(infra.kafka_bootstrap, "review")
        if consumers
        else KafkaSettings(bootstrap=infra.kafka_bootstrap)
    )
    settings = ServiceSettings(
        service_name="review",
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
    app = create_app(settings, verifier=verifier, clock=clock)
    if consumers:
        await start_at_the_end(app)
    async with LifespanManager(app):
        kit = ReviewKit(app, httpx.ASGITransport(app=app), clock, key, infra)
        try:
            yield kit
        finally:
            await kit.close()


@pytest.fixture
async def review(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[ReviewKit]:
    """The review app with its outbox relay; consumers off (tests seed the projection through the handler)."""
    async with running_review(infra, consumers=False) as kit:
        yield kit


@pytest.fixture
async def review_consuming(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[ReviewKit]:
    """The review app with its consumers running against the real broker."""
    async with running_review(infra, consumers=True) as kit:
        yield kit
