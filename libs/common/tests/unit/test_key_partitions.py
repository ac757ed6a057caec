"""The relay's remembered key partitions are the producer's own: same key, same partition, also after the
partition count changes (a topic recreated by a new broker)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from aiokafka.partitioner import DefaultPartitioner

from govmedia_common.kafka import KeyPartitions


class _Cluster:
    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self.partitions)) if topic == "t" else None

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.partitions))


def _producer(cluster: _Cluster) -> Any:
    return SimpleNamespace(client=SimpleNamespace(cluster=cluster))


def test_a_key_gets_the_partition_the_default_partitioner_gives_it_and_follows_a_new_partition_count() -> (
    None
):
    cluster = _Cluster(6)
    partition = KeyPartitions(_producer(cluster), max_keys=50)
    keys = [str(uuid.uuid4()).encode() for _ in range(200)]
    for n in (6, 4):
        cluster.partitions = n
        expected = [DefaultPartitioner()(k, list(range(n)), list(range(n))) for k in keys]
        assert [partition("t", k) for k in keys] == expected
        assert [partition("t", k) for k in keys] == expected  # remembered (or recomputed after a clear)
    assert len({partition("t", k) for k in keys}) == 4


def test_an_unknown_topic_is_left_to_the_producer() -> None:
    assert KeyPartitions(_producer(_Cluster(6)))("unknown", b"k") is None
