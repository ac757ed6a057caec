"""The consumer's database goes away for 30 s under load: no valid event is dead-lettered, every one takes
effect exactly once when it is back; a dead letter is replayed with ``govmedia dlt replay`` after a fix."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext, batch
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import Infrastructure

if TYPE_CHECKING:
    from .conftest import FaultKit

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 30
EFFECTS_DDL = "CREATE TABLE effects (event_id text NOT NULL, account_id text NOT NULL)"  # no key on purpose


def snapshot(account_id: str, post: str) -> MetricsObserved:
    now = datetime.now(UTC)
    return MetricsObserved(
        occurred_at=now, account_id=account_id, platform_post_id=post, reads=10, as_of=now,
        ingest_channel=IngestChannel.CONNECTOR,
    )  # fmt: skip


def _dsn(url: str, database: str | None = None) -> str:
    u = make_url(url).set(drivername="postgresql")
    return (u.set(database=database) if database else u).render_as_string(hide_password=False)


async def _effects(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT event_id FROM effects"))]


async def _dead_letters(bootstrap: str, dlt: str) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(dlt, p) for p in sorted(consumer.partitions_for_topic(dlt) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[str] = []
        for _ in range(5):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(dict(r.headers)["ce_id"].decode() for r in records)
        return found
    finally:
        await consumer.stop()


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "govmedia_platform.cli", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "250"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_a_30s_database_outage_dead_letters_no_valid_event_and_a_fixed_dead_letter_replays_once(
    infra: Infrastructure, fault_kit: FaultKit
) -> None:
    kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    topic = f"fault.outage.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, [topic, f"{topic}.dlt"])
    engine = await fault_kit.database("outage", EFFECTS_DDL)
    database = make_url(fault_kit.urls[engine]).database
    producer = make_producer(kafka, "fault-outage")
    await producer.start()
    fixed = False

    @batch
    async def count(session: AsyncSession, items: Sequence[tuple[MetricsObserved, MessageContext]]) -> None:
        if not fixed and any(event.platform_post_id == "poison" for event, _ in items):
            raise ValueError("this snapshot cannot be handled until the fix")
        await session.execute(
            text("INSERT INTO effects SELECT * FROM unnest(CAST(:i AS text[]), CAST(:a AS text[]))"),
            {"i": [ctx.envelope.id for _, ctx in items], "a": [e.account_id for e, _ in items]},
        )

    group = f"fault-outage-{uuid.uuid4().hex[:8]}"
    runner = ConsumerRunner(
        service="fault", group_id=group, handlers={MetricsObserved: count}, sessions=session_factory(engine),
        kafka=kafka, dlt_producer=producer, max_retries=2, retry_backoff=0.05, max_backoff=2.0,
        handler_timeout=5.0,
    )  # fmt: skip
    runner.topics = [topic]
    consuming = fault_kit.supervise(runner.run)
    accounts = [str(uuid.uuid4()) for _ in range(20)]
    sent: list[str] = []

    async def send(n: int, post: str = "p") -> str:
        env = wrap(snapshot(accounts[0], post))
        for i in range(n):
            env = wrap(snapshot(accounts[(len(sent) + i) % len(accounts)], post))
            await producer.send(topic, env.value(), key=env.subject.encode(), headers=env.headers())
            if post != "poison":
                sent.append(env.id)
        await producer.flush()
        return env.id

    try:
        await send(150)
        poison = await send(1, "poison")
        await send(50)

        async def all_sent_handled() -> bool:
            return sorted(await _effects(engine)) == sorted(sent)

        await fault_kit.wait_until(all_sent_handled, within=60, what="the events before the outage")
        assert await _dead_letters(infra.kafka_bootstrap, f"{topic}.dlt") == [poison]

        # ---- the database goes away for 30 s (new connections refused, open ones cut) under load
        admin = await asyncpg.connect(_dsn(infra.database_server_url, "postgres"))
        try:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
            )
            for _ in range(OUTAGE_SECONDS):
                await send(10)
                await asyncio.sleep(1)
            # Honest while nothing succeeds: the lag gauge comes from the broker's end offsets.
            lag = sum(
                s.value
                for m in REGISTRY.collect()
                if m.name == "govmedia_consumer_lag"
                for s in m.samples
                if s.labels.get("group") == group
            )
            assert lag > 0, "the lag gauge shows nothing while the consumer cannot handle anything"
        finally:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await admin.close()
        recovered_in = await fault_kit.wait_until(
            all_sent_handled, within=90, what="every event sent during the outage"
        )
        print(f"\n{len(sent)} events handled, caught up {recovered_in:.1f}s after the database came back")
        effects = await _effects(engine)
        assert len(effects) == len(set(effects)) == len(sent)  # each exactly once
        assert await _dead_letters(infra.kafka_bootstrap, f"{topic}.dlt") == [poison]  # no valid one

        # ---- after the fix, the operator lists and replays the dead letter; twice does no harm
        fixed = True
        assert poison in _cli("dlt", "list", topic, "--bootstrap", infra.kafka_bootstrap)
        for _ in range(2):
            out = _cli("dlt", "replay", topic, "--group", group, "--bootstrap", infra.kafka_bootstrap)
            assert "replayed 1 dead letter" in out, out

        async def poison_handled() -> bool:
            return poison in await _effects(engine)

        await fault_kit.wait_until(poison_handled, within=30, what="the replayed dead letter")
        await asyncio.sleep(2)  # the second replay arrives too, and must change nothing
        effects = await _effects(engine)
        assert effects.count(poison) == 1
        assert len(effects) == len(sent) + 1
    finally:
        runner.stop_soon()
        await asyncio.wait([consuming], timeout=10)
        await runner.stop()
        await producer.stop()
