"""Kafka clients and topic administration (aiokafka)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from govmedia_common.settings import KafkaSettings

log = logging.getLogger(__name__)


def make_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas (``acks=all``)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        client_id=f"{settings.client_id_prefix}-{client_id}",
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=5,
        request_timeout_ms=15_000,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str], *, attempts: int = 30) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    wanted = sorted(set(topics))
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="govmedia-admin")
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                    await admin.create_topics(
                        [NewTopic(t, settings.topic_partitions, settings.topic_replication) for t in missing]
                    )
            return missing
        except KafkaConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    return []


def all_topics() -> list[str]:
    """Every topic of the catalogue with its dead-letter topic."""
    from govmedia_common.events import CATALOGUE

    topics = {cls.topic for cls in CATALOGUE.values()}
    return sorted(topics | {f"{t}.dlt" for t in topics})
