"""Reading ahead and committing offsets in the background: how the consumer runner keeps both cores busy.

A mixin of :class:`govmedia_common.consumer.ConsumerRunner`. While the database runs the transaction of one
polled batch (on the other core), the runner fetches and reads the next poll; it handles that poll only
after the current one is done, so partition order holds. Offsets are committed after the transaction that
made their records' effects, in the background and coalesced: a commit lost on the way (crash, broker
restart) only means those records come again, and the inbox drops them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from govmedia_common.consumer_read import Item, read_ahead
from govmedia_common.events.base import Event
from govmedia_common.handlers import BatchHandler, Handler

log = logging.getLogger("govmedia_common.consumer")

Record: TypeAlias = ConsumerRecord[bytes, bytes]
_READ_CHUNK = 100  # records read ahead between two chances for the transaction to move on
_WAIT_FOR_RECORDS = 0.002  # seconds between two looks at an empty fetch buffer while the transaction runs


# Records per poll, and so per batch transaction. Larger polls spread each transaction's fixed costs (commit,
# round trips) and, more, an aggregate handler's upsert (one row per key per batch) over more messages: in
# bench/bench_bus.py 5,000 handled the counters effect 1.5-1.7x faster than 2,000 in the same run; 10,000
# was no better. Per-message handlers keep 2,000: each message is a statement or more in the one
# transaction, which must end within handler_timeout. A failed batch is handled one by one, so the size
# also bounds that slow path.
# aiokafka retries a commit for as long as the broker answers a retriable error, and runs the rebalance
# listener (which commits) before rejoining while every poll waits for the new assignment: a commit the
# broker never accepts (a restarted broker that does not know the group) would stop the consumer for good.
# A commit is worth little (a lost one means records come again and the inbox drops them): it gets this long.
COMMIT_TIMEOUT_SECONDS = 10.0
MAX_POLL_RECORDS = 5000
PER_MESSAGE_POLL_RECORDS = 2000


def poll_size(handlers: Iterable[Handler]) -> int:
    """Records per poll for these handlers: large when all are batch handlers, else smaller."""
    every_batch = all(isinstance(h, BatchHandler) for h in handlers)
    return MAX_POLL_RECORDS if every_batch else PER_MESSAGE_POLL_RECORDS


class ReadAhead:
    """The next poll read while the database works, and offset commits off the handling path."""

    consumer: AIOKafkaConsumer | None
    group_id: str
    handlers: Mapping[str, tuple[type[Event], Handler]]
    max_poll_records: int
    read_ahead: bool
    _ahead: dict[TopicPartition, list[Record]] | None
    _ready: dict[int, Item]
    _in_hand: dict[int, Item]
    _committing: asyncio.Task[None] | None
    _spent: list[list[Any]]  # what handled polls leave behind, freed while the next transaction runs
    _pending: dict[TopicPartition, int]
    _committed: dict[TopicPartition, int]

    async def _on_revoke(self) -> None:
        # A poll read ahead may hold records of partitions going away; the new assignment starts every
        # partition at its committed offset, so dropping the read-ahead loses nothing.
        self._drop_ahead()
        await self.commit_pending()

    async def commit_pending(self) -> None:
        """Commit the offsets of what was handled (after an offset commit still under way, if any)."""
        committing = self._committing
        if committing is not None and committing is not asyncio.current_task() and not committing.done():
            await asyncio.gather(committing, return_exceptions=True)  # its failure was logged by itself
        await self._commit_now()

    def _commit_soon(self) -> None:
        """Commit in the background while the next batch is handled; commits coalesce while one is under way.

        Offsets are committed only after the database transaction of their records committed; a commit lost
        on the way (crash, broker restart) only means those records come again, and the inbox drops them.
        """
        if self._pending and (self._committing is None or self._committing.done()):
            self._committing = asyncio.create_task(self._commit_loop())

    async def _commit_loop(self) -> None:
        while self._pending:
            try:
                await self._commit_now()
            except KafkaError as exc:  # a restarted broker that forgot the group: redelivery is harmless
                log.warning("offset commit failed; records come again", extra={"error": repr(exc)})
                return
            except Exception:  # never an unretrieved task error; the next batch's commit tries again
                log.exception("offset commit failed; records may come again")
                return

    async def _settle_commits(self) -> None:
        if self._committing is not None:
            await asyncio.gather(self._committing, return_exceptions=True)
            self._committing = None

    async def _commit_now(self) -> None:
        if self.consumer is None or not self._pending:
            return
        offsets, self._pending = self._pending, {}
        assigned = self.consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        if offsets:
            try:
                await asyncio.wait_for(self.consumer.commit(offsets), COMMIT_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning(
                    "offset commit did not finish within %ss; records come again (group %s)",
                    COMMIT_TIMEOUT_SECONDS,
                    self.group_id,
                )
                return
            self._committed.update(offsets)

    # ---- reading ahead ------------------------------------------------------------------------------

    async def _fetch_ahead(self, until: asyncio.Future[Any] | None = None) -> None:
        """Fetch and read the next poll while the current batch's transaction (``until``) runs.

        The database works on the other core meanwhile; the poll is handled only after the current one is
        done (partition order), and given back (seek) if the current one fails in a way that rewinds.
        aiokafka asks for a partition's next records only once its buffered ones are taken: when the buffer
        is empty, the next fetch is on its way, and the read ahead waits for it while ``until`` runs (it
        used to stop there, and the rest of the poll was then fetched and read after the transaction, with
        the database idle). It stops once ``until`` is done and nothing more is buffered.
        """
        consumer = self.consumer
        if consumer is None or self._ahead is not None or not self.read_ahead:
            return
        polled: dict[TopicPartition, list[Record]] = {}
        self._ahead = polled
        ready, handlers, wanted = self._ready, self.handlers, self.max_poll_records
        try:
            await self._read_ahead(consumer, polled, ready, handlers, wanted, until)
        finally:
            self._spent.clear()
        if not polled and self._ahead is polled:
            self._ahead = None

    async def _read_ahead(
        self,
        consumer: AIOKafkaConsumer,
        polled: dict[TopicPartition, list[Record]],
        ready: dict[int, Item],
        handlers: Mapping[str, tuple[type[Event], Handler]],
        wanted: int,
        until: asyncio.Future[Any] | None,
    ) -> None:
        # The transaction first: it sends its first statement before the first piece is read.
        await asyncio.sleep(0)
        while wanted > 0:
            # In small pieces, each read before the next is fetched, with a chance in between for the
            # transaction to send its next statement: aiokafka unpacks records inside getmany.
            try:
                piece = await consumer.getmany(timeout_ms=0, max_records=min(_READ_CHUNK, wanted))
            except Exception:  # the handling loop's own poll meets it again and deals with it
                log.debug("read-ahead poll failed", exc_info=True)
                break
            if self._ahead is not polled:
                return  # dropped meanwhile (revocation): what was fetched is fetched again
            got = 0
            for tp, records in piece.items():
                if records:
                    polled.setdefault(tp, []).extend(records)
                    read_ahead(records, handlers, ready)
                    got += len(records)
            if got:
                wanted -= got
                self._drop_spent(4 * _READ_CHUNK)
                await asyncio.sleep(0)
            elif until is None or until.done():
                break
            else:  # nothing buffered: wait a little for the fetch on its way, or for the transaction's end
                self._drop_spent(8 * _READ_CHUNK)
                await asyncio.wait((until,), timeout=_WAIT_FOR_RECORDS)
            if self._ahead is not polled:
                return

    def _drop_spent(self, n: int) -> None:
        """Free up to ``n`` objects of the polls handled before: a poll's records, envelopes, events and
        contexts are some 100,000 objects, ~5 ms of deallocation that used to run between two transactions
        with the database idle; it now runs in pieces while the database works."""
        spent = self._spent
        while n > 0 and spent:
            last = spent[-1]
            k = min(n, len(last))
            del last[len(last) - k :]
            n -= k
            if not last:
                spent.pop()

    def _take_ahead(self) -> dict[TopicPartition, list[Record]]:
        ahead, self._ahead = self._ahead, None
        self._in_hand, self._ready = self._ready, {}
        if not ahead or self.consumer is None:
            return {}
        assigned = self.consumer.assignment()
        return {tp: records for tp, records in ahead.items() if tp in assigned}

    def _drop_ahead(self) -> None:
        self._ahead = None
        self._ready.clear()

    def _give_back_ahead(self) -> None:
        """Seek back to the first record of a poll read ahead, so that it is fetched again."""
        ahead = self._ahead
        self._drop_ahead()
        if not ahead or self.consumer is None:
            return
        assigned = self.consumer.assignment()
        for tp, records in ahead.items():
            if tp in assigned:
                try:
                    self.consumer.seek(tp, records[0].offset)
                except Exception:
                    log.exception("could not give back a poll read ahead", extra={"partition": str(tp)})
