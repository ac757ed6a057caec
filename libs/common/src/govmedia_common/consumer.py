"""Consumer runner: at-least-once delivery, exactly-once effects, work done in sets.

How a polled batch of one partition is handled
----------------------------------------------
1. Every record is parsed (CloudEvent headers + typed event). A record that cannot be parsed sends the
   batch down the one-by-one path below, where it is dead-lettered.
2. ONE transaction: the inbox rows of the whole batch are inserted in ONE statement
   (``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING``); what comes back is new, the rest
   was handled before (or twice in this poll) and is skipped.
3. The new events are handed to their handlers in partition order. Consecutive events of one partition
   for a :class:`BatchHandler` go to it in ONE call, so its effects can be a few set-based statements; plain
   per-message handlers are called one by one inside the same transaction.
4. Commit; the Kafka offsets are then committed in the background (coalesced) while the next batch is
   handled: a commit lost on the way only means those records come again, and the inbox drops them.
   The next poll is also fetched and read while the database runs the transaction
   (:mod:`govmedia_common.consumer_pipeline`): Python and PostgreSQL then work at the same time instead of
   in turn: with the counters effect of ``bench/bench_bus.py`` 0.35-0.38 of raw aiokafka on the same
   records against 0.22-0.27 without, in the same runs. On by default; ``read_ahead=False`` for a machine
   with no core to spare.

On any error the transaction is rolled back as a whole, then:

* **transient failures** (database unreachable, connection lost, pool exhausted, serialization failure,
  or any failure while the database does not answer a ``SELECT 1``) are retried — the same batch — with
  exponential backoff and jitter, **without limit**; the consumer's partitions are paused meanwhile and
  the member keeps polling so it stays in its group. Nothing is dead-lettered because the database is down;
* **message-caused failures** (a handler raising, a handler exceeding ``handler_timeout`` while the database
  answers, a record that cannot be parsed) send the batch down the **one-by-one path**: each record in its
  own transaction, in order, retried ``max_retries`` times (the failed batch counts as the first try of
  the record that broke it when a per-message handler raised; a batch handler's culprit is not known, so
  there no record is charged), then sent to ``<topic>.dlt`` with its error in the headers; the partition
  moves on.

Handlers: see :mod:`govmedia_common.handlers` (per-message and batch handlers, and how to write them); they
run under ``handler_timeout`` (below ``max_poll_interval_ms``) so a stuck one cannot get the member evicted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common import metrics
from govmedia_common.consumer_batch import BatchParts, InboxCopyRefused
from govmedia_common.consumer_pipeline import MAX_POLL_RECORDS as MAX_POLL_RECORDS
from govmedia_common.consumer_pipeline import PER_MESSAGE_POLL_RECORDS as PER_MESSAGE_POLL_RECORDS
from govmedia_common.consumer_pipeline import ReadAhead, poll_size
from govmedia_common.consumer_read import Item, read_items
from govmedia_common.consumer_read import tune_gc as tune_gc
from govmedia_common.consumer_watch import BrokerWatch
from govmedia_common.envelope import EnvelopeError, from_record
from govmedia_common.events.base import Event
from govmedia_common.handlers import BatchFunction as BatchFunction
from govmedia_common.handlers import BatchHandler as BatchHandler
from govmedia_common.handlers import Handler as Handler
from govmedia_common.handlers import MessageContext as MessageContext
from govmedia_common.handlers import MessageHandler as MessageHandler
from govmedia_common.handlers import batch as batch
from govmedia_common.inbox import INBOX_COPY_FROM
from govmedia_common.kafka import CommitOnRevoke, dead_letter_headers
from govmedia_common.settings import KafkaSettings
from govmedia_common.tracing import span
from govmedia_common.transient import backoff_with_jitter, database_answers
from govmedia_common.transient import is_transient as is_transient

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Record: TypeAlias = ConsumerRecord[bytes, bytes]


class _PartitionLost(Exception):
    """The partition was revoked while waiting out a transient failure: its new owner takes over."""


@dataclass
class BatchFailure:
    """Why a batch transaction was rolled back: the partitions to handle one by one, and who to charge."""

    partitions: set[TopicPartition]
    culprit: Record | None = None  # the record whose per-message handler raised; None when not known


def _partitions(records: Sequence[Record]) -> set[TopicPartition]:
    pairs = {(r.topic, r.partition) for r in records}
    return {TopicPartition(topic, partition) for topic, partition in pairs}


class ConsumerRunner(ReadAhead, BrokerWatch, BatchParts):
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
        max_backoff: float = 10.0,
        handler_timeout: float = 30.0,
        max_poll_interval_ms: int = 300_000,
        auto_offset_reset: str = "earliest",
        batch_transactions: bool = True,
        max_poll_records: int | None = None,  # None: by the handlers (consumer_pipeline.poll_size)
        broker_check_seconds: float = 2.0,
        freeze_startup_objects: bool = False,
        read_ahead: bool = True,
    ) -> None:
        if handler_timeout * 1000 * (max_retries + 1) >= max_poll_interval_ms:
            raise ValueError("handler_timeout × (retries+1) must stay below max_poll_interval_ms")
        self.service = service
        self.group_id = group_id
        self.handlers: dict[str, tuple[type[Event], Handler]] = {
            cls.event_type: (cls, h) for cls, h in handlers.items()
        }
        self.topics = sorted({cls.topic for cls in handlers})
        # Event types whose batch handler applies them idempotently by their own keys: no inbox row.
        self.no_inbox: frozenset[str] = frozenset(
            cls.event_type
            for cls, h in handlers.items()
            if isinstance(h, BatchHandler) and cls in h.idempotent
        )
        self.sessions = sessions
        self.kafka = kafka
        self.dlt_producer = dlt_producer
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.handler_timeout = handler_timeout
        self.max_poll_interval_ms = max_poll_interval_ms
        self.auto_offset_reset = auto_offset_reset
        self.batch_transactions = batch_transactions
        self.max_poll_records = max_poll_records or poll_size(handlers.values())
        self.consumer: AIOKafkaConsumer | None = None
        self._pending: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        # Per partition, the offset after the last record whose transaction committed (effects written):
        # how a caller knows that events without an inbox row (BatchHandler.idempotent) were handled.
        self.applied: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self._last_lag = 0.0
        self.broker_check_seconds = broker_check_seconds
        self.freeze_startup_objects = freeze_startup_objects
        self._broker: str | None = None
        self._last_broker_check = -1e9
        self._reread = False
        self._duration_children: dict[str, Any] = {}
        self._outcome_children: dict[tuple[str, str], Any] = {}
        # The next poll, fetched and read while the current batch's transaction runs (see _fetch_ahead).
        self.read_ahead = read_ahead
        self._ahead: dict[TopicPartition, list[Record]] | None = None
        self._ready: dict[int, Item] = {}
        self._in_hand: dict[int, Item] = {}  # the items of the poll being handled, read while fetched ahead
        self._committing: asyncio.Task[None] | None = None
        self._spent: list[list[Any]] = []  # see ReadAhead._drop_spent
        # Large batches offer their inbox rows by COPY until one is refused (a redelivery), then by the
        # statement that names the new rows until a batch comes back all new (see _transaction).
        self.inbox_by_copy = True

    async def start(self) -> None:
        if self.freeze_startup_objects:  # services do it at startup (app.py); a runner on its own may ask
            tune_gc()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.kafka.client_id_prefix}-{self.service}-{self.group_id}",
            enable_auto_commit=False,
            auto_offset_reset=self.auto_offset_reset,
            session_timeout_ms=self.kafka.consumer_session_timeout_ms,
            heartbeat_interval_ms=self.kafka.consumer_heartbeat_interval_ms,
            max_poll_interval_ms=self.max_poll_interval_ms,
            max_poll_records=self.max_poll_records,
        )
        await self.consumer.start()
        self.consumer.subscribe(self.topics, listener=CommitOnRevoke(self._on_revoke, self.group_id))

    async def stop(self) -> None:
        self._stopping.set()
        if self.consumer is not None:
            try:
                await self.commit_pending()
            finally:
                await self.consumer.stop()

    async def run(self) -> None:
        """Poll, handle, commit until stopped."""
        if self.consumer is None:
            await self.start()
        assert self.consumer is not None
        watch = asyncio.create_task(self._watch())  # lag and broker checks off the handling path
        try:
            while not self._stopping.is_set():
                batches = self._take_ahead() or await self.consumer.getmany(
                    timeout_ms=500, max_records=self.max_poll_records
                )
                handled: dict[TopicPartition, int] = {}
                try:
                    await self._handle_poll(batches, handled)
                except _PartitionLost:
                    log.info("partitions revoked during a retry; their new owner handles them")
                    self._rewind(batches, handled)
                except BaseException:
                    self._rewind(batches, handled)
                    raise
                self._commit_soon()
                if self.read_ahead and len(self._spent) < 64:  # handled: freed while the next one runs
                    self._spent[:0] = batches.values()  # after the items (which hold the records)
                else:
                    self._spent.clear()
                if self._reread:
                    # The poll read ahead goes back to the broker: the partitions read again are then sought
                    # to their beginning, the others fetch it again (getmany already moved past it, and
                    # dropping it lost those records for good when only some partitions were re-read).
                    self._give_back_ahead()
                    await self._settle_commits()
                    await self._read_from_beginning()
        finally:
            watch.cancel()
            self._give_back_ahead()
            self._spent.clear()
            await self._settle_commits()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.broker_check_seconds))
            try:
                await self._update_lag()
                await self._check_broker()
            except asyncio.CancelledError:
                raise
            except Exception:  # a nicety must never stop the consumer
                log.debug("lag or broker check failed", exc_info=True)

    async def _handle_poll(
        self, batches: Mapping[TopicPartition, list[Record]], handled: dict[TopicPartition, int]
    ) -> None:
        """All partitions of a poll in ONE transaction; on failure, each partition on its own."""
        batches = {tp: records for tp, records in batches.items() if records}
        if not batches:
            return
        if not self.batch_transactions:
            for tp, records in batches.items():
                await self._one_by_one(tp, records, None, handled)
            return
        failure = await self.handle_batch([r for records in batches.values() for r in records])
        for tp, records in batches.items():
            if failure is None:
                self._pending[tp] = handled[tp] = self.applied[tp] = records[-1].offset + 1
            elif tp in failure.partitions:
                await self._one_by_one(tp, records, failure.culprit, handled)
            elif len(batches) > 1:
                await self._handle_partition(tp, records, handled)
            else:
                await self._one_by_one(tp, records, None, handled)

    async def _handle_partition(
        self, tp: TopicPartition, records: list[Record], handled: dict[TopicPartition, int]
    ) -> None:
        failure = await self.handle_batch(records)
        if failure is None:
            self._pending[tp] = handled[tp] = self.applied[tp] = records[-1].offset + 1
        else:
            await self._one_by_one(tp, records, failure.culprit, handled)

    async def _one_by_one(
        self,
        tp: TopicPartition,
        records: list[Record],
        culprit: Record | None,
        handled: dict[TopicPartition, int],
    ) -> None:
        """The batch was rolled back as a whole: its records one by one, in order; the record that broke the
        batch (when known) has used its first attempt."""
        for record in records:
            await self.handle_record(record, prior_failures=1 if record is culprit else 0)
            self._pending[tp] = handled[tp] = self.applied[tp] = record.offset + 1

    def _rewind(
        self, batches: Mapping[TopicPartition, list[Record]], handled: Mapping[TopicPartition, int]
    ) -> None:
        """Seek back to the first record of the batch that was not handled.

        ``getmany`` already moved the fetch position past the whole batch: without this, a ``run()`` restarted
        by the service supervisor after a crash would carry on after the batch and, once it commits a later
        offset, the unhandled rest of the batch would be lost.
        """
        assert self.consumer is not None
        self._give_back_ahead()  # first: the seeks below (to earlier offsets) must win
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

    # ---- transient failures -------------------------------------------------------------------------

    async def _is_transient(self, exc: BaseException) -> bool:
        return is_transient(exc) or not await database_answers(self.sessions)

    def _backoff(self, attempt: int) -> float:
        return backoff_with_jitter(attempt, self.retry_backoff, self.max_backoff)

    async def _wait_paused(self, tps: set[TopicPartition] | None, seconds: float) -> None:
        """Sleep with every assigned partition paused, polling so the member stays in its group."""
        consumer = self.consumer
        if consumer is None or not tps:
            await asyncio.sleep(seconds)
            return
        paused = list(consumer.assignment())
        consumer.pause(*paused)
        try:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                await asyncio.sleep(min(1.0, left))
                await consumer.getmany(timeout_ms=0)  # paused: returns nothing, keeps the poll interval
                await self._update_lag()
                if not tps <= consumer.assignment():
                    raise _PartitionLost(str(tps - consumer.assignment()))
        finally:
            consumer.resume(*(p for p in paused if p in consumer.assignment()))

    async def _transient_pause(
        self, tps: set[TopicPartition] | None, attempt: int, exc: BaseException, what: str
    ) -> None:
        delay = self._backoff(attempt)
        for topic in {tp.topic for tp in tps or ()}:
            metrics.CONSUMER_RETRIES.labels(self.service, self.group_id, topic).inc()
        log.warning(
            "transient failure; partitions paused, retrying",
            extra={"what": what, "attempt": attempt + 1, "backoff_s": round(delay, 2), "error": repr(exc)},
        )
        await self._wait_paused(tps, delay)

    # ---- the batch path -----------------------------------------------------------------------------

    async def handle_batch(self, records: list[Record]) -> BatchFailure | None:
        """Handle records (of one or several partitions) in ONE transaction with set-based inbox dedupe.

        Returns None on success. A transient failure retries the whole batch (backoff, partitions paused,
        no limit). Any other failure rolls the batch back and says which partitions to handle one record
        at a time (with retries and dead letters) and which record to charge with the failed try.
        While the first try's transaction runs, the next poll is fetched and read (see _fetch_ahead).
        """
        prepared = read_items(records, self.handlers, self._in_hand)
        if not isinstance(prepared, list):
            return BatchFailure({TopicPartition(prepared.topic, prepared.partition)})
        mine = [item for item in prepared if item.handler is not None]
        if not mine:
            self._count_outcomes(prepared, set())
            return None
        attempt = 0
        while True:
            failing: list[list[Item]] = [[]]
            start = time.perf_counter()
            try:
                if attempt == 0 and self._ahead is None and self.read_ahead and self.consumer is not None:
                    transaction = asyncio.create_task(self._transaction(mine, failing))
                    try:
                        await self._fetch_ahead(transaction)
                    except BaseException:  # cancelled while reading ahead: the transaction goes too
                        transaction.cancel()
                        await asyncio.wait([transaction])
                        raise
                    new = await transaction
                else:
                    self._spent.clear()
                    new = await self._transaction(mine, failing)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                tps = _partitions(records)  # only on failure: a set of 2,000 tuples costs ~0.3 µs/record
                if await self._is_transient(exc):
                    await self._transient_pause(tps, attempt, exc, "batch")
                    attempt += 1
                    continue
                # A per-message handler's failing record is known: its batch try counts as its first. In a
                # batch handler's run the culprit is unknown, so no record is charged.
                culprits = failing[0]
                failure = BatchFailure(
                    {TopicPartition(i.record.topic, i.record.partition) for i in culprits} or tps,
                    culprits[0].record if len(culprits) == 1 else None,
                )
                log.info(
                    "batch transaction failed; handling its records one by one",
                    extra={
                        "records": len(records),
                        "partitions": len(failure.partitions),
                        "error": repr(exc),
                    },
                )
                return failure
            break
        self._count_outcomes(prepared, new, (time.perf_counter() - start) / len(prepared))
        self._spent.append(prepared)  # freed while the next transaction runs
        return None

    async def _transaction(self, mine: list[Item], failing: list[list[Item]]) -> set[int]:
        """One try: inbox rows, then the handlers' effects, in one transaction; ``id()`` of the new items.
        ``failing[0]`` is left naming the run whose handler was running when it raised.

        A large batch offers its inbox rows by COPY (see :mod:`govmedia_common.inbox`) while batches come
        all new; a COPY refused because some event was handled before costs one rolled-back transaction,
        and the batch is claimed again by the statement that names the new rows. Until a batch comes back
        all new, the statement is used from the start (a redelivery usually spans several polls)."""
        by_copy = self.inbox_by_copy and len(mine) >= INBOX_COPY_FROM
        try:
            return await self._try_transaction(mine, failing, by_copy)
        except InboxCopyRefused:
            self.inbox_by_copy = False
            log.info("inbox copy refused (events handled before); claiming them one statement instead")
        return await self._try_transaction(mine, failing, False)

    async def _try_transaction(self, mine: list[Item], failing: list[list[Item]], by_copy: bool) -> set[int]:
        async with asyncio.timeout(self.handler_timeout), self.sessions() as session, session.begin():
            new, all_new = await self._claim_inbox(session, mine, self.no_inbox, by_copy=by_copy)
            fresh = mine if all_new else [item for item in mine if id(item) in new]
            for run in self._runs(fresh):
                failing[0] = run
                await self._apply(session, run)
        if all_new and len(mine) >= INBOX_COPY_FROM:
            self.inbox_by_copy = True
        return new

    async def _apply(self, session: AsyncSession, run: list[Item]) -> None:
        handler = run[0].handler
        first = run[0]
        attributes: dict[str, str | int | bool] = {
            "govmedia.service": self.service,
            "messaging.system": "kafka",
            "messaging.destination.name": first.ctx.topic,
            "messaging.batch.message_count": len(run),
        }
        with span(
            f"process {first.env.type}", first.env.traceparent, kind=SpanKind.CONSUMER, attributes=attributes
        ):
            if isinstance(handler, BatchHandler):
                await handler(session, [(item.event, item.ctx) for item in run])
            elif handler is not None:
                for item in run:
                    await handler(item.event, item.ctx, session)

    # ---- the one-by-one path ------------------------------------------------------------------------

    async def handle_record(self, record: Record, *, prior_failures: int = 0) -> str:
        """Handle one record in its own transaction, with retries; returns the outcome label."""
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
        item = Item(record, env, event, handler)
        tps = {TopicPartition(topic, record.partition)} if self.consumer is not None else None
        attempt = prior_failures
        transient = 0
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
                        outcome = await self._handle_once(item)
                self.record_outcome(record, outcome)
                return outcome
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if await self._is_transient(exc):
                    await self._transient_pause(tps, transient, exc, "record")
                    transient += 1
                    continue
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

    async def _handle_once(self, item: Item) -> str:
        async with self.sessions() as session, session.begin():
            if not (await self._claim_inbox(session, [item], self.no_inbox))[0]:
                return "duplicate"
            await self._apply(session, [item])
        return "handled"

    async def dead_letter(self, record: Record, exc: BaseException, *, attempts: int) -> None:
        """Send the original record to ``<topic>.dlt`` with the error; the partition then moves on."""
        error, headers = dead_letter_headers(record, exc, attempts=attempts, group=self.group_id)
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

    def stop_soon(self) -> None:
        self._stopping.set()
