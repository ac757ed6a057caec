"""The stories' platform itself: what one service publishes while the platform starts reaches the services
started after it.

Each service's consumer groups are placed past what earlier tests of the session left on the broker. They
were placed at the end as it was when *that* service started, so a later service skipped what the earlier
ones of the same platform had published meanwhile (the review's starter lexicons for the monitor), and
whether it did depended on timing: stories then waited in
vain on state that arrived only with the next event, or never.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from govmedia_platform.groups import exact_ends
from govmedia_platform.launcher import Infrastructure
from tests.e2e.stories_boot import running_platform

pytestmark = pytest.mark.integration


async def _ids(p: Any, service: str, sql: str) -> set[str]:
    async with p.apps[service].state.runtime.sessions() as session:
        return {str(r[0]) for r in await session.execute(text(sql))}


async def test_services_started_later_consume_what_earlier_ones_published_while_the_platform_started(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with running_platform(infra, prefix="startup") as p:
        starter = await _ids(p, "review", "SELECT id FROM outbox WHERE type LIKE 'gov.review.lexicon.%'")
        assert starter, "the review seeds its starter lexicons on a fresh database"

        async def handled() -> bool:
            return starter <= await _ids(p, "monitor", "SELECT event_id FROM inbox")

        await p.wait_for(
            handled,
            "the monitor to handle the starter lexicons the review published as it started",
            explain=lambda: p.describe_groups(("monitor", "lexicons")),
        )


async def test_the_end_of_a_partition_counts_every_record_of_its_last_batch(infra: Infrastructure) -> None:
    """Where the stories start their groups and how far the integrator reads: the embedded broker's end
    offset stops at the base offset of the last batch + 1; the end the kit uses does not."""
    topic = f"t-ends-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        for size in (30, 20):  # two batches of several records each
            sent = [await producer.send(topic, b"{}", key=f"k{i}".encode()) for i in range(size)]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()
    assert await exact_ends(infra.kafka_bootstrap, [topic]) == {TopicPartition(topic, 0): 50}
