"""Found while building the ledger run: ``govmedia dlt list`` must show every dead letter.

The embedded broker (Tansu) reports a partition's end as the base offset of its LAST BATCH plus one. When
several dead letters went out in one produce request (one service's groups share a producer, which batches
what is sent to one partition within its linger time), reading only up to that end listed the first of the
batch, and ``dlt replay`` sent back only that one: ``read_dead_letters`` now reads on until nothing more
arrives.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_platform.deadletters import read_dead_letters
from govmedia_platform.stack import EmbeddedBroker

pytestmark = pytest.mark.integration


async def test_dead_letters_sent_in_one_batch_are_all_listed(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    try:
        kafka = KafkaSettings(bootstrap=broker.bootstrap)
        await ensure_topics(kafka, ["fault.listing", "fault.listing.dlt"])
        producer = make_producer(kafka, "fault-dlt-batch")
        await producer.start()
        try:  # five letters of one key, sent without waiting in between: one batch, one partition
            sent = [
                await producer.send(
                    "fault.listing.dlt",
                    value=b"{}",
                    key=b"account-1",
                    headers=[("ce_id", f"dead-{i}".encode())],
                )
                for i in range(5)
            ]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        letters = await read_dead_letters(broker.bootstrap, "fault.listing")
        assert sorted(d.event_id for d in letters) == [f"dead-{i}" for i in range(5)]
    finally:
        broker.stop()
