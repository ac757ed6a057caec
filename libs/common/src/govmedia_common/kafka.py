"""Kafka clients and topic administration (aiokafka)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka import errors as kafka_errors
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.protocol.metadata import MetadataRequest

from govmedia_common.settings import KafkaSettings

log = logging.getLogger(__name__)

# What the broker refuses because of the record itself: retrying the same bytes can never succeed.
REFUSED_FOR_GOOD: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.CorruptRecordException,
    kafka_errors.InvalidTopicError,
    kafka_errors.InvalidTimestampError,
    kafka_errors.UnsupportedForMessageFormatError,
    kafka_errors.PolicyViolationError,
)


# Bytes of one partition's record batch. aiokafka keeps one produce request in flight per broker, holding
# one batch per partition: with its 16 KiB default, ~1 KiB events (CloudEvents headers included) made a
# round trip per ~15 records of a partition. Far below the broker's 1 MiB message limit.
PRODUCER_BATCH_BYTES = 64 * 1024


def make_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas (``acks=all``), with batches of up to 64 KiB."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        client_id=f"{settings.client_id_prefix}-{client_id}",
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=5,
        max_batch_size=PRODUCER_BATCH_BYTES,
        request_timeout_ms=15_000,
    )


class KeyPartitions:
    """The partition a producer's default partitioner picks for a record key, remembered per key.

    The same function on the same partition list, so the same answer, without hashing every record's key
    again in Python (murmur2 is pure Python in aiokafka). Called with ``(topic, key)``; None (let the
    producer pick) while the topic's metadata is unknown. A new partition count is a new answer.
    """

    def __init__(self, producer: AIOKafkaProducer, *, max_keys: int = 100_000) -> None:
        self.producer = producer
        self.max_keys = max_keys
        self._partitioner = DefaultPartitioner()
        self._known: dict[tuple[str, bytes], tuple[int, int]] = {}

    def __call__(self, topic: str, key: bytes) -> int | None:
        cluster = self.producer.client.cluster
        partitions = cluster.partitions_for_topic(topic)
        if not partitions:
            return None
        known = self._known.get((topic, key))
        if known is not None and known[0] == len(partitions):
            return known[1]
        if len(self._known) >= self.max_keys:
            self._known.clear()
        available = list(cluster.available_partitions_for_topic(topic))
        partition: int = self._partitioner(key, list(partitions), available)
        self._known[(topic, key)] = (len(partitions), partition)
        return partition


async def cluster_id(client: Any, *, wait_seconds: float = 5.0) -> str | None:
    """The cluster id the broker reports (Metadata v2+), from an aiokafka client (``producer.client``).

    A new id means a new, empty cluster: the embedded broker gets a fresh id at every start, Apache Kafka
    keeps its id for the life of the cluster.
    """
    node = client.get_random_node()
    if node is None:
        await client.force_metadata_update()
        node = client.get_random_node()
        if node is None:
            return None
    response = await asyncio.wait_for(client.send(node, MetadataRequest([])), wait_seconds)
    value = getattr(response, "cluster_id", None)
    return str(value) if value else None


async def topic_partitions(settings: KafkaSettings, topics: Iterable[str]) -> dict[str, int]:
    """Partition count of each existing topic among ``topics`` (missing topics are left out).

    Asked with the admin client's describe, which does not create topics (a plain metadata request of
    aiokafka lets the broker auto-create them with its own partition count).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="govmedia-admin")
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        wanted = sorted(t for t in set(topics) if t in existing)
        if not wanted:
            return {}
        described = await admin.describe_topics(wanted)
        return {d["topic"]: len(d["partitions"]) for d in described if not d.get("error_code")}
    finally:
        await admin.close()


async def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], *, attempts: int = 30, repair: bool = False
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created (or recreated).

    ``repair=True`` (only for a broker that just came up empty, and only from ONE process, the platform)
    also deletes and recreates topics that exist with fewer partitions than configured — what a client's
    metadata request auto-creates on a restarted embedded broker before anybody created them properly.
    """
    wanted = sorted(set(topics))
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="govmedia-admin")
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            wrong: list[str] = []
            if repair:
                present = [t for t in wanted if t in existing]
                described = await admin.describe_topics(present) if present else []
                wrong = [d["topic"] for d in described if len(d["partitions"]) < settings.topic_partitions]
                if wrong:
                    log.warning("recreating topics with too few partitions", extra={"topics": wrong})
                    await admin.delete_topics(wrong)
            todo = sorted([*missing, *wrong])
            if todo:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                    await admin.create_topics(
                        [
                            NewTopic(
                                t,
                                settings.topic_partitions,
                                settings.topic_replication,
                                topic_configs=production_topic_configs(settings.topic_replication),
                            )
                            for t in todo
                        ]
                    )
            return todo
        except (KafkaConnectionError, kafka_errors.KafkaTimeoutError, OSError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    return []


def production_topic_configs(replication: int) -> dict[str, str]:
    """Topic settings for a replicated cluster: an acknowledged write survives the loss of one broker.

    With replication 3, ``acks=all`` waits for 2 in-sync replicas (``min.insync.replicas=2``) and a replica
    that fell behind never becomes leader (no unclean election). A single-broker (embedded) cluster gets none.
    """
    if replication < 3:
        return {}
    return {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}


class CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits what was handled before partitions go to another member."""

    def __init__(self, commit: Callable[[], Awaitable[None]], group: str) -> None:
        self.commit = commit
        self.group = group

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Offsets are committed right after each batch's transactions, so nothing is pending here;
        # commit anyway in case a batch was interrupted between the database and the offset commit.
        try:
            await self.commit()
        except Exception:  # e.g. a new broker that forgot the group: the inbox absorbs the redelivery
            log.warning("could not commit offsets on revocation", exc_info=True)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"group": self.group, "partitions": str(assigned)})


async def lag_per_partition(
    consumer: AIOKafkaConsumer, done: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int] | None:
    """Broker end offset − offset done (else the group's committed offset), per assigned partition.

    Asked from the broker as well as taken from fetch responses, so it stays true while nothing is handled;
    None when the broker does not answer.
    """
    assigned = list(consumer.assignment())
    if not assigned:
        return {}
    try:
        ends = await asyncio.wait_for(consumer.end_offsets(assigned), 5)
    except Exception:
        return None
    lags: dict[TopicPartition, int] = {}
    for tp in assigned:
        # The end offsets are a lower bound: the embedded broker answers the base offset of a partition's last
        # batch + 1. The high watermark of the last fetch response is exact; take whichever is further.
        end = max(ends.get(tp, 0), consumer.highwater(tp) or 0)
        offset = done.get(tp)
        if offset is None:
            try:
                offset = await consumer.committed(tp) or 0  # nothing committed: all of it is lag
            except Exception:
                continue
        lags[tp] = max(0, end - offset)
    return lags


_INT64 = range(-(2**63), 2**63)


def unstorable(value: bytes | None, *, limit: int = 5) -> list[str]:
    """Where a record's JSON holds what no PostgreSQL column can store: ``field: what``, ``limit`` at most.

    A valid event can still hold a NUL character in a text (PostgreSQL text cannot) or an integer beyond 64
    bits (the schemas bound counts below, not above): its handler then fails with the driver's words
    ("value out of int64 range", "invalid byte sequence for encoding UTF8: 0x00"), which do not say which
    field. Only run for a record being dead-lettered.
    """
    try:
        data = json.loads(value or b"")
    except ValueError:
        return []
    found: list[str] = []

    def walk(node: object, path: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(node, str):
            if "\x00" in node:
                found.append(
                    f"{path or 'the value'}: a NUL character (U+0000), which a database text cannot hold"
                )
        elif isinstance(node, int) and not isinstance(node, bool):
            if node not in _INT64:
                found.append(f"{path or 'the value'}: {node} is beyond a 64-bit integer")
        elif isinstance(node, dict):
            for key, item in node.items():
                if "\x00" in key:
                    found.append(f"{path or 'the value'}: a key with a NUL character (U+0000)")
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")

    walk(data, "")
    return found


def dead_letter_headers(
    record: ConsumerRecord[bytes, bytes], exc: BaseException, *, attempts: int, group: str
) -> tuple[str, list[tuple[str, bytes]]]:
    """The error text, and the original headers plus ``dlt_*`` headers saying what failed where.

    When the record's data holds what no database column can store, the text says first which field and why
    (:func:`unstorable`), then the error the handler raised.
    """
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    fields = unstorable(record.value)
    if fields:
        error = f"the event cannot be stored: {'; '.join(fields)}. {error}"
    return error, [
        *(record.headers or ()),
        ("dlt_error", error[:4000].encode()),
        ("dlt_error_class", type(exc).__name__.encode()),
        ("dlt_original_topic", record.topic.encode()),
        ("dlt_original_partition", str(record.partition).encode()),
        ("dlt_original_offset", str(record.offset).encode()),
        ("dlt_consumer_group", group.encode()),
        ("dlt_attempts", str(attempts).encode()),
    ]


def all_topics() -> list[str]:
    """Every topic of the catalogue with its dead-letter topic."""
    from govmedia_common.events import CATALOGUE

    topics = {cls.topic for cls in CATALOGUE.values()}
    return sorted(topics | {f"{t}.dlt" for t in topics})
