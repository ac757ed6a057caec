"""A topic deleted and created again under a running consumer (what ``ensure_topics(repair=True)`` does to a
topic a client auto-created on a restarted broker) is read from its beginning.

The broker keeps its cluster id here, so only the partition's log tells: the consumer's position is beyond
the new log's end. Fetching on from there would skip as many new records as it had read of the old log.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled
from govmedia_common.kafka import ensure_topics

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = f"test.recreated.{uuid.uuid4().hex[:8]}"


class _OnTestTopic(AccountFiled, topic=TOPIC):
    """AccountFiled on a topic of this test only (no type keyword: not added to the catalogue)."""


async def test_a_consumer_beyond_the_end_of_a_recreated_topic_reads_it_from_the_beginning(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("recreated", "CREATE TABLE handled (event_id text PRIMARY KEY)")
    await ensure_topics(kit.kafka, [TOPIC])

    async def handle(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO handled VALUES (:id)"), {"id": ctx.envelope.id})

    async def handled() -> set[str]:
        async with engine.connect() as conn:
            return set((await conn.execute(text("SELECT event_id FROM handled"))).scalars())

    producer = await kit.producer()
    account = str(uuid.uuid4())  # one key: one partition

    async def send(n: int) -> set[str]:
        ids = set()
        for _ in range(n):
            env = wrap(events.account_filed(account))
            await (await producer.send(TOPIC, value=env.value(), key=account.encode(), headers=env.headers()))
            ids.add(env.id)
        return ids

    runner = ConsumerRunner(
        service="test", group_id=f"test-recreated-{uuid.uuid4().hex[:8]}", handlers={_OnTestTopic: handle},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=await kit.producer(),
        broker_check_seconds=0.5,
    )  # fmt: skip
    task = asyncio.create_task(runner.run())
    try:
        first = await send(10)

        async def first_handled() -> bool:
            return first <= await handled()

        await kit.wait_until(first_handled, within=30, what="the first 10 events")
        admin = AIOKafkaAdminClient(bootstrap_servers=kit.kafka.bootstrap, client_id="test-recreate")
        await admin.start()
        try:
            await admin.delete_topics([TOPIC])
        finally:
            await admin.close()
        await ensure_topics(kit.kafka, [TOPIC])
        second = await send(5)  # the new log ends at 5, the consumer stands at 10

        async def second_handled() -> bool:
            return second <= await handled()

        await kit.wait_until(second_handled, within=30, what="the 5 events of the recreated topic")
        third = await send(10)

        async def all_handled() -> bool:
            return first | second | third <= await handled()

        await kit.wait_until(all_handled, within=30, what="every event")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.stop()
