"""The consumer reads the next poll while the database runs the current batch's transaction. Over the real
broker and PostgreSQL: with small polls (so nearly every batch has one read ahead), republished duplicates, a
record that always fails, and a crash of the loop while a poll is held ahead, every event takes effect
exactly once and in partition order, and the group's offsets reach the end."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = AccountFiled.topic
DDL = "CREATE TABLE handled (n serial PRIMARY KEY, account_id text NOT NULL, reason text NOT NULL)"


class _CountingRunner(ConsumerRunner):
    """Counts the polls it handled that had been read ahead."""

    polls_read_ahead = 0

    def _take_ahead(self) -> dict[TopicPartition, list[Any]]:
        batches = super()._take_ahead()
        if batches:
            self.polls_read_ahead += 1
        return batches


class _FlakyProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka is untyped: a subclass of Any
    """Its first dead letter fails, like a broker hiccup: the loop crashes and the supervisor restarts it."""

    failures_left = 1

    async def send_and_wait(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise KafkaConnectionError("injected: broker unreachable while dead-lettering")
        return await super().send_and_wait(*args, **kwargs)


async def _handled(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT account_id, reason FROM handled ORDER BY n"))
        return [(r[0], r[1]) for r in rows]


async def test_the_next_poll_is_read_ahead_by_default_and_each_effect_stays_once_and_in_order_through_a_crash(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("readahead", DDL)
    producer = await kit.producer()
    flaky = _FlakyProducer(bootstrap_servers=kit.kafka.bootstrap, acks="all")
    await flaky.start()
    accounts = [str(uuid.uuid4()) for _ in range(4)]
    mine = set(accounts)
    sent: dict[str, list[str]] = {a: [] for a in accounts}
    envelopes = []
    for i in range(60):
        for account in accounts:
            reason = "fail" if (account == accounts[0] and i == 25) else f"ok-{i}"
            envelopes.append(wrap(events.account_filed(account, reason=reason)))
            if reason != "fail":
                sent[account].append(reason)
    # The first 40 again, as a relay republishing after a broker restart would.
    futures = [
        await producer.send(TOPIC, env.value(), key=env.subject.encode(), headers=env.headers())
        for env in [*envelopes, *envelopes[:40]]
    ]
    ends: dict[TopicPartition, int] = {}
    for meta in await asyncio.gather(*futures):
        tp = TopicPartition(meta.topic, meta.partition)
        ends[tp] = max(ends.get(tp, 0), meta.offset + 1)
    calls: Counter[str] = Counter()

    async def handle(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None:
        if event.account_id not in mine:
            return  # another test's event on the shared topic
        calls[event.reason or ""] += 1
        if event.reason == "fail":
            raise RuntimeError("this event is broken")
        await session.execute(
            text("INSERT INTO handled (account_id, reason) VALUES (:a, :r)"),
            {"a": event.account_id, "r": event.reason},
        )

    runner = _CountingRunner(
        service="test", group_id=f"test-ahead-{uuid.uuid4().hex[:8]}", handlers={AccountFiled: handle},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=flaky, max_retries=1,
        retry_backoff=0.01, max_poll_records=15,  # read_ahead left at its default: services run it so
    )  # fmt: skip
    crashes = 0

    async def supervised() -> None:  # what app._supervise does, without its back-off
        nonlocal crashes
        while True:
            try:
                await runner.run()
                return
            except Exception:
                crashes += 1

    task = asyncio.create_task(supervised())
    try:

        async def all_handled() -> bool:
            return len(await _handled(engine)) >= sum(map(len, sent.values()))

        await kit.wait_until(all_handled, within=60, what="every good event handled")
        await asyncio.sleep(1)  # nothing more may arrive
        runner.stop_soon()
        await asyncio.wait_for(task, 10)
        await runner.commit_pending()
        assert runner.consumer is not None
        committed = {tp: await runner.consumer.committed(tp) for tp in ends}
    finally:
        task.cancel()
        await runner.stop()
        await flaky.stop()

    handled = await _handled(engine)
    for account in accounts:  # each once, in the order sent
        assert [r for a, r in handled if a == account] == sent[account], account
    assert crashes == 1  # the dead letter's first send failed
    dead = await kit.read_topic(f"{TOPIC}.dlt", lambda r: r.key == accounts[0].encode(), expect=1)
    # Its batch try counts as its first; then alone until 1 + max_retries tries (more when the crash hit
    # its own dead letter: another test's poison on the shared topic may have taken the failed send).
    assert len(dead) == 1 and calls["fail"] >= 1 + 1
    assert runner.polls_read_ahead > 5, "no poll was read ahead: the pipeline does not run"
    for tp, end in ends.items():  # offsets committed in the background reached the end
        assert (committed[tp] or 0) >= end, (tp, committed[tp], end)
