"""The broker the outbox's rows go to: taken on by the relays of one outbox together, so that on a new broker
each aggregate's events first arrive in outbox (``seq``) order.

Why. The embedded broker keeps its log in memory and gets a new cluster id at each start; relays republish
the outbox into it (:mod:`govmedia_common.outbox`). But aiokafka's producer reconnects by itself and retries
a batch that was out when the old broker died — into the new one, which creates missing topics as it goes —
and a relay that claimed rows before it noticed the new id would send them next. Either way a row would
stand on the new broker ahead of the older rows of its aggregate, republished only afterwards: a consumer
reading from the start meets PostPublished before PostApproved, and its inbox later drops the copy that came
in order.

How the guarantee is kept:

* **A look before and after every batch.** The relay asks the broker for its cluster id right before a batch
  is sent and again once it is acknowledged (one Metadata round trip each). It sends only to the broker it
  has taken on, and marks rows published only when that same broker answered before and after. Otherwise
  nothing is marked: the rows go back unpublished, labelled ``unconfirmed:<cluster id before>`` in
  ``published_to`` (they may stand on a broker nobody took on yet), and the drain stops.
* **One gate per outbox database.** A relay drains (claims, sends, marks) holding a PostgreSQL advisory lock
  in shared mode; taking on a broker holds it exclusively. So a broker is taken on only while no relay of the
  outbox has rows out, and nothing claimed or sent before lands after the republish was queued.
* **Taking on a broker** (exclusive): a topic with ``unconfirmed`` rows of another broker may hold rows out
  of order on this one. Each topic has one owning service whose relays alone write to it, and it holds only
  rows that are all in the outbox: the relay deletes it and creates it again with its configured partitions.
  Then every row published to another broker, or to a recreated topic, is queued again, the leases are
  cleared, and the relays claim from the lowest ``seq``.

Not covered: a relay killed while its batch was out at the moment the broker restarted leaves no label.
A consumer that read such stray rows before their topic was recreated (tens of milliseconds after their
acknowledgement, while a consumer first has to notice the new broker and rejoin its group) has met them out
of order, and its position may then skip as many republished rows of that partition. Apache Kafka keeps its
cluster id for the life of the cluster, so there none of this triggers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govmedia_common import metrics
from govmedia_common.kafka import cluster_id, ensure_topics, topic_partitions

if TYPE_CHECKING:
    from govmedia_common.outbox import OutboxRelay
    from govmedia_common.outbox_claims import ClaimedRow, PublishOutcome

log = logging.getLogger("govmedia_common.outbox")

GATE_LOCK = 0x6F7574627278  # "outbrx": shared while a relay drains, exclusive while a broker is taken on

# ``published_to`` of an unpublished row handed to the producer while the broker changed (or went silent).
UNCONFIRMED = "unconfirmed:"

_LABEL_SQL = text("UPDATE outbox SET published_to = :label WHERE seq = ANY(:seqs) AND published_at IS NULL")

_SUSPECT_TOPICS_SQL = text(
    "SELECT DISTINCT topic FROM outbox WHERE published_at IS NULL "
    f"AND published_to LIKE '{UNCONFIRMED}%' AND published_to <> :label"
)

# Everything still here that was published to another broker, or to a topic just recreated, goes out again.
_REPUBLISH_SQL = text(
    "UPDATE outbox SET published_at = NULL, published_to = NULL "
    "WHERE published_at IS NOT NULL AND published_to IS NOT NULL "
    "AND (published_to <> :broker OR topic = ANY(CAST(:recreated AS text[])))"
)

_FORGET_LABELS_SQL = text(
    "UPDATE outbox SET published_to = NULL WHERE published_at IS NULL AND published_to IS NOT NULL"
)


class BrokerChanged(RuntimeError):
    """The broker answering is not the one the relay took on, or it changed while a batch was out."""


class BrokerGuard:
    """The gate and the cluster-id checks of one :class:`~govmedia_common.outbox.OutboxRelay`."""

    def __init__(self, relay: OutboxRelay, *, gate_wait_seconds: float = 30.0) -> None:
        self.relay = relay
        self.gate_wait_seconds = gate_wait_seconds  # how long taking on a broker waits for draining relays
        self._gate: AsyncConnection | None = None
        self._changed = False
        self._before: str | None = None  # the cluster id seen before the batch now out

    # ---- the gate -----------------------------------------------------------------------------------

    async def enter(self, claim: Callable[[], Awaitable[list[ClaimedRow]]]) -> list[ClaimedRow]:
        """Open the gate in shared mode, then claim under it; :meth:`leave` closes it."""
        if self._gate is not None:
            raise RuntimeError("the relay is already inside its broker gate")
        self._gate = await self._lock("pg_advisory_lock_shared")
        try:
            return await claim()
        except BaseException:
            await self.leave()
            raise

    async def leave(self) -> None:
        """Close the gate; if the broker changed meanwhile, take the new one on at once."""
        gate, self._gate = self._gate, None
        if gate is not None:
            await asyncio.shield(_unlock(gate, "pg_advisory_unlock_shared"))
        if self._changed:
            self._changed = False
            try:
                await self.relay.check_broker(force=True)
            except Exception:  # the relay's loop retries it on its next drain
                log.warning("could not take on the new broker yet", exc_info=True)

    async def _try_lock(self, *, wait: float, every: float = 0.05) -> AsyncConnection:
        """The exclusive gate, asked for again and again until ``wait`` seconds have passed, never queued."""
        conn = await self._lock(None)
        try:
            deadline = asyncio.get_running_loop().time() + wait
            ask = text("SELECT pg_try_advisory_lock(:k)")
            while not (await conn.execute(ask, {"k": GATE_LOCK})).scalar():
                if asyncio.get_running_loop().time() >= deadline:
                    raise TimeoutError(
                        f"the outbox's broker gate stayed held for {wait:.0f} s by draining relays; retrying"
                    )
                await asyncio.sleep(every)
        except BaseException:
            await asyncio.shield(_discard(conn))
            raise
        return conn

    async def _lock(self, function: str | None, *, lock_timeout: float | None = None) -> AsyncConnection:
        bind = self.relay.sessions.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the relay's sessions must be bound to an AsyncEngine")
        conn = await bind.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if lock_timeout is not None:
                await conn.execute(
                    text("SELECT set_config('lock_timeout', :t, false)"),
                    {"t": f"{int(lock_timeout * 1000)}ms"},
                )
            if function is not None:
                await conn.execute(text(f"SELECT {function}(:k)"), {"k": GATE_LOCK})
            if lock_timeout is not None:
                await conn.execute(text("RESET lock_timeout"))
        except BaseException:
            await asyncio.shield(_discard(conn))
            raise
        return conn

    # ---- one batch ----------------------------------------------------------------------------------

    async def send(self, rows: list[ClaimedRow]) -> tuple[list[tuple[ClaimedRow, Any]], PublishOutcome]:
        """The relay's ``_send``, after a look at the cluster id: only to the broker the relay took on."""
        from govmedia_common.outbox_claims import PublishOutcome

        relay = self.relay
        self._before = None
        before = await cluster_id(relay.producer.client)
        if before != relay.broker:
            self._changed = True
            error = BrokerChanged(f"the broker is {before}, not {relay.broker}: nothing sent")
            return [], PublishOutcome([], [], list(rows), error)
        self._before = before
        try:
            return await relay._send(rows)
        except BaseException as exc:
            if isinstance(exc, Exception):  # rows handed to the producer land (or expire) before we go on
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(relay.producer.flush(), 60)
            if before is not None:
                await asyncio.shield(self._label(rows, before))
            raise

    async def acknowledged(
        self, sent: list[tuple[ClaimedRow, Any]], outcome: PublishOutcome
    ) -> PublishOutcome:
        """The relay's ``_acknowledged``, then a second look: rows count as published only if it agrees."""
        from govmedia_common.outbox_claims import PublishOutcome

        relay = self.relay
        before, self._before = self._before, None
        if before is None:  # refused before sending, or a broker without a cluster id
            return await relay._acknowledged(sent, outcome)
        try:
            outcome = await relay._acknowledged(sent, outcome)
            after = await _cluster_or_none(relay)
        except BaseException:
            await asyncio.shield(self._label([row for row, _ in sent], before))
            raise
        if after == before:
            return outcome
        self._changed = True
        out = [row for row, _ in sent]
        await self._label(out, before)
        log.warning(
            "the broker changed while rows were out; none is marked published",
            extra={"rows": len(out), "was": before, "now": after},
        )
        error = BrokerChanged(
            f"the broker changed while {len(out)} rows were out ({before} -> {after}): "
            "they go again after the republish"
        )
        set_aside = {row.seq for row, _ in outcome.set_aside}
        retry = [row for row in (*outcome.published, *outcome.retry) if row.seq not in set_aside]
        return PublishOutcome([], outcome.set_aside, sorted(retry, key=lambda r: r.seq), error)

    async def _label(self, rows: list[ClaimedRow], before: str) -> None:
        if rows:
            async with self.relay.sessions() as session, session.begin():
                await session.execute(
                    _LABEL_SQL, {"seqs": [r.seq for r in rows], "label": UNCONFIRMED + before}
                )

    # ---- taking on a broker -------------------------------------------------------------------------

    async def take_on(self) -> bool:
        """Under the exclusive gate: recreate suspect topics, queue the republish, adopt the broker.

        True when the relay had a broker before (a new one, not the first).
        """
        relay = self.relay
        if self._gate is not None:
            raise RuntimeError("a relay takes on a broker only outside its gate")
        if relay.broker is None:
            # A relay starting (or restarting) beside others: it asks without queueing, because PostgreSQL
            # queues every later shared request behind a waiting exclusive one, so one relay stalled
            # mid-batch would stop every relay of the outbox for as long as this one waits.
            gate = await self._try_lock(wait=self.gate_wait_seconds)
        else:  # a new broker: first in the queue, before the relays' next drains
            gate = await self._lock("pg_advisory_lock", lock_timeout=self.gate_wait_seconds)
        try:
            current = await cluster_id(relay.producer.client)
            if current is None or current == relay.broker:
                return False
            previous, first = relay.broker, relay.broker is None
            if not first:
                log.warning(
                    "a new broker answers; republishing the outbox", extra={"was": previous, "now": current}
                )
            async with relay.sessions() as session:
                result = await session.execute(_SUSPECT_TOPICS_SQL, {"label": UNCONFIRMED + current})
                suspects = sorted(result.scalars())
            if suspects:
                await self._recreate(suspects, current)
            await relay._wait_for_topics(current)
            async with relay.sessions() as session, session.begin():
                result = await session.execute(_REPUBLISH_SQL, {"broker": current, "recreated": suspects})
                again = int(result.rowcount or 0)  # type: ignore[attr-defined]
                await session.execute(_FORGET_LABELS_SQL)
                if again:  # no relay has rows out: leases only hold rows now queued again
                    await session.execute(text("DELETE FROM outbox_leases"))
            if again:
                metrics.OUTBOX_REPUBLISHED.labels(relay.service).inc(again)
                log.warning(
                    "outbox rows queued again for a new broker", extra={"rows": again, "broker": current}
                )
            relay.broker = current
            return not first
        finally:
            await asyncio.shield(_unlock(gate, "pg_advisory_unlock"))

    async def _recreate(self, topics: list[str], broker: str) -> None:
        """Delete the topics and create them again with their configured partitions (empty)."""
        kafka = self.relay.kafka
        if kafka is None:
            log.error(
                "rows may stand out of order on the new broker and the relay has no Kafka settings to "
                "recreate their topics",
                extra={"topics": topics, "broker": broker},
            )
            return
        log.warning(
            "rows may have reached the new broker ahead of older rows of their aggregate: recreating topics",
            extra={"topics": topics, "broker": broker},
        )
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, client_id="govmedia-admin")
        try:
            await admin.start()
            present = [t for t in topics if t in set(await admin.list_topics())]
            if present:
                await admin.delete_topics(present)
        finally:
            await admin.close()
        for _ in range(20):  # a client's metadata request may auto-create one meanwhile, with few partitions
            await ensure_topics(kafka, topics, repair=True)
            counts = await topic_partitions(kafka, topics)
            if all(counts.get(t, 0) >= kafka.topic_partitions for t in topics):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"could not recreate topics {topics} with {kafka.topic_partitions} partitions")


async def _cluster_or_none(relay: OutboxRelay) -> str | None:
    try:
        return await cluster_id(relay.producer.client)
    except Exception:
        return None


async def _unlock(conn: AsyncConnection, function: str) -> None:
    try:
        await conn.execute(text(f"SELECT {function}(:k)"), {"k": GATE_LOCK})
        await conn.close()
    except Exception:
        await _discard(conn)  # the lock ends with the database session
    except BaseException:
        await _discard(conn)
        raise


async def _discard(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
