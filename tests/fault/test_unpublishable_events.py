"""Unpublishable events never block the queue: one too large for the bus is refused when the change is
made (413 at the API, nothing written); a row the broker still refuses is set aside with its error while
every other aggregate flows on, and its own aggregate's later rows wait until an operator releases it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Body
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.app import ServiceSpec, SessionDep, create_app
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.outbox import OutboxRelay, add_event, max_event_bytes
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_platform.launcher import Infrastructure

if TYPE_CHECKING:
    from .conftest import FaultKit

pytestmark = pytest.mark.integration


def snapshot(account_id: str, post: str = "p") -> MetricsObserved:
    now = datetime.now(UTC)
    return MetricsObserved(
        occurred_at=now, account_id=account_id, platform_post_id=post, reads=1, as_of=now,
        ingest_channel=IngestChannel.CONNECTOR,
    )  # fmt: skip


async def _outbox(engine: AsyncEngine) -> list[tuple[str, str, bool, bool, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, aggregateid, published_at IS NOT NULL, dead_at IS NOT NULL, last_error "
                "FROM outbox ORDER BY seq"
            )
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def test_an_event_over_the_size_limit_is_refused_at_the_api_with_413_and_nothing_is_written(
    infra: Infrastructure, fault_kit: FaultKit
) -> None:
    engine = await fault_kit.database("too_large")
    router = APIRouter()

    @router.post("/v1/snapshots", status_code=201)
    async def observe(session: SessionDep, post: Annotated[str, Body(embed=True)]) -> dict[str, str]:
        env = await add_event(session, snapshot(str(uuid.uuid4()), post))
        return {"event_id": env.id}

    settings = ServiceSettings(
        service_name="fault", environment="test", database_url=fault_kit.urls[engine],
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap), run_relay=False, run_consumers=False,
    )  # fmt: skip
    app = create_app(ServiceSpec(name="fault", title="fault", description="", routers=[router]), settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fault") as client,
    ):
        small = await client.post("/v1/snapshots", json={"post": "x" * 100})
        assert small.status_code == 201, small.text
        big = await client.post("/v1/snapshots", json={"post": "x" * (max_event_bytes() + 1)})
    assert big.status_code == 413, big.text
    assert big.headers["content-type"].startswith("application/problem+json")
    problem = big.json()
    assert problem["code"] == "event-too-large" and problem["limit"] == max_event_bytes()
    assert [row[0] for row in await _outbox(engine)] == [small.json()["event_id"]]  # the refused one: no row


async def test_a_row_the_broker_refuses_is_set_aside_and_other_aggregates_flow_while_its_own_wait(
    infra: Infrastructure, fault_kit: FaultKit
) -> None:
    kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    topic = f"fault.refused.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, [topic])
    engine = await fault_kit.database("refused")
    blocked, other = str(uuid.uuid4()), str(uuid.uuid4())

    async def insert(account: str, post: str) -> str:
        """A row as an older writer (without the size guard) or a smaller broker limit would leave it."""
        env = wrap(snapshot(account, post))
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers) "
                    "VALUES (:id, 'account', :agg, :type, :topic, "
                    "CAST(:payload AS json), CAST(:headers AS json))"
                ),
                {
                    "id": env.id, "agg": account, "type": env.type, "topic": topic,
                    "payload": orjson.dumps(env.data).decode(),
                    "headers": orjson.dumps({k: v.decode() for k, v in env.headers()}).decode(),
                },
            )  # fmt: skip
        return env.id

    huge = await insert(blocked, "x" * 1_200_000)  # over the producer's 1 MiB request limit
    after_huge = await insert(blocked, "next")
    flows = await insert(other, "other")
    dead_before = REGISTRY.get_sample_value(
        "govmedia_outbox_dead_total", {"service": "fault", "topic": topic}
    )

    producer = make_producer(kafka, "fault-refused")
    await producer.start()
    relay = OutboxRelay(session_factory(engine), producer, service="fault", kafka=kafka, idle_sleep=0.05)
    fault_kit.supervise(relay.run)
    try:

        async def other_published() -> bool:
            return any(r[0] == flows and r[2] for r in await _outbox(engine))

        took = await fault_kit.wait_until(other_published, within=15, what="the other aggregate's event")
        print(f"\nthe other aggregate's event was published {took:.1f}s after the relay started")
        rows = {r[0]: r for r in await _outbox(engine)}
        assert rows[huge][2:4] == (False, True)  # set aside, not published
        assert "MessageSizeTooLarge" in (rows[huge][4] or "")
        assert rows[after_huge][2:4] == (False, False)  # waits behind it: order of one aggregate is kept
        dead_after = REGISTRY.get_sample_value(
            "govmedia_outbox_dead_total", {"service": "fault", "topic": topic}
        )
        assert (dead_after or 0) - (dead_before or 0) == 1
        await relay.update_gauges()
        assert REGISTRY.get_sample_value("govmedia_outbox_set_aside", {"service": "fault"}) == 1
        assert (
            REGISTRY.get_sample_value("govmedia_outbox_backlog", {"service": "fault"}) == 2
        )  # counted, not 0

        # The operator shortens the event and releases it: it goes out, then the one that waited.
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE outbox SET dead_at = NULL, "
                    "payload = jsonb_set(payload::jsonb, '{platform_post_id}', '\"shortened\"') "
                    "WHERE id = :id"
                ),
                {"id": huge},
            )
        relay.wake()

        async def all_published() -> bool:
            return all(r[2] for r in await _outbox(engine))

        await fault_kit.wait_until(all_published, within=15, what="the released row and the one behind it")
        async with engine.connect() as conn:
            order = [
                r[0]
                for r in await conn.execute(
                    text("SELECT id FROM outbox WHERE aggregateid = :a ORDER BY published_at, seq"),
                    {"a": blocked},
                )
            ]
        assert order == [huge, after_huge]
    finally:
        relay.stop()
        await asyncio.sleep(0.1)
        await producer.stop()
