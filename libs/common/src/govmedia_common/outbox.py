"""Transactional outbox: events are rows written in the caller's transaction; a relay publishes them.

No dual writes: a state change and the event announcing it commit together. The relay claims rows with
``FOR UPDATE`` and a lease, publishes with ``acks=all``, then marks them published. A relay
that dies mid-way leaves its claim to expire, and another relay (or itself, restarted) republishes:
delivery is at-least-once and consumers dedupe by event id.

Order per aggregate: claims are serialised by a transaction-level advisory lock and never take rows of an
aggregate that another live claim holds, so one aggregate's events are published by one relay at a time,
in ``seq`` order, even with several replicas. A claim waits for rows that another relay is marking or
releasing rather than skipping them (``SKIP LOCKED`` would let it take an aggregate's later rows without the
earlier one), and a released row is claimable at once, so the re-check after that wait still takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common import metrics
from govmedia_common.db import outbox_table
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events.base import Event
from govmedia_common.tracing import current_traceparent

log = logging.getLogger(__name__)

_CLAIM_LOCK = 0x6F7574626F78  # "outbox": serialises claims between relay replicas


async def add_event(session: AsyncSession, event: Event, *, event_id: str | None = None) -> Envelope:
    """Write an event to the outbox in the caller's transaction (never commits)."""
    env = wrap(event, traceparent=current_traceparent(), event_id=event_id)
    await session.execute(
        outbox_table.insert().values(
            id=env.id,
            aggregatetype=event.aggregate_type,
            aggregateid=env.subject,
            type=env.type,
            topic=event.topic,
            payload=env.data,
            headers={k: v.decode() for k, v in env.headers()},
        )
    )
    return env


@dataclass
class ClaimedRow:
    seq: int
    id: str
    topic: str
    aggregateid: str
    payload: dict[str, object]
    headers: dict[str, str]


_CLAIM_SQL = text(
    """
    WITH busy AS (
        SELECT DISTINCT aggregateid FROM outbox
        WHERE published_at IS NULL AND claimed_until > now() AND claimed_by <> :me
    ), picked AS (
        SELECT seq FROM outbox o
        WHERE o.published_at IS NULL
          AND (o.claimed_until IS NULL OR o.claimed_until <= now() OR o.claimed_by = :me)
          AND o.aggregateid NOT IN (SELECT aggregateid FROM busy)
        ORDER BY o.seq
        LIMIT :n
        FOR UPDATE
    )
    UPDATE outbox SET claimed_by = :me,
                      claimed_until = now() + make_interval(secs => :lease),
                      attempts = attempts + 1
    WHERE seq IN (SELECT seq FROM picked)
    RETURNING seq, id, topic, aggregateid, payload, headers
    """
)

# Claimable again at once (the failing relay backs off in ``run``): a hold-back here would let a claim that
# waited on this update skip these rows and take later rows of the same aggregates.
_RELEASE_SQL = text(
    "UPDATE outbox SET claimed_until = NULL, last_error = :err "
    "WHERE seq = ANY(:seqs) AND published_at IS NULL AND claimed_by = :me"
)


class OutboxRelay:
    """Publishes committed outbox rows to Kafka; safe to run as several replicas."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        service: str,
        batch_size: int = 500,
        lease_seconds: float = 30.0,
        idle_sleep: float = 0.2,
        relay_id: str | None = None,
        retention_days: int = 7,
        purge_every_seconds: float = 3600.0,
    ) -> None:
        self.sessions = sessions
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.idle_sleep = idle_sleep
        self.retention_days = retention_days
        self.purge_every_seconds = purge_every_seconds
        self.relay_id = relay_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask the relay to look for rows now instead of after its idle sleep."""
        self._wake.set()

    async def claim(self) -> list[ClaimedRow]:
        """Claim a batch of unpublished rows under a lease."""
        async with self.sessions() as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})
            result = await session.execute(
                _CLAIM_SQL, {"me": self.relay_id, "n": self.batch_size, "lease": self.lease_seconds}
            )
            rows = [ClaimedRow(*r) for r in result.all()]
        rows.sort(key=lambda r: r.seq)
        return rows

    async def publish(self, rows: list[ClaimedRow]) -> None:
        """Send rows in seq order and wait for every acknowledgement."""
        futures = []
        for row in rows:
            headers = [(k, v.encode()) for k, v in row.headers.items()]
            futures.append(
                await self.producer.send(
                    row.topic, value=orjson.dumps(row.payload), key=row.aggregateid.encode(), headers=headers
                )
            )
        await asyncio.gather(*futures)

    async def mark(self, rows: list[ClaimedRow]) -> None:
        """Mark rows published (only those this relay still holds)."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                text(
                    "UPDATE outbox SET published_at = now(), claimed_until = NULL, last_error = NULL "
                    "WHERE seq = ANY(:seqs) AND published_at IS NULL"
                ),
                {"seqs": [r.seq for r in rows]},
            )
        for row in rows:
            metrics.OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()

    async def release(self, rows: list[ClaimedRow], error: str) -> None:
        """Give a failed batch back so that it is retried (by any relay)."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                _RELEASE_SQL, {"seqs": [r.seq for r in rows], "err": error[:2000], "me": self.relay_id}
            )

    async def run_once(self) -> int:
        """Claim, publish and mark one batch; returns how many rows were published."""
        rows = await self.claim()
        if not rows:
            return 0
        try:
            await self.publish(rows)
        except Exception as exc:
            metrics.OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
            log.warning("outbox publish failed, will retry", extra={"rows": len(rows), "error": str(exc)})
            await self.release(rows, repr(exc))
            raise
        await self.mark(rows)
        return len(rows)

    async def update_gauges(self) -> tuple[int, float]:
        """Refresh backlog and oldest-age gauges; returns them."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    text("SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL")
                )
            ).one()
        backlog = int(row[0])
        age = (datetime.now(UTC) - row[1]).total_seconds() if row[1] else 0.0
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return backlog, age

    async def run(self) -> None:
        """Loop until stopped: publish while there is work, sleep briefly when idle, back off on errors."""
        backoff = 0.5
        last_gauges = 0.0
        loop = asyncio.get_running_loop()
        last_purge = loop.time()
        while not self._stopping.is_set():
            try:
                published = await self.run_once()
                backoff = 0.5
                if loop.time() - last_gauges > 5:
                    await self.update_gauges()
                    last_gauges = loop.time()
                if loop.time() - last_purge > self.purge_every_seconds:
                    async with self.sessions() as session, session.begin():
                        purged = await purge_published(session, older_than_days=self.retention_days)
                    last_purge = loop.time()
                    if purged:
                        log.info("purged published outbox rows", extra={"rows": purged})
                if published:
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.idle_sleep):  # not wait_for: it can drop a cancel on 3.11
                        await self._wake.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay error; retrying", extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()


async def purge_published(session: AsyncSession, *, older_than_days: int = 7) -> int:
    """Delete published rows past retention (the events live on in Kafka and in consumers).

    Several relays may purge at once: a plain DELETE of rows nobody claims any more is safe to repeat.
    """
    result = await session.execute(
        text("DELETE FROM outbox WHERE published_at < now() - make_interval(days => :d)"),
        {"d": older_than_days},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
