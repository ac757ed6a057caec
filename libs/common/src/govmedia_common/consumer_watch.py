"""What a consumer watches on the broker's side: its lag, and whether a new, empty broker answers.

A mixin of :class:`govmedia_common.consumer.ConsumerRunner`, kept apart so the runner's file holds the
handling of records and this one the broker's state.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from govmedia_common import metrics
from govmedia_common.kafka import cluster_id, lag_per_partition

log = logging.getLogger("govmedia_common.consumer")


class BrokerWatch:
    """Lag from the broker's end offsets, and re-reading from the start after a broker restart."""

    consumer: AIOKafkaConsumer | None
    service: str
    group_id: str
    broker_check_seconds: float
    _broker: str | None
    _last_broker_check: float
    _last_lag: float
    _reread: bool
    # The partitions to read again from the beginning; None: every assigned one (a new broker).
    _reread_only: frozenset[TopicPartition] | None = None
    _pending: dict[TopicPartition, int]
    _committed: dict[TopicPartition, int]

    async def _update_lag(self) -> None:
        """Lag = broker end offset − offset done, per partition: true also while nothing is handled."""
        if self.consumer is None or time.monotonic() - self._last_lag < 2.0:
            return
        self._last_lag = time.monotonic()
        done = {**self._committed, **self._pending}
        lags = await lag_per_partition(self.consumer, done)
        for tp, lag in (lags or {}).items():  # None: the broker is away, keep the last values
            metrics.CONSUMER_LAG.labels(self.service, self.group_id, tp.topic, str(tp.partition)).set(lag)

    async def _check_broker(self) -> None:
        """A new, empty broker (new cluster id) forgot the offsets: read every partition from the start.

        The relays republish the outbox into it; fetching on from the old positions would skip what was
        republished below them. The inbox drops what was handled before. A partition whose log now ends
        before the position reached in it (its topic deleted and created again, on this broker or a new one)
        is read from the start as well.
        """
        if self.consumer is None:
            return
        now = time.monotonic()
        if now - self._last_broker_check < self.broker_check_seconds:
            return
        self._last_broker_check = now
        await self._check_logs()
        try:
            current = await cluster_id(self.consumer._client)
        except Exception:
            return
        if current is None or current == self._broker:
            return
        previous, self._broker = self._broker, current
        if previous is not None:
            log.warning(
                "a new broker answers; reading the assigned partitions from the beginning (group %s)",
                self.group_id,
                extra={"group": self.group_id, "was": previous, "now": current},
            )
            self._reread_only = None
            self._reread = True  # done by the handling loop, between two polls

    async def _check_logs(self) -> None:
        """Partitions whose log ends before this consumer's position there: a new log under the same name.

        Neither Apache Kafka's nor the embedded broker's answer to a fetch beyond the end is relied upon
        (the embedded broker answers nothing and the position stays, so the records written below it later
        would be skipped). The end is the further of the broker's end offset and the high watermark of the
        last fetch (exact; the embedded broker's end offset can lag a batch); only partitions fetched since
        they were assigned are judged, so a committed offset read before any fetch never looks beyond.
        """
        consumer = self.consumer
        if consumer is None:
            return
        assigned = [tp for tp in consumer.assignment() if consumer.highwater(tp) is not None]
        if not assigned:
            return
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(assigned), 5)
        except Exception:  # the broker is away or the topic is gone: judged at a later check
            return
        shorter: set[TopicPartition] = set()
        for tp in assigned:
            if tp not in ends or tp not in consumer.assignment():
                continue
            try:
                position = await asyncio.wait_for(consumer.position(tp), 2)
            except Exception:
                continue
            end = max(ends[tp], consumer.highwater(tp) or 0)
            if position > end:
                shorter.add(tp)
        if not shorter:
            return
        log.warning(
            "a partition's log ends before the position reached in it (topic created again); "
            "reading it from the beginning (group %s: %s)",
            self.group_id,
            ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(shorter)),
            extra={"group": self.group_id, "partitions": sorted(str(tp) for tp in shorter)},
        )
        if not self._reread:
            self._reread_only = frozenset(shorter)
        elif self._reread_only is not None:
            self._reread_only |= shorter
        self._reread = True  # done by the handling loop, between two polls

    async def _read_from_beginning(self) -> None:
        assert self.consumer is not None
        only, self._reread_only = self._reread_only, None
        self._reread = False
        assigned = list(self.consumer.assignment())
        if only is None:
            self._pending.clear()
            self._committed.clear()
        else:
            for tp in only:  # a later offset of the old log must not be committed into the new one
                self._pending.pop(tp, None)
                self._committed.pop(tp, None)
            assigned = [tp for tp in assigned if tp in only]
        if assigned:
            try:
                await self.consumer.seek_to_beginning(*assigned)
            except Exception:  # partitions gone with the old broker: the next assignment starts at earliest
                log.warning("could not seek to the beginning", exc_info=True)
