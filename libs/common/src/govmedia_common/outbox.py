"""Transactional outbox: events are rows written in the caller's transaction; a relay publishes them.

No dual writes: a state change and the event announcing it commit together. The relay claims rows under a
lease (two statements under a lock), publishes with ``acks=all``, then marks them published (one statement).
The lease is one row per relay in ``outbox_leases`` (the seqs it holds, until when), so a claim rewrites no
outbox row: the mark is the only write of a row on its way out. A relay that dies mid-way leaves its lease
to expire, and another relay (or itself, restarted) republishes: delivery is at-least-once and consumers
dedupe by event id. A full batch is followed by the next claim at once; the relay only sleeps when there was
nothing to do.

Order per aggregate: claims are serialised by a transaction-level advisory lock, so each claim's snapshot
holds every lease committed before it; a claim never takes rows of an aggregate of which another live lease
holds an unpublished row, so one aggregate's events are published by one relay at a time, in ``seq`` order,
even with several replicas. While a relay claims ahead (pipelining), its lease keeps the rows it still has
in flight. A released row leaves the lease and is claimable at once.

A bulk statement may write its events several to a row (``records``, ``keys``; ``outbox_claims``): the relay
sends each as its own record and treats the row as a whole, holding back the later rows of each of its keys
as it holds back an aggregate's.

Unpublishable events never block the queue. :func:`add_event` refuses an event larger than
``GOVMEDIA_OUTBOX_MAX_EVENT_BYTES`` (a 413 ``DomainError``: nothing is written). A row the broker still
refuses for good (too large for its limits, invalid) is **set aside**: ``dead_at`` and ``last_error`` are
set, ``govmedia_outbox_dead_total`` counts it and an error is logged; the later rows of that one aggregate
wait behind it (their order is the point), every other aggregate flows on. An operator who fixed the cause
releases it with ``UPDATE outbox SET dead_at = NULL WHERE seq = …``.

The outbox outlives the broker. Each row records the cluster id of the broker it was published to
(``published_to``). The relay asks the broker for its cluster id every ``broker_check_seconds``; a new id
means a new, empty broker (the embedded broker keeps its log in memory and gets a fresh id at each start):
the relay waits until the topics exist again, then republishes every row still in the table — the rows of
the last ``retention_days`` — in ``seq`` order. Consumers' inboxes drop what they had already handled.
On the new broker each aggregate's events first arrive in ``seq`` order, on every topic: rows are marked
published only when the broker answered with the same cluster id right before and after their batch; the
relays of an outbox drain under a shared gate and take a new broker on under the exclusive one; a topic
that may hold rows the producer retried into the new broker is recreated first (``outbox_broker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common import metrics
from govmedia_common.db import outbox_table
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events.base import Event
from govmedia_common.kafka import (
    REFUSED_FOR_GOOD,
    KeyPartitions,
    cluster_id,
    ensure_topics,
    topic_partitions,
)
from govmedia_common.outbox_broker import BrokerGuard
from govmedia_common.outbox_claims import ROW_HEADERS as ROW_HEADERS  # re-exported: the writers' names
from govmedia_common.outbox_claims import (
    ClaimedRow,
    Held,
    PublishOutcome,
    claim_rows,
    seqs_of,
    whole_rows,
)
from govmedia_common.outbox_claims import record_headers as record_headers
from govmedia_common.outbox_claims import row_headers as row_headers
from govmedia_common.outbox_claims import takeable as takeable
from govmedia_common.settings import KafkaSettings
from govmedia_common.tracing import current_traceparent

log = logging.getLogger(__name__)

# Below the producer's default max_request_size (1 MiB) with room for the record batch overhead.
DEFAULT_MAX_EVENT_BYTES = 900_000


def max_event_bytes() -> int:
    """The largest event (value + headers, bytes) the outbox accepts: ``GOVMEDIA_OUTBOX_MAX_EVENT_BYTES``."""
    return int(os.environ.get("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES))


class EventTooLarge(DomainError):
    """The event announcing this change would exceed what the broker accepts: the change is refused."""

    kind = ErrorKind.PAYLOAD_TOO_LARGE
    code = "event-too-large"


def event_size(env: Envelope) -> int:
    """Bytes of the Kafka record's value and headers."""
    return len(env.value()) + sum(len(k) + len(v) for k, v in env.headers())


async def add_event(
    session: AsyncSession, event: Event, *, event_id: str | None = None, max_bytes: int | None = None
) -> Envelope:
    """Write an event to the outbox in the caller's transaction (never commits).

    Raises :class:`EventTooLarge` (413) when the record would exceed ``max_bytes`` (default
    :func:`max_event_bytes`): such an event could never be published, so the change is refused instead.
    """
    env = wrap(event, traceparent=current_traceparent(), event_id=event_id)
    limit = max_bytes if max_bytes is not None else max_event_bytes()
    size = event_size(env)
    if size > limit:
        raise EventTooLarge(
            f"The {event.event_type} event of this change would be {size:,} bytes, more than the "
            f"{limit:,} the event bus accepts; shorten the longest text fields.",
            event_type=env.type,
            size=size,
            limit=limit,
        )
    await session.execute(outbox_table.insert().values(**outbox_row(event, env)))
    return env


def outbox_row(event: Event, env: Envelope) -> dict[str, Any]:
    """The outbox row of ``event`` wrapped in ``env`` (the columns of ``outbox_table`` a writer fills)."""
    return {
        "id": env.id,
        "aggregatetype": event.aggregate_type,
        "aggregateid": env.subject,
        "type": env.type,
        "topic": event.topic,
        "payload": env.data,
        "headers": {k: v.decode() for k, v in env.headers()},
    }


# The only rewrite of an outbox row on its way out.
_MARK_SQL = text(
    "UPDATE outbox SET published_at = now(), published_to = :broker, last_error = NULL, "
    "attempts = attempts + 1 WHERE seq = ANY(:seqs) AND published_at IS NULL"
)

# Out of the relay's lease, so claimable again at once by any relay (the failing relay backs off in ``run``),
# with the error on the rows.
_RELEASE_SQL = text(
    """
    WITH lease AS (
        UPDATE outbox_leases SET seqs = ARRAY(SELECT h FROM unnest(seqs) AS h WHERE h <> ALL(:seqs))
        WHERE relay_id = :me
    )
    UPDATE outbox SET last_error = :err WHERE seq = ANY(:seqs) AND published_at IS NULL
    """
)

_SET_ASIDE_SQL = text(
    "UPDATE outbox SET dead_at = now(), last_error = :err WHERE seq = :seq AND published_at IS NULL"
)


class OutboxRelay:
    """Publishes committed outbox rows to Kafka; safe to run as several replicas."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        service: str,
        batch_size: int = 2000,
        lease_seconds: float = 30.0,
        idle_sleep: float = 0.2,
        relay_id: str | None = None,
        retention_days: int = 7,
        purge_every_seconds: float = 3600.0,
        kafka: KafkaSettings | None = None,
        broker_check_seconds: float = 1.0,
        topic_wait_seconds: float = 30.0,
        gauges_every_seconds: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.idle_sleep = idle_sleep
        self.retention_days = retention_days
        self.purge_every_seconds = purge_every_seconds
        self.kafka = kafka
        self.broker_check_seconds = broker_check_seconds
        self.topic_wait_seconds = topic_wait_seconds
        self.gauges_every_seconds = gauges_every_seconds
        self.relay_id = relay_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.broker: str | None = None  # cluster id of the broker the relay publishes to
        self._broker_checked = -1e9
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._partition = KeyPartitions(producer)
        self._guard = BrokerGuard(self)  # the cluster-id checks and the gate (outbox_broker)

    def wake(self) -> None:
        """Ask the relay to look for rows now instead of after its idle sleep."""
        self._wake.set()

    # ---- the broker ---------------------------------------------------------------------------------

    async def check_broker(self, *, force: bool = False) -> bool:
        """Ask the broker for its cluster id; a new one is taken on (``BrokerGuard.take_on``). True if new."""
        loop = asyncio.get_running_loop()
        if not force and loop.time() - self._broker_checked < self.broker_check_seconds:
            return False
        current = await cluster_id(self.producer.client)
        self._broker_checked = loop.time()
        if current is None or current == self.broker:
            return False
        return await self._guard.take_on()

    async def _wait_for_topics(self, broker: str) -> None:
        """Until the topics of the rows to (re)publish exist with their configured partitions.

        The platform recreates the topics of a new embedded broker; publishing before that would let the
        broker auto-create them with its own partition count. After ``topic_wait_seconds`` without a
        platform doing it (services run by hand), the missing topics are created here.
        """
        if self.kafka is None:
            return
        async with self.sessions() as session:
            topics = set(
                (
                    await session.execute(
                        text(
                            "SELECT DISTINCT topic FROM outbox WHERE published_at IS NULL "
                            "OR published_to IS DISTINCT FROM :b"
                        ),
                        {"b": broker},
                    )
                ).scalars()
            )
        if not topics:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.topic_wait_seconds
        while loop.time() < deadline and not self._stopping.is_set():
            with contextlib.suppress(Exception):
                counts = await topic_partitions(self.kafka, topics)
                if all(counts.get(t, 0) >= self.kafka.topic_partitions for t in topics):
                    return
            await asyncio.sleep(0.5)
        await ensure_topics(self.kafka, topics)

    # ---- one batch ----------------------------------------------------------------------------------

    async def claim(self, *, in_flight: Sequence[int] = ()) -> list[ClaimedRow]:
        """Claim a batch of unpublished rows under a lease (:func:`govmedia_common.outbox_claims.claim_rows`).

        ``in_flight``: rows of this relay still being published, not to be claimed again.
        """
        async with self.sessions() as session, session.begin():
            return await claim_rows(
                session,
                relay_id=self.relay_id,
                records=self.batch_size,
                lease_seconds=self.lease_seconds,
                in_flight=in_flight,
            )

    async def publish(self, rows: list[ClaimedRow]) -> PublishOutcome:
        """Send rows in seq order and wait for every acknowledgement.

        A row refused for good is set aside and the later rows of its aggregate are held back (not sent);
        any other failure sends the whole batch back to be retried.
        """
        return await self._acknowledged(*await self._send(rows))

    async def _send(self, rows: list[ClaimedRow]) -> tuple[list[tuple[ClaimedRow, Any]], PublishOutcome]:
        """Hand rows to the producer in seq order (it batches them); the broker's answers come later."""
        outcome = PublishOutcome([], [], [])
        held = Held()  # rows, keys and aggregates held back behind a refusal
        sent = []
        send = self.producer.send
        for row in rows:
            if held.behind(row):
                outcome.retry.append(row)
                held.add(row)
                continue
            headers = [(k, v.encode()) for k, v in row.headers.items()]
            key = row.key.encode()
            try:
                future = await send(
                    row.topic,
                    value=row.payload.encode(),
                    key=key,
                    headers=headers,
                    partition=self._partition(row.topic, key),
                )
            except REFUSED_FOR_GOOD as exc:  # checked by the producer before sending (e.g. its size limit)
                outcome.set_aside.append((row, exc))
                held.add(row)
                continue
            sent.append((row, future))
        return sent, outcome

    @staticmethod
    async def _acknowledged(sent: list[tuple[ClaimedRow, Any]], outcome: PublishOutcome) -> PublishOutcome:
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        # A record refused when the broker answers (not by the producer before sending, see _send) holds
        # back the later records of its row, key and aggregate, as _send does: they were sent already (a
        # consumer may see them first), but are not marked, so they go again after it once it is released.
        held = Held()
        for (row, _), result in zip(sent, results, strict=True):
            if isinstance(result, REFUSED_FOR_GOOD):
                outcome.set_aside.append((row, result))
                held.add(row)
            elif isinstance(result, BaseException):
                outcome.error = result
                outcome.retry.append(row)
            elif held.behind(row):
                outcome.retry.append(row)
                held.add(row)
            else:
                outcome.published.append(row)
        if outcome.error is not None:  # keep it simple and in order: the whole batch goes again
            outcome.retry.extend(outcome.published)
            outcome.published = []
        return whole_rows(outcome)

    async def mark(self, rows: list[ClaimedRow], broker: str | None = None) -> None:
        """Mark rows published to ``broker`` (one statement)."""
        if not rows:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(_MARK_SQL, {"seqs": seqs_of(rows), "broker": broker or self.broker})
        for topic, count in Counter(row.topic for row in rows).items():
            metrics.OUTBOX_PUBLISHED.labels(self.service, topic).inc(count)

    async def release(self, rows: list[ClaimedRow], error: str) -> None:
        """Give rows back so that they are retried (by any relay)."""
        if not rows:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                _RELEASE_SQL, {"seqs": seqs_of(rows), "err": error[:2000], "me": self.relay_id}
            )

    async def set_aside(self, rows: list[tuple[ClaimedRow, BaseException]]) -> None:
        """Put rows the broker refuses for good out of the queue, with their error."""
        if not rows:
            return
        first: dict[int, tuple[ClaimedRow, BaseException]] = {}
        for row, exc in rows:  # a row of several records is set aside once, with its first refusal
            first.setdefault(row.seq, (row, exc))
        rows = list(first.values())
        async with self.sessions() as session, session.begin():
            for row, exc in rows:
                await session.execute(_SET_ASIDE_SQL, {"seq": row.seq, "err": repr(exc)[:2000]})
        for row, exc in rows:
            metrics.OUTBOX_DEAD.labels(self.service, row.topic).inc()
            log.error(
                "outbox row set aside: the broker refuses it; later events of its aggregate wait",
                extra={
                    "seq": row.seq,
                    "event_id": row.id,
                    "topic": row.topic,
                    "aggregate": row.aggregateid,
                    "error": repr(exc),
                },
            )

    async def run_once(self) -> int:
        """Claim, publish and mark one batch (a drain without a claim ahead); returns rows published."""
        return await self.drain(max_seconds=0)

    async def drain(self, *, max_seconds: float = 5.0) -> int:
        """Publish batch after batch until nothing is claimable (or ``max_seconds``); returns rows published.

        Pipelined: the next claim runs while the current batch is sent and acknowledged, and a batch is
        marked while the next one is being sent. A batch is sent only after the previous one was
        acknowledged, so one aggregate's rows never overtake each other; after any failure or a row set
        aside, the rows claimed ahead are given back unsent.
        """
        loop = asyncio.get_running_loop()
        until = loop.time() + max_seconds
        total = 0
        marking: asyncio.Task[None] | None = None
        # Rows sent and acknowledged whose mark has not committed yet: still "unpublished" and claimed by this
        # relay in the table, so a claim ahead must skip them as well as the rows in flight.
        marking_rows: list[ClaimedRow] = []
        await self.check_broker()
        rows = await self._guard.enter(self.claim)  # the claims, sends and marks of a drain hold the gate
        try:
            while rows:
                broker = self.broker  # known before sending: a row is never labelled with a newer broker
                more = loop.time() < until and not self._stopping.is_set()
                skip = seqs_of([*rows, *marking_rows])
                # The database works on the next claim (and the last mark) while this batch is sent.
                ahead = asyncio.create_task(self.claim(in_flight=skip)) if more else None
                outcome = PublishOutcome([], [], [])
                try:
                    sent, outcome = await self._guard.send(rows)  # a look at the cluster id before
                    outcome = await self._guard.acknowledged(sent, outcome)  # and after
                except BaseException:
                    outcome.error = outcome.error or RuntimeError("interrupted while publishing")
                    raise
                finally:
                    claimed_ahead = await _result_or_empty(ahead)
                    if marking is not None:
                        await marking
                        marking, marking_rows = None, []
                    if outcome.error is not None or outcome.set_aside or outcome.retry:
                        await asyncio.shield(self._settle(outcome, rows, claimed_ahead))
                if outcome.error is not None:
                    self._raise(outcome, rows)
                if outcome.set_aside or outcome.retry:
                    return total + len(outcome.published)
                marking = asyncio.create_task(self.mark(outcome.published, broker))
                marking_rows = list(outcome.published)
                total += len(outcome.published)
                rows = claimed_ahead
        finally:
            try:
                if marking is not None:
                    await asyncio.shield(marking)
            finally:
                await self._guard.leave()
        return total

    async def _settle(
        self, outcome: PublishOutcome, rows: list[ClaimedRow], claimed_ahead: list[ClaimedRow]
    ) -> None:
        """After a failure or a row set aside: mark what went out, set aside, give everything else back."""
        await self.set_aside(outcome.set_aside)
        if outcome.error is None:
            await self.mark(outcome.published, self.broker)
        else:
            dead = {row.seq for row, _ in outcome.set_aside}
            outcome.retry = [r for r in rows if r.seq not in dead]
        error = repr(outcome.error) if outcome.error else "held behind a row set aside"
        await self.release([*outcome.retry, *claimed_ahead], error)

    def _raise(self, outcome: PublishOutcome, rows: list[ClaimedRow]) -> None:
        metrics.OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
        log.warning(
            "outbox publish failed, will retry", extra={"rows": len(rows), "error": repr(outcome.error)}
        )
        self._broker_checked = -1e9  # a broker that went away may come back as a new one
        assert outcome.error is not None
        raise outcome.error

    async def update_gauges(self) -> tuple[int, float]:
        """Refresh backlog, oldest-age and set-aside gauges from the table itself; returns backlog and age."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT COALESCE(sum(COALESCE(records, 1)), 0), min(created_at), "
                        "count(*) FILTER (WHERE dead_at IS NOT NULL) "
                        "FROM outbox WHERE published_at IS NULL"
                    )
                )
            ).one()
        backlog = int(row[0])
        age = (datetime.now(UTC) - row[1]).total_seconds() if row[1] else 0.0
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        metrics.OUTBOX_SET_ASIDE.labels(self.service).set(int(row[2]))
        return backlog, age

    async def run(self) -> None:
        """Loop until stopped: publish while there is work, sleep briefly when idle, back off on errors."""
        backoff = 0.5
        loop = asyncio.get_running_loop()
        last_gauges = -1e9
        last_purge = loop.time()
        while not self._stopping.is_set():
            published = 0
            try:
                published = await self.drain()
                backoff = 0.5
                if loop.time() - last_purge > self.purge_every_seconds:
                    async with self.sessions() as session, session.begin():
                        purged = await purge_published(session, older_than_days=self.retention_days)
                    last_purge = loop.time()
                    if purged:
                        log.info("purged published outbox rows", extra={"rows": purged})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay error; retrying", extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            if loop.time() - last_gauges > self.gauges_every_seconds:  # also while nothing succeeds
                with contextlib.suppress(Exception):
                    await self.update_gauges()
                    last_gauges = loop.time()
            if published:
                continue  # a batch went out: claim the next one at once
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.idle_sleep):  # not wait_for: it can drop a cancel on 3.11
                    await self._wake.wait()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()


async def _result_or_empty(task: asyncio.Task[list[ClaimedRow]] | None) -> list[ClaimedRow]:
    if task is None:
        return []
    try:
        return await asyncio.shield(task)
    except Exception:
        return []


async def purge_published(session: AsyncSession, *, older_than_days: int = 7) -> int:
    """Delete published rows past retention (the events live on in Kafka and in consumers).

    Several relays may purge at once: a plain DELETE of rows nobody claims any more is safe to repeat.
    """
    result = await session.execute(
        text("DELETE FROM outbox WHERE published_at < now() - make_interval(days => :d)"),
        {"d": older_than_days},
    )
    # Leases of relays gone for good (each process has its own id); a live relay writes its lease again.
    await session.execute(text("DELETE FROM outbox_leases WHERE until < now() - interval '1 hour'"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
