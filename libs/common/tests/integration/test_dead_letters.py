"""Dead letters over the real broker: poison records and handlers that keep failing go to ``<topic>.dlt``
with their error, and the partition moves on; a crashed consumer loop never skips records it fetched."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import BatchFailure, ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = AccountFiled.topic
DLT = f"{TOPIC}.dlt"
HANDLED_DDL = "CREATE TABLE handled (event_id text NOT NULL, reason text)"


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def _runner(
    kit: PlumbingKit,
    engine: AsyncEngine,
    dlt_producer: AIOKafkaProducer,
    account_id: str,
    calls: Counter[str],
    *,
    max_retries: int = 2,
    handler_timeout: float = 5.0,
) -> ConsumerRunner:
    """A runner handling AccountFiled of ``account_id``: records them; always fails on reason=fail and
    hangs past the handler timeout on reason=hang."""

    async def handle(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None:
        if event.account_id != account_id:
            return  # someone else's event on the shared topic
        calls[event.reason or ""] += 1
        if event.reason == "fail":
            raise RuntimeError("handler always fails for this event")
        if event.reason == "hang":
            await asyncio.sleep(60)
        await session.execute(
            text("INSERT INTO handled (event_id, reason) VALUES (:id, :r)"),
            {"id": ctx.envelope.id, "r": event.reason},
        )

    return ConsumerRunner(
        service="test",
        group_id=f"test-dlt-{uuid.uuid4().hex[:10]}",
        handlers={AccountFiled: handle},
        sessions=session_factory(engine),
        kafka=kit.kafka,
        dlt_producer=dlt_producer,
        max_retries=max_retries,
        retry_backoff=0.01,
        handler_timeout=handler_timeout,
    )


async def _commit_start(kit: PlumbingKit, group_id: str, tp: TopicPartition, offset: int) -> None:
    """Commit ``offset`` on ``tp`` and the end of every other partition of its topic for ``group_id``: a
    runner of that group starts there, past whatever other tests left on the shared topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kit.kafka.bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(tp.topic, p) for p in sorted(consumer.partitions_for_topic(tp.topic) or ())]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.commit({each: offset if each == tp else ends[each] for each in tps})
    finally:
        await consumer.stop()


async def _handled(engine: AsyncEngine) -> list[tuple[str, str | None]]:
    async with engine.connect() as conn:
        return [(r[0], r[1]) for r in await conn.execute(text("SELECT event_id, reason FROM handled"))]


async def test_poison_and_always_failing_records_are_dead_lettered_with_their_error_and_the_consumer_goes_on(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("dlt", HANDLED_DDL)
    producer = await kit.producer()
    account_id = str(uuid.uuid4())
    key = account_id.encode()  # one key: every record below lands in the same partition, in this order
    max_retries = 2

    valid = wrap(events.account_filed(account_id))
    failing = wrap(events.account_filed(account_id, reason="fail"))
    hanging = wrap(events.account_filed(account_id, reason="hang"))
    good = wrap(events.account_filed(account_id, reason="ok"))
    mismatched = wrap(events.account_filed(account_id)).headers()  # headers of a real event ...
    sent = {
        "not-json": await producer.send_and_wait(TOPIC, b"\x00not json{", key=key, headers=valid.headers()),
        "no-ce-headers": await producer.send_and_wait(TOPIC, valid.value(), key=key, headers=[]),
        # ... over data that is not that event
        "bad-data": await producer.send_and_wait(TOPIC, orjson.dumps({"x": 1}), key=key, headers=mismatched),
        "fail": await producer.send_and_wait(TOPIC, failing.value(), key=key, headers=failing.headers()),
        "hang": await producer.send_and_wait(TOPIC, hanging.value(), key=key, headers=hanging.headers()),
        "ok": await producer.send_and_wait(TOPIC, good.value(), key=key, headers=good.headers()),
    }
    partition = sent["ok"].partition
    assert {m.partition for m in sent.values()} == {partition}

    calls: Counter[str] = Counter()
    runner = _runner(kit, engine, producer, account_id, calls, max_retries=max_retries, handler_timeout=0.3)
    task = asyncio.create_task(runner.run())
    try:
        await kit.wait_until(
            lambda: _has_reason(engine, "ok"), within=30, what="the valid record after the bad ones"
        )
        runner.stop_soon()
        await asyncio.wait_for(task, 10)
        assert runner.consumer is not None
        committed = await runner.consumer.committed(TopicPartition(TOPIC, partition))
    finally:
        task.cancel()
        await runner.stop()

    # The consumer carried on past the bad records and committed past the good one.
    assert await _handled(engine) == [(good.id, "ok")]
    assert committed is not None and committed >= sent["ok"].offset + 1
    # The failing event was tried once plus max_retries times, then given up.
    assert calls["fail"] == max_retries + 1
    assert calls["hang"] == max_retries + 1  # each attempt cut off by the handler timeout
    assert calls["ok"] == 1

    dead = await kit.read_topic(DLT, lambda r: r.key == key, expect=5)
    assert len(dead) == 5, [_headers(r).get("dlt_error") for r in dead]
    by_offset = {int(_headers(r)["dlt_original_offset"]): r for r in dead}
    expectations = {
        "not-json": ("0", "not JSON"),
        "no-ce-headers": ("0", "missing CloudEvents headers"),
        "bad-data": ("0", "ValidationError"),
        "fail": (str(max_retries + 1), "handler always fails"),
        "hang": (str(max_retries + 1), "TimeoutError"),
    }
    for name, (attempts, error_part) in expectations.items():
        record = by_offset[sent[name].offset]
        h = _headers(record)
        assert h["dlt_original_topic"] == TOPIC
        assert h["dlt_original_partition"] == str(partition)
        assert h["dlt_attempts"] == attempts, name
        assert h["dlt_consumer_group"] == runner.group_id
        assert error_part in h["dlt_error"], (name, h["dlt_error"])
        assert h["dlt_error_class"]
    # The dead letter keeps the original bytes and headers, so it can be replayed after a fix.
    failed_dead = by_offset[sent["fail"].offset]
    assert failed_dead.value == failing.value()
    assert _headers(failed_dead)["ce_id"] == failing.id

    async with engine.connect() as conn:
        inbox = {r[0] for r in await conn.execute(text("SELECT event_id FROM inbox"))}
    assert (
        good.id in inbox and failing.id not in inbox and hanging.id not in inbox
    )  # the failed attempts rolled back their inbox row


async def _has_reason(engine: AsyncEngine, reason: str) -> bool:
    return any(r == reason for _, r in await _handled(engine))


class _FlakyProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka is untyped: a subclass of Any
    """A producer whose first ``send_and_wait`` fails, like a broker hiccup while dead-lettering."""

    failures_left = 1

    async def send_and_wait(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise KafkaConnectionError("injected: broker unreachable while dead-lettering")
        return await super().send_and_wait(*args, **kwargs)


async def test_a_consumer_loop_that_crashes_mid_batch_handles_the_rest_of_the_batch_when_restarted(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """The service supervisor restarts ``run()`` after a crash; the records fetched after the crashing one
    must be delivered again, not skipped (the fetch position is already past them)."""
    engine = await kit.database("dltcrash", HANDLED_DDL)
    producer = await kit.producer()
    flaky = _FlakyProducer(bootstrap_servers=kit.kafka.bootstrap, acks="all")
    await flaky.start()
    account_id = str(uuid.uuid4())
    key = account_id.encode()
    await producer.send_and_wait(TOPIC, b"poison", key=key, headers=wrap(events.account_filed()).headers())
    goods = [wrap(events.account_filed(account_id, reason=f"ok-{i}")) for i in range(5)]
    for env in goods:
        await producer.send_and_wait(TOPIC, env.value(), key=key, headers=env.headers())

    calls: Counter[str] = Counter()
    runner = _runner(kit, engine, flaky, account_id, calls)
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
            return len(await _handled(engine)) >= len(goods)

        await kit.wait_until(all_handled, within=20, what="the records after the crash")
        runner.stop_soon()
        await asyncio.wait_for(task, 10)
    finally:
        task.cancel()
        await runner.stop()
        await flaky.stop()

    assert crashes == 1
    assert sorted(r or "" for _, r in await _handled(engine)) == [f"ok-{i}" for i in range(5)]
    dead = await kit.read_topic(DLT, lambda r: r.key == key, expect=1, within=5)
    assert [r.value for r in dead] == [b"poison"]  # dead-lettered once, when the broker was back


async def test_a_failing_record_rolls_back_its_batch_and_the_rest_takes_effect_once_in_order(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """One transaction per polled batch: when a handler fails inside it, the whole batch is rolled back and
    handled again one record at a time, so the records around the failure take effect exactly once, in
    order, and the failing one is tried max_retries + 1 times in all (the batch attempt counts)."""
    engine = await kit.database("batch", HANDLED_DDL.replace("reason text", "reason text, n serial"))
    producer = await kit.producer()
    account_id = str(uuid.uuid4())
    key = account_id.encode()
    reasons = [f"ok-{i}" for i in range(12)]
    reasons.insert(5, "fail")
    envelopes = [wrap(events.account_filed(account_id, reason=r)) for r in reasons]
    sent = [  # sent before the consumer starts, so they arrive in one poll
        await producer.send_and_wait(TOPIC, env.value(), key=key, headers=env.headers()) for env in envelopes
    ]

    calls: Counter[str] = Counter()
    runner = _runner(kit, engine, producer, account_id, calls, max_retries=2)
    # The group starts at this test's first record: records other tests left on the shared topic (a
    # poison one breaks a batch before any handler runs) must not be what breaks the batch, or the test
    # would pass without the failing record's batch try.
    await _commit_start(kit, runner.group_id, TopicPartition(TOPIC, sent[0].partition), sent[0].offset)
    batches: list[BatchFailure | None] = []
    original = runner.handle_batch

    async def spy(records: list[Any]) -> BatchFailure | None:
        mine = [r for r in records if r.key == key]
        outcome = await original(records)
        if mine:
            batches.append(outcome)
        return outcome

    runner.handle_batch = spy  # type: ignore[method-assign]  # a spy wraps the real method
    task = asyncio.create_task(runner.run())
    try:
        await kit.wait_until(
            lambda: _has_reason(engine, "ok-11"), within=30, what="the last record after the failing one"
        )
    finally:
        runner.stop_soon()
        task.cancel()
        await runner.stop()

    async with engine.connect() as conn:
        rows = [r[0] for r in await conn.execute(text("SELECT reason FROM handled ORDER BY n"))]
    assert rows == [r for r in reasons if r != "fail"]  # each once, in the order sent
    assert calls["fail"] == 2 + 1
    failed = [b for b in batches if b is not None]
    assert failed, "the failing record never broke a batch"
    assert all(b.culprit is not None and b.culprit.value == envelopes[5].value() for b in failed), failed
    dead = await kit.read_topic(DLT, lambda r: r.key == key, expect=1)
    assert [_headers(r)["ce_id"] for r in dead] == [envelopes[5].id]
    assert _headers(dead[0])["dlt_attempts"] == "3"
