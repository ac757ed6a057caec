"""The embedded broker is killed and started again mid-stream, under load. It comes back empty (memory
storage), with a new cluster id: the platform recreates the topics with their configured partitions, the
relay republishes the outbox rows still in retention, the consumer reads from the beginning again, and the
inbox drops what was handled before. Every committed change's event takes effect exactly once."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext, batch
from govmedia_common.db import session_factory
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.kafka import (
    all_topics,
    ensure_topics,
    lag_per_partition,
    make_producer,
    topic_partitions,
)
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import recreate_topics
from govmedia_platform.stack import EmbeddedBroker

if TYPE_CHECKING:
    from .conftest import FaultKit

pytestmark = pytest.mark.integration

EFFECTS_DDL = "CREATE TABLE effects (event_id text NOT NULL, account_id text NOT NULL)"  # no key on purpose
ROUNDS, PER_ROUND = 45, 12  # 540 changes over ~11 s; the broker dies after round 15


async def _effects(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT event_id FROM effects"))]


async def test_a_broker_killed_mid_stream_comes_back_and_every_committed_event_takes_effect_once(
    fault_kit: FaultKit, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    kafka = KafkaSettings(bootstrap=broker.bootstrap)
    topic = MetricsObserved.topic  # the catalogue's own topic: this broker is the test's alone
    try:
        await ensure_topics(kafka, all_topics())
        outbox = await fault_kit.database("restart_out")
        inbox = await fault_kit.database("restart_in", EFFECTS_DDL)
        producer = make_producer(kafka, "fault-relay")
        await producer.start()
        relay = OutboxRelay(
            session_factory(outbox), producer, service="fault", kafka=kafka, broker_check_seconds=0.5,
            lease_seconds=5.0, idle_sleep=0.05,
        )  # fmt: skip
        fault_kit.supervise(relay.run)

        # Closed from round 8 to round 20: the consumer falls behind, so the broker dies holding events it
        # acknowledged but nobody consumed — only the outbox can bring those back.
        gate = asyncio.Event()
        gate.set()

        @batch
        async def count(
            session: AsyncSession, items: Sequence[tuple[MetricsObserved, MessageContext]]
        ) -> None:
            await gate.wait()
            await session.execute(
                text("INSERT INTO effects SELECT * FROM unnest(CAST(:i AS text[]), CAST(:a AS text[]))"),
                {"i": [ctx.envelope.id for _, ctx in items], "a": [e.account_id for e, _ in items]},
            )

        dlt_producer = make_producer(kafka, "fault-dlt")
        await dlt_producer.start()
        runner = ConsumerRunner(
            service="fault", group_id="fault-restart", handlers={MetricsObserved: count},
            sessions=session_factory(inbox), kafka=kafka, dlt_producer=dlt_producer, broker_check_seconds=0.5,
            retry_backoff=0.05, max_backoff=2.0, handler_timeout=60.0,
        )  # fmt: skip
        consuming = fault_kit.supervise(runner.run)

        accounts = [str(uuid.uuid4()) for _ in range(30)]
        committed: list[str] = []
        sessions = session_factory(outbox)
        first_cluster = broker.cluster_id

        async def write(round_: int) -> None:
            async with sessions() as session, session.begin():
                ids = []
                for i in range(PER_ROUND):
                    now = datetime.now(UTC)
                    env = await add_event(
                        session,
                        MetricsObserved(
                            occurred_at=now, account_id=accounts[(round_ + i) % len(accounts)],
                            platform_post_id=f"r{round_}", reads=i, as_of=now,
                            ingest_channel=IngestChannel.CONNECTOR,
                        ),
                    )  # fmt: skip
                    ids.append(env.id)
            committed.extend(ids)  # only after the commit: these must all arrive

        await write(-1)  # warm-up: the consumer has joined its group once this took effect

        async def joined() -> bool:
            return bool(await _effects(inbox))

        await fault_kit.wait_until(joined, within=60, what="the consumer to join its group")
        for round_ in range(ROUNDS):
            await write(round_)
            if round_ == 8:
                gate.clear()
            if round_ == 20:
                gate.set()
            if round_ == 15:
                handled_before = len(await _effects(inbox))
                assert 0 < handled_before < len(committed)  # some consumed, the rest only on the broker
                assert broker.process is not None
                broker.process.send_signal(signal.SIGKILL)
                broker.process.wait(10)
                await asyncio.sleep(1.0)
                broker.start(lambda _: None)  # same port, empty, a new cluster id
                await recreate_topics(broker.bootstrap, lambda _: None)  # what the platform does
            await asyncio.sleep(0.25)
        assert broker.cluster_id != first_cluster

        async def all_committed_took_effect() -> bool:
            return set(committed) <= set(await _effects(inbox))

        took = await fault_kit.wait_until(all_committed_took_effect, within=150, what="every committed event")
        print(f"\n{len(committed)} committed events took effect {took:.1f}s after the last write")
        await asyncio.sleep(2)  # late duplicates would show up now
        effects = await _effects(inbox)
        assert len(effects) == len(set(effects)) == len(committed)  # exactly once in effect, none extra

        counts = await topic_partitions(kafka, [topic, f"{topic}.dlt"])
        assert counts == {topic: kafka.topic_partitions, f"{topic}.dlt": kafka.topic_partitions}

        async def no_lag() -> bool:
            assert runner.consumer is not None
            lags = await lag_per_partition(runner.consumer, {})
            return lags is not None and bool(lags) and not any(lags.values())

        await fault_kit.wait_until(no_lag, within=30, what="the consumer group's lag to return to 0")
        async with outbox.connect() as conn:
            unpublished = (
                await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            ).scalar_one()
            republished = (
                await conn.execute(text("SELECT count(DISTINCT published_to) FROM outbox"))
            ).scalar()
        assert unpublished == 0
        assert republished == 1  # every row now lives on the new broker
        runner.stop_soon()
        relay.stop()
        await asyncio.wait([consuming], timeout=10)
        await runner.stop()
        await dlt_producer.stop()
        await producer.stop()
    finally:
        broker.stop()
