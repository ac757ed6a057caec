"""Consumer lag counts every record of a batch: the embedded broker reports a partition's end offset as the
base offset of its last batch + 1, so lag taken from end offsets alone showed 1 for five unhandled records."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from govmedia_common.kafka import ensure_topics, lag_per_partition, make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import Infrastructure

pytestmark = pytest.mark.integration


async def test_five_records_sent_in_one_batch_are_five_of_lag(infra: Infrastructure) -> None:
    kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    topic = f"test.lag.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, [topic])
    producer = make_producer(kafka, "lag-batch")
    await producer.start()
    try:  # one key, sent without waiting in between: one batch in one partition
        await asyncio.gather(*[await producer.send(topic, value=b"{}", key=b"one") for _ in range(5)])
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        fetched = await consumer.getmany(timeout_ms=3000)
        (tp,) = fetched  # the one partition of the key
        assert len(fetched[tp]) == 5
        lags = await lag_per_partition(consumer, {tp: 0})  # fetched, none handled
        assert lags is not None and lags[tp] == 5
        lags = await lag_per_partition(consumer, {tp: 5})
        assert lags is not None and lags[tp] == 0
    finally:
        await consumer.stop()
