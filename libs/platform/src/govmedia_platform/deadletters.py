"""Dead letters of ``<topic>.dlt``: read them with their error, and send them back after a fix.

Replaying is safe to repeat: the record goes back with its original key, value and CloudEvents headers, so
its event id is unchanged and every consumer's inbox drops what it already handled.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from govmedia_common.kafka import make_producer
from govmedia_common.settings import KafkaSettings


@dataclass
class DeadLetter:
    offset: int
    partition: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), "")

    @property
    def event_id(self) -> str:
        return self.header("ce_id")

    @property
    def event_type(self) -> str:
        return self.header("ce_type")

    @property
    def group(self) -> str:
        return self.header("dlt_consumer_group")

    @property
    def attempts(self) -> str:
        return self.header("dlt_attempts")

    @property
    def error(self) -> str:
        return self.header("dlt_error")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if not k.startswith("dlt_")]


class NoSuchTopic(LookupError):
    """The broker has neither the topic nor its dead-letter topic."""

    def __init__(self, topic: str, closest: list[str]) -> None:
        super().__init__(topic)
        self.topic = topic
        self.closest = closest


class NoneMatch(LookupError):
    """Dead letters exist, but none of the group or event ids asked for."""

    def __init__(self, topic: str, group: str | None, ids: list[str], groups: list[str], count: int) -> None:
        super().__init__(topic)
        self.topic, self.group, self.ids, self.groups, self.count = topic, group, ids, groups, count


async def read_dead_letters(bootstrap: str, topic: str, *, idle_seconds: float = 1.0) -> list[DeadLetter]:
    """Every record of ``<topic>.dlt`` from the beginning to its end (no consumer group).

    The end is where reading finds nothing more for ``idle_seconds`` after passing the end offsets the broker
    reports: those are only a lower bound (the embedded broker reports the base offset of a partition's last
    batch plus one, so a batch of several dead letters would otherwise be cut to its first).
    """
    dlt = topic if topic.endswith(".dlt") else f"{topic}.dlt"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    letters: list[DeadLetter] = []
    try:
        await consumer.start()  # inside: a broker that does not answer still closes the consumer
        partitions = consumer.partitions_for_topic(dlt) or set()
        if not partitions:
            await consumer.topics()
            partitions = consumer.partitions_for_topic(dlt) or set()
        tps = [TopicPartition(dlt, p) for p in sorted(partitions)]
        if not tps:
            known = await consumer.topics()
            original = dlt.removesuffix(".dlt")
            if original not in known:  # a misspelt topic: "0 dead letters" would be believed
                names = sorted(t for t in known if not t.startswith("__"))
                raise NoSuchTopic(original, difflib.get_close_matches(original, names, n=3, cutoff=0.6))
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=int(idle_seconds * 1000))
            for records in batches.values():
                letters.extend(
                    DeadLetter(r.offset, r.partition, r.key, r.value, list(r.headers or ())) for r in records
                )
            for tp in list(remaining):
                position: int = await consumer.position(tp)
                if position >= remaining[tp]:
                    del remaining[tp]
            if not remaining and not batches:  # past the reported ends, and nothing more arrives
                break
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda d: (d.partition, d.offset))


async def replay_dead_letters(
    bootstrap: str, topic: str, *, group: str | None = None, event_ids: set[str] | None = None
) -> int:
    """Send the dead letters (optionally of one group, or these event ids) back; returns how many."""
    original = topic.removesuffix(".dlt")
    every = await read_dead_letters(bootstrap, original)
    letters = [
        d for d in every if (group is None or d.group == group) and (not event_ids or d.event_id in event_ids)
    ]
    if every and not letters:  # a misspelt group or id: "replayed 0" would be believed
        raise NoneMatch(
            original, group, sorted(event_ids or ()), sorted({d.group for d in every}), len(every)
        )
    producer = make_producer(KafkaSettings(bootstrap=bootstrap), "dlt-replay")
    try:
        await producer.start()
        for d in letters:
            target = d.header("dlt_original_topic") or original
            await producer.send_and_wait(target, value=d.value, key=d.key, headers=d.original_headers())
    finally:
        await producer.stop()
    return len(letters)
