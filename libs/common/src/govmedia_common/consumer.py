"""Consumer runner: at-least-once delivery, exactly-once effects.

For each record: parse the CloudEvent, open a transaction, insert (source, id) into the inbox — a
duplicate means the effects are already there — run the typed handler on the same session, commit, and
only then commit the Kafka offset. A handler error is retried with backoff a bounded number of times;
a record that still fails, or cannot be parsed at all, goes to ``<topic>.dlt`` with its error in the
headers and the partition moves on. Handlers run under a timeout below ``max_poll_interval_ms`` so a
stuck handler cannot get the member evicted from its group mid-transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common import metrics
from govmedia_common.db import inbox_table
from govmedia_common.envelope import Envelope, EnvelopeError, from_record
from govmedia_common.events.base import Event
from govmedia_common.settings import KafkaSettings
from govmedia_common.tracing import continue_or_start, current_trace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageContext:
    """Where a message came from, handed to handlers beside the typed event."""

    envelope: Envelope
    topic: str
    partition: int
    offset: int


Handler = Callable[[Any, MessageContext, AsyncSession], Awaitable[None]]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Offsets are committed right after each batch's transactions, so nothing is pending here;
        # commit anyway in case a batch was interrupted between the database and the offset commit.
        await self.runner.commit_pending()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"group": self.runner.group_id, "partitions": str(assigned)})


class ConsumerRunner:
    """Runs typed handlers for the event types of one consumer group."""

    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        handlers: Mapping[type[Event], Handler],
        sessions: async_sessionmaker[AsyncSession],
        kafka: KafkaSettings,
        dlt_producer: AIOKafkaProducer,
        max_retries: int = 3,
        retry_backoff: float = 0.2,
        handler_timeout: float = 30.0,
        max_poll_interval_ms: int = 300_000,
        auto_offset_reset: str = "earliest",
        batch_transactions: bool = True,
    ) -> None:
        if handler_timeout * 1000 * (max_retries + 1) >= max_poll_interval_ms:
            raise ValueError("handler_timeout × (retries+1) must stay below max_poll_interval_ms")
        self.service = service
        self.group_id = group_id
        self.handlers: dict[str, tuple[type[Event], Handler]] = {
            cls.event_type: (cls, h) for cls, h in handlers.items()
        }
        self.topics = sorted({cls.topic for cls in handlers})
        self.sessions = sessions
        self.kafka = kafka
        self.dlt_producer = dlt_producer
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.handler_timeout = handler_timeout
        self.max_poll_interval_ms = max_poll_interval_ms
        self.auto_offset_reset = auto_offset_reset
        self.batch_transactions = batch_transactions
        self.consumer: AIOKafkaConsumer | None = None
        self._pending: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.kafka.client_id_prefix}-{self.service}-{self.group_id}",
            enable_auto_commit=False,
            auto_offset_reset=self.auto_offset_reset,
            max_poll_interval_ms=self.max_poll_interval_ms,
            max_poll_records=200,
        )
        await self.consumer.start()
        self.consumer.subscribe(self.topics, listener=_Rebalance(self))

    async def stop(self) -> None:
        self._stopping.set()
        if self.consumer is not None:
            try:
                await self.commit_pending()
            finally:
                await self.consumer.stop()

    async def commit_pending(self) -> None:
        if self.consumer is None or not self._pending:
            return
        offsets, self._pending = self._pending, {}
        assigned = self.consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        if offsets:
            await self.consumer.commit(offsets)

    async def run(self) -> None:
        """Poll, handle, commit until stopped."""
        if self.consumer is None:
            await self.start()
        assert self.consumer is not None
        while not self._stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=500, max_records=200)
            handled: dict[TopicPartition, int] = {}
            try:
                for tp, records in batches.items():
                    failed_at = await self.handle_batch(records) if self.batch_transactions else -1
                    if failed_at is None:
                        self._pending[tp] = handled[tp] = records[-1].offset + 1
                        continue
                    # The batch was rolled back as a whole: handle its records one by one, in order;
                    # the record that broke the batch has used its first attempt.
                    for index, record in enumerate(records):
                        await self.handle_record(record, prior_failures=1 if index == failed_at else 0)
                        self._pending[tp] = handled[tp] = record.offset + 1
            except BaseException:
                self._rewind(batches, handled)
                raise
            await self.commit_pending()
            self._update_lag()

    def _rewind(
        self,
        batches: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        handled: Mapping[TopicPartition, int],
    ) -> None:
        """Seek back to the first record of the batch that was not handled.

        ``getmany`` already moved the fetch position past the whole batch: without this, a ``run()`` restarted
        by the service supervisor after a crash would carry on after the batch and, once it commits a later
        offset, the unhandled rest of the batch would be lost.
        """
        assert self.consumer is not None
        assigned = self.consumer.assignment()
        for tp, records in batches.items():
            if not records or tp not in assigned:
                continue  # a partition revoked meanwhile restarts from its committed offset anyway
            first_unhandled = handled.get(tp, records[0].offset)
            if first_unhandled <= records[-1].offset:
                try:
                    self.consumer.seek(tp, first_unhandled)
                except Exception:  # never hide the error being raised
                    log.exception("could not rewind after a failed batch", extra={"partition": str(tp)})

    def _update_lag(self) -> None:
        assert self.consumer is not None
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = self.consumer._subscription.subscription.assignment.state_value(tp).position
            except Exception:  # private API drift: lag is a nicety, never a failure
                continue
            if position is not None:
                metrics.CONSUMER_LAG.labels(self.service, self.group_id, tp.topic, str(tp.partition)).set(
                    max(0, highwater - position)
                )

    async def handle_batch(self, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """Handle one partition's records in ONE transaction; None on success.

        One commit per poll instead of one per message is what makes a consumer keep up (the database
        transaction dominates). Any failure — a poison record, a handler error, the timeout — rolls the
        whole batch back and returns the index of the record at fault (0 when unknown), so the caller
        handles the batch again one record at a time with retries and dead letters: order is kept and no
        partial effects remain.
        """
        prepared: list[tuple[ConsumerRecord[bytes, bytes], Envelope, Event | None, Handler | None]] = []
        for index, record in enumerate(records):
            try:
                env = from_record(list(record.headers or ()), record.value)
                entry = self.handlers.get(env.type)
                if entry is None:
                    prepared.append((record, env, None, None))
                    continue
                prepared.append((record, env, entry[0].model_validate(env.data), entry[1]))
            except (EnvelopeError, ValueError):
                return index
        if not any(handler is not None for *_, handler in prepared):
            for record, *_ in prepared:
                self.record_outcome(record, "skipped")
            return None
        position = 0
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self.handler_timeout), self.sessions() as session, session.begin():
                outcomes: list[str] = []
                for position, (record, env, event, handler) in enumerate(prepared):  # noqa: B007
                    if handler is None or event is None:
                        outcomes.append("skipped")
                        continue
                    ctx = MessageContext(env, record.topic, record.partition, record.offset)
                    if not await self._record_in_inbox(session, ctx):
                        outcomes.append("duplicate")
                        continue
                    token = current_trace.set(continue_or_start(env.traceparent))
                    try:
                        await handler(event, ctx, session)
                    finally:
                        current_trace.reset(token)
                    outcomes.append("handled")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info(
                "batch transaction failed; handling its records one by one",
                extra={"records": len(records), "at": position, "error": repr(exc)},
            )
            return position
        per_message = (time.perf_counter() - start) / len(prepared)
        for (record, *_), outcome in zip(prepared, outcomes, strict=True):
            self.record_outcome(record, outcome)
            metrics.CONSUMER_DURATION.labels(self.service, self.group_id, record.topic).observe(per_message)
        return None

    async def handle_record(self, record: ConsumerRecord[bytes, bytes], *, prior_failures: int = 0) -> str:
        """Handle one record with retries; returns the outcome label."""
        topic = record.topic
        try:
            env = from_record(list(record.headers or ()), record.value)
        except EnvelopeError as exc:
            await self.dead_letter(record, exc, attempts=0)
            return "dead_lettered"
        entry = self.handlers.get(env.type)
        if entry is None:
            # Another consumer's event on a shared topic, or a newer type we do not know: not ours.
            self.record_outcome(record, "skipped")
            return "skipped"
        cls, handler = entry
        try:
            event = cls.model_validate(env.data)
        except ValueError as exc:
            await self.dead_letter(record, exc, attempts=0)
            return "dead_lettered"
        ctx = MessageContext(env, topic, record.partition, record.offset)
        token = current_trace.set(continue_or_start(env.traceparent))
        try:
            attempt = prior_failures
            if attempt:
                if attempt > self.max_retries:
                    await self.dead_letter(record, RuntimeError("failed in its batch"), attempts=attempt)
                    return "dead_lettered"
                metrics.CONSUMER_RETRIES.labels(self.service, self.group_id, topic).inc()
                await asyncio.sleep(self.retry_backoff * (2 ** (attempt - 1)))
            while True:
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that lands
                    # as the handler completes (CPython gh-86296), and the runner would carry on consuming.
                    with metrics.CONSUMER_DURATION.labels(self.service, self.group_id, topic).time():
                        async with asyncio.timeout(self.handler_timeout):
                            outcome = await self._handle_once(event, ctx, handler)
                    self.record_outcome(record, outcome)
                    return outcome
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    attempt += 1
                    if attempt > self.max_retries:
                        await self.dead_letter(record, exc, attempts=attempt)
                        return "dead_lettered"
                    metrics.CONSUMER_RETRIES.labels(self.service, self.group_id, topic).inc()
                    log.warning(
                        "handler failed, retrying",
                        extra={
                            "event_type": env.type,
                            "event_id": env.id,
                            "attempt": attempt,
                            "error": repr(exc),
                        },
                    )
                    await asyncio.sleep(self.retry_backoff * (2 ** (attempt - 1)))
        finally:
            current_trace.reset(token)

    @staticmethod
    async def _record_in_inbox(session: AsyncSession, ctx: MessageContext) -> bool:
        """Insert (source, id) into the inbox; False when the event was already handled."""
        inserted = await session.execute(
            insert(inbox_table)
            .values(
                source=ctx.envelope.source,
                event_id=ctx.envelope.id,
                type=ctx.envelope.type,
                topic=ctx.topic,
                partition=ctx.partition,
                offset=ctx.offset,
            )
            .on_conflict_do_nothing()
            .returning(inbox_table.c.event_id)
        )
        return inserted.first() is not None

    async def _handle_once(self, event: Event, ctx: MessageContext, handler: Handler) -> str:
        async with self.sessions() as session, session.begin():
            if not await self._record_in_inbox(session, ctx):
                return "duplicate"
            await handler(event, ctx, session)
        return "handled"

    async def dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException, *, attempts: int
    ) -> None:
        """Send the original record to ``<topic>.dlt`` with the error; the partition then moves on."""
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        headers = [
            *(record.headers or ()),
            ("dlt_error", error[:4000].encode()),
            ("dlt_error_class", type(exc).__name__.encode()),
            ("dlt_original_topic", record.topic.encode()),
            ("dlt_original_partition", str(record.partition).encode()),
            ("dlt_original_offset", str(record.offset).encode()),
            ("dlt_consumer_group", self.group_id.encode()),
            ("dlt_attempts", str(attempts).encode()),
        ]
        await self.dlt_producer.send_and_wait(
            f"{record.topic}.dlt", value=record.value, key=record.key, headers=headers
        )
        metrics.CONSUMER_DEAD_LETTERS.labels(self.service, self.group_id, record.topic).inc()
        self.record_outcome(record, "dead_lettered")
        log.error(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error,
            },
        )

    def record_outcome(self, record: ConsumerRecord[bytes, bytes], outcome: str) -> None:
        """Count what became of a record (handled, duplicate, skipped, dead_lettered)."""
        metrics.CONSUMER_MESSAGES.labels(self.service, self.group_id, record.topic, outcome).inc()

    def stop_soon(self) -> None:
        self._stopping.set()
