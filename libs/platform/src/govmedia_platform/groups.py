"""Consumer groups of one run of a service on a broker that other runs share (a test session's broker, a
training copy beside staging): groups of the run's own, starting where the topics ended when it began.

A service's new consumer group reads every topic from its beginning (``auto_offset_reset='earliest'``, and
production keeps it: a group that joins after the first events, or a partition it never committed, must not
skip what is there). A test's run on the session's broker wants the opposite: what other tests published
before it is not its business, and read first it is both a wait (thousands of earlier events) and a
contamination (another test's office of the region informed of this test's cases). So each run gets groups
of its own (:func:`own_groups`: a group prefix of its own, so no earlier run's members share its partitions
either) and, before the service starts, :func:`start_groups_at` commits for them where the topics ended
(:func:`exact_ends`).

Not ``auto_offset_reset='latest'``: it is resolved when a partition is first assigned, so events published
before the group has joined would be skipped (every test would have to wait for the assignment first); a
restarted run would skip, on each partition it had not committed yet, what was published while it was down;
and the embedded broker answers "latest" as a lower bound (see :func:`exact_ends`), so a run would still
read some of the others' last records. Committed positions have none of these: the service may join when
it likes and reads exactly what was published from its start on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from govmedia_common.settings import KafkaSettings

Positions = dict[TopicPartition, int]
# The consumer session of a run of its own (own_groups): a group forms in about 1.5 s instead of 5 (the
# embedded broker); still long enough for a busy two-core machine's event loop not to miss it.
SHORT_SESSION_MS = 3_000


def own_groups(bootstrap: str, label: str) -> KafkaSettings:
    """Broker settings whose consumer groups are this run's alone (a group prefix of its own), with a short
    consumer session: the embedded broker holds a group's join about half a session (5 s at aiokafka's
    10 s), and a restarted run's members are let in once the session of the members it stopped ran out."""
    return KafkaSettings(
        bootstrap=bootstrap,
        group_prefix=f"run-{label}-{uuid.uuid4().hex[:12]}",
        consumer_session_timeout_ms=SHORT_SESSION_MS,
        consumer_heartbeat_interval_ms=SHORT_SESSION_MS // 6,
    )


async def exact_ends(bootstrap: str, topics: Iterable[str] | None = None) -> Positions:
    """Where every partition of ``topics`` (default: every topic on the broker) ends now, exactly.

    The broker's end offsets are a lower bound: the embedded broker (Tansu) answers the base offset of a
    partition's last batch + 1, so the other records of a last batch of several lie beyond it. A fetch from
    there returns that batch and the exact high watermark; the further of the two is the end.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        names = sorted(topics) if topics is not None else sorted(await consumer.topics())
        await consumer.topics()  # the metadata of every topic
        parts = [TopicPartition(t, n) for t in names for n in sorted(consumer.partitions_for_topic(t) or ())]
        if not parts:
            return {}
        ends = dict(await consumer.end_offsets(parts))
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(
                tp, max(0, ends[tp] - 1)
            )  # inside the last batch: its fetch says the high watermark
        for _ in range(10):
            await consumer.getmany(timeout_ms=200)
            if all(consumer.highwater(tp) is not None for tp in parts if ends[tp] > 0):
                break
        return {tp: max(ends[tp], consumer.highwater(tp) or 0) for tp in parts}
    finally:
        await consumer.stop()


def topics_of(consumer_groups: Mapping[str, Iterable[type[Any]]]) -> set[str]:
    """Every topic the consumer groups of a service spec (``ServiceSpec.consumer_groups``) read."""
    return {cls.topic for handlers in consumer_groups.values() for cls in handlers}


async def start_groups_at(
    kafka: KafkaSettings, service: str, consumer_groups: Mapping[str, Iterable[type[Any]]], at: Positions
) -> None:
    """Commit, for each partition a group of ``service`` has not committed yet, its position in ``at``.

    A partition ``at`` lacks (a topic created since) starts at its beginning. What a group committed stays:
    a restarted run continues where it stopped, and reads from ``at`` on what it never read.
    """
    for group, handlers in consumer_groups.items():
        topics = sorted({cls.topic for cls in handlers})
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap,
            group_id=kafka.group_id(service, group),
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            await consumer.topics()  # the metadata of every topic
            parts = [
                TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())
            ]
            if not parts:
                continue
            consumer.assign(parts)
            new = {tp: at.get(tp, 0) for tp in parts if await consumer.committed(tp) is None}
            if new:
                await consumer.commit(new)
        finally:
            await consumer.stop()


async def start_at_the_end(app: Any, at: Positions | None = None) -> Positions:
    """Before a service app (``create_app``'s, not started yet) starts: its consumer groups start where their
    topics end now (or at ``at``: e.g. where an earlier run began, for a rebuild that replays it). Returns
    the positions, for a later run that should read from the same place."""
    spec = app.state.spec
    kafka: KafkaSettings = app.state.runtime.settings.kafka
    if at is None:
        at = await exact_ends(kafka.bootstrap, topics_of(spec.consumer_groups))
    await start_groups_at(kafka, spec.name, spec.consumer_groups, at)
    return at
