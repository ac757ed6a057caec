"""Reading ahead goes on for as long as the database works on the current batch.

aiokafka asks the broker for a partition's next records only once its buffered ones are taken, so a read
ahead that empties the buffer finds nothing for a moment while the next fetch is on its way. Stopping there
left the next poll to be fetched and read after the transaction, with the database idle meanwhile (the
scoring bench's timeline: some polls read ahead in full, others not at all). The read ahead now waits for
records while the transaction runs, and stops once it is done.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from aiokafka import ConsumerRecord, TopicPartition

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled
from govmedia_common.settings import KafkaSettings

if TYPE_CHECKING:
    from ..conftest import EventFactory

TP = TopicPartition(AccountFiled.topic, 0)


class _SlowFetches:
    """A consumer whose next records reach its buffer only ``delay`` seconds after the first poll."""

    def __init__(self, records: list[ConsumerRecord[bytes, bytes]], delay: float) -> None:
        self.records = records
        self.delay = delay
        self.first_poll: float | None = None

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def getmany(self, *partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> Any:
        now = time.monotonic()
        if self.first_poll is None:
            self.first_poll = now
        if now - self.first_poll < self.delay or not self.records:
            return {}
        taken, self.records = self.records[:max_records], self.records[max_records:]
        return {TP: taken}


async def _one(event: Any, ctx: MessageContext, session: Any) -> None:
    return None


def _runner(consumer: _SlowFetches) -> ConsumerRunner:
    runner = ConsumerRunner(
        service="test", group_id="g", handlers={AccountFiled: _one}, sessions=None,  # type: ignore[arg-type]  # no database: none is reached
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"), dlt_producer=None,
        max_poll_records=100,
    )  # fmt: skip
    runner.consumer = consumer
    return runner


def _records(events: EventFactory, n: int) -> list[ConsumerRecord[bytes, bytes]]:
    out = []
    for offset in range(n):
        env = wrap(events.account_filed())
        value = env.value()
        out.append(
            ConsumerRecord(
                topic=TP.topic,
                partition=TP.partition,
                offset=offset,
                timestamp=0,
                timestamp_type=0,
                key=env.subject.encode(),
                value=value,
                checksum=None,
                serialized_key_size=36,
                serialized_value_size=len(value),
                headers=tuple(env.headers()),
            )
        )
    return out


async def test_records_that_reach_the_buffer_while_the_transaction_runs_are_read_ahead(
    events: EventFactory,
) -> None:
    records = _records(events, 60)
    runner = _runner(_SlowFetches(records, delay=0.1))
    transaction = asyncio.create_task(asyncio.sleep(0.5))  # the database busy with the current batch
    await asyncio.wait_for(runner._fetch_ahead(transaction), 5)
    assert runner._ahead == {TP: records}, "the records fetched meanwhile belong to the next poll"
    assert set(runner._ready) == {id(r) for r in records}, "and are read (parsed, validated) already"
    await transaction


async def test_the_read_ahead_stops_when_the_transaction_is_done_and_nothing_came(
    events: EventFactory,
) -> None:
    runner = _runner(_SlowFetches(_records(events, 5), delay=30))
    transaction = asyncio.create_task(asyncio.sleep(0.1))
    started = time.monotonic()
    await asyncio.wait_for(runner._fetch_ahead(transaction), 5)
    assert time.monotonic() - started < 1.0, "the next batch is not held up waiting for records"
    assert runner._ahead is None


async def test_the_transaction_sends_its_first_statement_before_the_first_piece_is_read(
    events: EventFactory,
) -> None:
    """The database must not wait for a piece of the next poll to be read before it gets any work."""
    consumer = _SlowFetches(_records(events, 10), delay=0)
    started_when_polled: list[bool] = []
    polled = consumer.getmany

    async def getmany(*partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> Any:
        started_when_polled.append(started.is_set())
        return await polled(*partitions, timeout_ms=timeout_ms, max_records=max_records)

    consumer.getmany = getmany  # type: ignore[method-assign]  # a spy wraps the stand-in's method
    started = asyncio.Event()

    async def transaction() -> None:
        started.set()  # what a transaction does first: send BEGIN and its first statement
        await asyncio.sleep(0.05)

    runner = _runner(consumer)
    task = asyncio.create_task(transaction())
    await runner._fetch_ahead(task)  # awaited as handle_batch does (a wait_for would start it as a task)
    await task
    assert started_when_polled[0], "the first piece was read before the transaction could start"


async def test_what_handled_polls_leave_behind_is_freed_while_the_transaction_runs(
    events: EventFactory,
) -> None:
    """A handled poll's objects (records, envelopes, events) are freed in pieces during the next read ahead,
    not between two transactions while the database has nothing to do."""
    runner = _runner(_SlowFetches(_records(events, 600), delay=0))
    runner.max_poll_records = 600
    leftovers = [list(range(1500)), list(range(1500))]
    runner._spent.extend(leftovers)
    sizes: list[int] = []
    consumer = runner.consumer
    assert consumer is not None
    polled = consumer.getmany

    async def getmany(*partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> Any:
        sizes.append(sum(len(x) for x in leftovers))
        return await polled(*partitions, timeout_ms=timeout_ms, max_records=max_records)

    consumer.getmany = getmany
    transaction = asyncio.create_task(asyncio.sleep(0.05))
    await asyncio.wait_for(runner._fetch_ahead(transaction), 5)
    await transaction
    assert sizes[0] == 3000 and 0 < sizes[-1] < 3000, f"freed in pieces between reads: {sizes}"
    assert runner._spent == [], "the rest is let go by the end of the read ahead"
