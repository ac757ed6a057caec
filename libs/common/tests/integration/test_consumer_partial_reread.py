"""A partition read again from its beginning (its log found shorter than the consumer's position, as after a
broker restart that recreated its topic) must not cost the records of the OTHER partitions that the runner
had already fetched and read ahead.

``getmany`` moves each partition's position past what it returned; a poll read ahead and then dropped without
seeking back is never fetched again, and the next commit on those partitions goes past it. In the ledger
fault run this lost an account opening on the monitor's side right after the broker restart (unknown-account
for good). Deterministic: the runner is told to re-read one partition exactly while a poll of the other is
held ahead, as ``_check_logs`` does when it finds a shorter log.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled, PersonRegistered
from govmedia_common.kafka import ensure_topics

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

SUFFIX = uuid.uuid4().hex[:8]
REREAD_TOPIC = f"test.reread.{SUFFIX}"
OTHER_TOPIC = f"test.other.{SUFFIX}"


class _OnRereadTopic(AccountFiled, topic=REREAD_TOPIC):
    """AccountFiled on a topic of this test only (not added to the catalogue)."""


class _OnOtherTopic(PersonRegistered, topic=OTHER_TOPIC):
    """PersonRegistered on another topic of this test only."""


class _RereadWhileAhead(ConsumerRunner):
    """Once a poll holding records of the other topic is read ahead, marks the re-read topic's partition
    for reading from the beginning (what the broker watch does for a log found shorter)."""

    reread_of: TopicPartition | None = None
    ahead_when_marked: int = 0

    async def _fetch_ahead(self, until: asyncio.Future[Any] | None = None) -> None:
        await super()._fetch_ahead(until)
        ahead = self._ahead or {}
        other = [r for tp, records in ahead.items() if tp.topic == OTHER_TOPIC for r in records]
        if self.reread_of is None and other:
            self.reread_of = TopicPartition(REREAD_TOPIC, 0)
            self.ahead_when_marked = len(other)
            self._reread_only = frozenset({self.reread_of})
            self._reread = True


async def test_reading_one_partition_again_keeps_the_records_read_ahead_of_the_others(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("reread", "CREATE TABLE handled (event_id text PRIMARY KEY)")
    await ensure_topics(kit.kafka, [REREAD_TOPIC, OTHER_TOPIC])

    async def handle(event: object, ctx: MessageContext, session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO handled VALUES (:id)"), {"id": ctx.envelope.id})

    async def handled() -> set[str]:
        async with engine.connect() as conn:
            return set((await conn.execute(text("SELECT event_id FROM handled"))).scalars())

    producer = await kit.producer()
    sent: set[str] = set()
    account = str(uuid.uuid4())
    for _ in range(40):  # interleaved, one partition each (one key per topic)
        for topic, event in (
            (REREAD_TOPIC, events.account_filed(account)),
            (OTHER_TOPIC, events.person_registered()),
        ):
            env = wrap(event)
            await producer.send(topic, value=env.value(), key=b"one-key", headers=env.headers())
            sent.add(env.id)
    await producer.flush()

    runner = _RereadWhileAhead(
        service="test", group_id=f"test-reread-{SUFFIX}",
        handlers={_OnRereadTopic: handle, _OnOtherTopic: handle},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=await kit.producer(),
        max_poll_records=6, broker_check_seconds=3600,
    )  # fmt: skip
    task = asyncio.create_task(runner.run())
    try:

        async def all_handled() -> bool:
            return sent <= await handled()

        await kit.wait_until(all_handled, within=30, what="every event of both topics")
        assert runner.ahead_when_marked > 0, "the re-read was never marked while the other topic was ahead"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.stop()
