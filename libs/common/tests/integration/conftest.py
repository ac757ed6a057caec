"""Fixtures of the plumbing integration tests: fresh databases with the plumbing tables, Kafka helpers.

Everything runs against the session's real PostgreSQL and Kafka-protocol broker (fixture ``infra``).
Helpers are methods of one :class:`PlumbingKit` fixture because test modules cannot import from conftest.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.db import create_engine
from govmedia_common.kafka import make_producer
from govmedia_common.migrations import create_plumbing_tables
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

Record: TypeAlias = ConsumerRecord[bytes, bytes]  # aiokafka is untyped: Any to mypy


class PlumbingKit:
    """Databases, producers and topic readers for one test; everything is closed at teardown."""

    def __init__(self, infra: Infrastructure) -> None:
        self.infra = infra
        self.kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
        self.database_urls: dict[AsyncEngine, str] = {}
        self._engines: list[AsyncEngine] = []
        self._producers: list[AIOKafkaProducer] = []

    async def database(self, prefix: str, *extra_ddl: str, pool_size: int = 10) -> AsyncEngine:
        """A fresh database with the plumbing tables (outbox, inbox...) plus ``extra_ddl``."""
        url = await fresh_database(self.infra, prefix)
        engine = create_engine(url, pool_size=pool_size)
        async with engine.begin() as conn:
            await conn.run_sync(create_plumbing_tables)
            for ddl in extra_ddl:
                await conn.execute(text(ddl))
        self._engines.append(engine)
        self.database_urls[engine] = url
        return engine

    async def producer(self) -> AIOKafkaProducer:
        """A producer configured like the services' (``acks=all``)."""
        p = make_producer(self.kafka, f"test-{uuid.uuid4().hex[:6]}")
        await p.start()
        self._producers.append(p)
        return p

    async def read_topic(
        self, topic: str, keep: Callable[[Record], bool], *, expect: int, within: float = 20.0
    ) -> list[Record]:
        """Records of ``topic`` that ``keep`` accepts, read from the beginning without a group; returns once
        ``expect`` were found or ``within`` seconds passed."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap, enable_auto_commit=False)
        await consumer.start()
        found: list[Record] = []
        deadline = time.monotonic() + within
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            while not partitions and time.monotonic() < deadline:
                await consumer.topics()  # refreshes the metadata
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while len(found) < expect and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    found.extend(r for r in records if keep(r))
        finally:
            await consumer.stop()
        return found

    @staticmethod
    async def wait_until(
        condition: Callable[[], Awaitable[bool]], *, within: float, what: str, interval: float = 0.1
    ) -> None:
        """Poll ``condition`` until it holds; fail the test after ``within`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await condition():
                return
            await asyncio.sleep(interval)
        raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")

    async def close(self) -> None:
        for p in self._producers:
            await p.stop()
        for e in self._engines:
            await e.dispose()


@pytest.fixture
async def kit(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[PlumbingKit]:
    """Helpers over the real broker and PostgreSQL; every catalogue topic (and its .dlt) exists."""
    k = PlumbingKit(infra)
    try:
        yield k
    finally:
        await k.close()
