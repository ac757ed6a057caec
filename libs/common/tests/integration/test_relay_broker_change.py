"""A relay and a broker that changes under it (``govmedia_common.outbox_broker``): rows are marked published
only when the same broker answered before and after their batch, a batch the producer retried into a new
broker has its topic recreated before the republish, and a broker is taken on only while no relay of the
outbox is draining."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.db import session_factory
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.outbox_broker import UNCONFIRMED, BrokerChanged
from govmedia_common.settings import KafkaSettings
from govmedia_platform.stack import EmbeddedBroker

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = "gov.registry.accounts"


async def _event_ids(bootstrap: str, account: str) -> list[str]:
    """``ce_id`` of the account's records on ``TOPIC``, in the order of their partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[tuple[int, int, str]] = []
        for _ in range(50):
            positions = [await consumer.position(tp) for tp in tps]
            if all(at >= ends[tp] for at, tp in zip(positions, tps, strict=True)):
                break
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found += [
                    (r.partition, r.offset, dict(r.headers)["ce_id"].decode())
                    for r in records
                    if r.key == account.encode()
                ]
        return [event_id for *_, event_id in sorted(found)]
    finally:
        await consumer.stop()


async def _published_to(engine: AsyncEngine) -> list[str | None]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT published_to FROM outbox ORDER BY seq"))).scalars())


async def test_a_batch_the_producer_retried_into_a_new_broker_is_not_marked_and_its_topic_is_recreated(
    kit: PlumbingKit, events: EventFactory, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    kafka = KafkaSettings(bootstrap=broker.bootstrap)
    producer = make_producer(kafka, "guard-test")
    try:
        await ensure_topics(kafka, [TOPIC])
        await producer.start()
        engine = await kit.database("slip")
        sessions = session_factory(engine)
        account, ids = str(uuid.uuid4()), []

        async def write(n: int) -> None:
            for _ in range(n):
                async with sessions() as session, session.begin():
                    ids.append((await add_event(session, events.account_filed(account))).id)

        relay = OutboxRelay(sessions, producer, service="test", kafka=kafka, topic_wait_seconds=5)
        await write(3)
        assert await relay.drain() == 3
        await write(3)

        guard = relay._guard
        rows = await guard.enter(relay.claim)
        sent, outcome = await guard.send(rows)
        assert broker.process is not None
        os.kill(broker.process.pid, signal.SIGSTOP)  # nothing awaited since the send: the batch is out
        await asyncio.sleep(0.3)
        broker.process.kill()
        broker.process.wait(10)
        broker.start(lambda _: None)  # same port, empty, a new cluster id; the producer retries into it
        await ensure_topics(kafka, [TOPIC], repair=True)
        outcome = await guard.acknowledged(sent, outcome)

        assert isinstance(outcome.error, BrokerChanged) and not outcome.published
        assert await _event_ids(broker.bootstrap, account) == ids[3:], "the retry reached the new broker"
        assert (await _published_to(engine))[3:] == [f"{UNCONFIRMED}{relay.broker}"] * 3
        await relay.release(rows, repr(outcome.error))
        await guard.leave()  # takes the new broker on: the topic is recreated, everything queued again

        assert relay.broker == broker.cluster_id
        assert await relay.drain() == 6
        assert await _event_ids(broker.bootstrap, account) == ids, "first copies out of outbox order"
        assert await _published_to(engine) == [broker.cluster_id] * 6
    finally:
        await producer.stop()
        broker.stop()


async def test_rows_claimed_before_the_relay_noticed_a_new_broker_are_given_back_unsent(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("noticed")
    sessions = session_factory(engine)
    account, ids = str(uuid.uuid4()), []

    async def write(n: int) -> None:
        for _ in range(n):
            async with sessions() as session, session.begin():
                ids.append((await add_event(session, events.account_filed(account))).id)

    relay = OutboxRelay(
        sessions, await kit.producer(), service="test", kafka=kit.kafka, broker_check_seconds=600
    )
    await write(3)
    assert await relay.drain() == 3
    current = relay.broker
    await write(3)
    relay.broker = "a-broker-gone-by"  # as if the relay had not noticed yet: its next check is far away

    with pytest.raises(BrokerChanged):
        await relay.drain()

    assert relay.broker == current  # taken on once the drain had given its rows back
    assert (await _published_to(engine))[3:] == [None] * 3
    assert await relay.drain() == 3
    records = await kit.read_topic(TOPIC, lambda r: r.key == account.encode(), expect=7, within=3)
    assert [dict(r.headers)["ce_id"].decode() for r in records] == ids  # each once: none sent by the refusal


async def test_a_broker_is_taken_on_only_while_no_relay_of_the_outbox_is_draining(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("gate")
    sessions = session_factory(engine)
    producer = await kit.producer()
    relay_a = OutboxRelay(sessions, producer, service="test", relay_id="a", kafka=kit.kafka)
    relay_b = OutboxRelay(sessions, producer, service="test", relay_id="b", kafka=kit.kafka)
    await relay_a.check_broker(force=True)
    async with sessions() as session, session.begin():
        await add_event(session, events.account_filed())
    rows = await relay_a._guard.enter(relay_a.claim)  # A is draining, its rows are out
    assert len(rows) == 1

    taking_on = asyncio.create_task(relay_b.check_broker(force=True))
    await asyncio.sleep(1.0)
    assert not taking_on.done() and relay_b.broker is None, "B took a broker on while A had rows out"

    await relay_a.release(rows, "test")
    await relay_a._guard.leave()
    await asyncio.wait_for(taking_on, 10)
    assert relay_b.broker == relay_a.broker
