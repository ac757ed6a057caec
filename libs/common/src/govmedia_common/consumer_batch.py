"""The parts of a batch's handling that need no broker: which items are new (the inbox claim), how they
are grouped into runs for their handlers, and how their outcomes are counted.

A mixin of :class:`govmedia_common.consumer.ConsumerRunner`, kept apart so the runner's file holds the
flow of a poll (fetch, transaction, retries, the one-by-one path) and this one its bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import metrics
from govmedia_common.consumer_read import Item, observe_many
from govmedia_common.handlers import BatchHandler
from govmedia_common.inbox import claim_in_inbox, copy_into_inbox

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class InboxCopyRefused(Exception):
    """A batch's inbox COPY was refused: some of its events were handled before (a redelivery)."""


class BatchParts:
    """Inbox claims, runs and outcome counts of the batch path."""

    service: str
    group_id: str
    _duration_children: dict[str, Any]
    _outcome_children: dict[tuple[str, str], Any]

    def _count_outcomes(self, items: list[Item], new: set[int], per_message: float | None = None) -> None:
        """Outcome counts and durations of a handled batch: per topic and outcome, not per record."""
        counts: Counter[tuple[str, str]] = Counter()
        if len(new) == len(items):  # every item handled (the usual batch): counted in C, by topic
            for topic, count in Counter(item.record.topic for item in items).items():
                counts[topic, "handled"] = count
        else:
            for item in items:
                outcome = (
                    "skipped" if item.handler is None else ("handled" if id(item) in new else "duplicate")
                )
                counts[item.record.topic, outcome] += 1
        if type(self).record_outcome is not BatchParts.record_outcome:  # a subclass counts each record
            for item in items:
                outcome = (
                    "skipped" if item.handler is None else ("handled" if id(item) in new else "duplicate")
                )
                self.record_outcome(item.record, outcome)
        else:
            for (topic, outcome), count in counts.items():
                self._outcome(topic, outcome).inc(count)
        if per_message is not None:  # one observation per message, as on the one-by-one path
            per_topic: Counter[str] = Counter()
            for (topic, _), count in counts.items():
                per_topic[topic] += count
            for topic, count in per_topic.items():
                observe_many(self._duration(topic), per_message, count)

    def _duration(self, topic: str) -> Any:
        if topic not in self._duration_children:
            self._duration_children[topic] = metrics.CONSUMER_DURATION.labels(
                self.service, self.group_id, topic
            )
        return self._duration_children[topic]

    @staticmethod
    async def _claim_inbox(
        session: AsyncSession,
        items: Sequence[Item],
        no_inbox: frozenset[str] = frozenset(),
        *,
        by_copy: bool = False,
    ) -> tuple[set[int], bool]:
        """Insert the inbox rows of ``items`` in one statement (or one COPY, ``by_copy``); returns ``id()`` of
        the items that are new, and whether every item was (no event handled before, none twice).
        Items of the types in ``no_inbox`` (handled idempotently by their handler, see
        :class:`govmedia_common.handlers.BatchHandler`) get no row and are always new.
        A refused COPY raises :class:`InboxCopyRefused` (the transaction must be rolled back)."""
        first: dict[tuple[str, str], Item] = {}
        kept: list[Item] = []  # items of no_inbox types
        sources: list[str] = []
        ids: list[str] = []
        types: list[str] = []
        topics: list[str] = []
        partitions: list[int] = []
        offsets: list[int] = []
        for item in items:  # the same event twice in one poll: only its first copy counts
            env, record = item.env, item.record
            if no_inbox and env.type in no_inbox:
                kept.append(item)
                continue
            key = (env.source, env.id)
            if key in first:
                continue
            first[key] = item
            sources.append(env.source)
            ids.append(env.id)
            types.append(env.type)
            topics.append(record.topic)
            partitions.append(record.partition)
            offsets.append(record.offset)
        if not first:
            return {id(item) for item in kept}, True
        columns = (sources, ids, types, topics, partitions, offsets)
        if by_copy:
            if not await copy_into_inbox(session, *columns):
                raise InboxCopyRefused
            new = None
        else:
            new = await claim_in_inbox(session, *columns)
        taken = {id(item) for item in kept}
        if new is None:
            taken.update(id(item) for item in first.values())
            return taken, len(first) + len(kept) == len(items)
        taken.update(id(first[key]) for key in new)
        return taken, False

    @staticmethod
    def _runs(items: list[Item]) -> list[list[Item]]:
        """Runs: consecutive events of one partition for one batch handler, or one item (so a failing run
        names the one partition to handle one by one)."""
        runs: list[list[Item]] = []
        for item in items:
            last = runs[-1][-1] if runs else None
            if (
                last is not None
                and isinstance(item.handler, BatchHandler)
                and last.handler is item.handler
                and last.record.partition == item.record.partition
                and last.record.topic == item.record.topic
            ):
                runs[-1].append(item)
            else:
                runs.append([item])
        return runs

    def record_outcome(self, record: Record, outcome: str) -> None:
        """Count what became of a record (handled, duplicate, skipped, dead_lettered)."""
        self._outcome(record.topic, outcome).inc()

    def _outcome(self, topic: str, outcome: str) -> Any:
        child = self._outcome_children.get((topic, outcome))
        if child is None:
            child = self._outcome_children[(topic, outcome)] = metrics.CONSUMER_MESSAGES.labels(
                self.service, self.group_id, topic, outcome
            )
        return child
