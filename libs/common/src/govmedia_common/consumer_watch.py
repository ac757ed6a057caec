"""What a consumer watches on the broker's side: its lag, and whether a new, empty broker answers.

A mixin of :class:`govmedia_common.consumer.ConsumerRunner`, kept apart so the runner's file holds the
handling of records and this one the broker's state.
"""

from __future__ import annotations

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
        republished below them. The inbox drops what was handled before.
        """
        if self.consumer is None:
            return
        now = time.monotonic()
        if now - self._last_broker_check < self.broker_check_seconds:
            return
        self._last_broker_check = now
        try:
            current = await cluster_id(self.consumer._client)
        except Exception:
            return
        if current is None or current == self._broker:
            return
        previous, self._broker = self._broker, current
        if previous is not None:
            log.warning(
                "a new broker answers; reading the assigned partitions from the beginning",
                extra={"group": self.group_id, "was": previous, "now": current},
            )
            self._reread = True  # done by the handling loop, between two polls

    async def _read_from_beginning(self) -> None:
        assert self.consumer is not None
        self._reread = False
        self._pending.clear()
        self._committed.clear()
        assigned = list(self.consumer.assignment())
        if assigned:
            try:
                await self.consumer.seek_to_beginning(*assigned)
            except Exception:  # partitions gone with the old broker: the next assignment starts at earliest
                log.warning("could not seek to the beginning", exc_info=True)
