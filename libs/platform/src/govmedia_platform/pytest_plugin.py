"""Pytest fixtures for integration tests: a real PostgreSQL and a real Kafka-protocol broker.

Chosen in this order: URLs in the environment
(``GOVMEDIA_TEST_DATABASE_URL``/``GOVMEDIA_DATABASE_URL`` and
``GOVMEDIA_TEST_KAFKA_BOOTSTRAP``/``GOVMEDIA_KAFKA_BOOTSTRAP``) → testcontainers when a Docker engine
answers → the embedded stack on free ports. Never a mock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import EmbeddedBroker, EmbeddedPostgres, create_databases, with_database


def _docker_answers() -> bool:
    if os.environ.get("GOVMEDIA_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def test_infrastructure() -> Iterator[Infrastructure]:
    """Yield PostgreSQL and Kafka for a test session, cleaning up what it started."""
    db_url = os.environ.get("GOVMEDIA_TEST_DATABASE_URL") or os.environ.get("GOVMEDIA_DATABASE_URL")
    bootstrap = os.environ.get("GOVMEDIA_TEST_KAFKA_BOOTSTRAP") or os.environ.get("GOVMEDIA_KAFKA_BOOTSTRAP")
    with contextlib.ExitStack() as stack:
        if (not db_url or not bootstrap) and _docker_answers():
            if not db_url:
                from testcontainers.postgres import PostgresContainer

                pg = stack.enter_context(PostgresContainer("postgres:17-alpine", driver="asyncpg"))
                db_url = pg.get_connection_url()
            if not bootstrap:
                from testcontainers.kafka import KafkaContainer

                kafka = stack.enter_context(KafkaContainer().with_kraft())
                bootstrap = kafka.get_bootstrap_server()
        pg_embedded = broker = None
        tmp = Path(tempfile.mkdtemp(prefix="govmedia-test-"))
        stack.callback(shutil.rmtree, tmp, True)
        if not db_url:
            pg_embedded = EmbeddedPostgres(tmp / "postgres")
            pg_embedded.start(lambda m: None)
            stack.callback(pg_embedded.stop)
            db_url = pg_embedded.url
        if not bootstrap:
            broker = EmbeddedBroker(tmp / "broker")
            broker.start(lambda m: None)
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap
        yield Infrastructure(db_url, bootstrap, pg_embedded, broker)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    """PostgreSQL server URL and Kafka bootstrap for the whole test session."""
    with test_infrastructure() as i:
        yield i


async def fresh_database(infra: Infrastructure, prefix: str, service: str | None = None) -> str:
    """A new empty database (migrated to head for ``service``); returns its URL."""
    name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
    await create_databases(infra.database_server_url, [name])
    url = with_database(infra.database_server_url, name)
    if service is not None:
        from govmedia_common.migrations import upgrade_async

        await upgrade_async(service, url)
    return url


@pytest.fixture
def unique_topic() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def kafka_topics(infra: Infrastructure) -> None:
    """Every catalogue topic (and its .dlt) exists on the broker."""
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.settings import KafkaSettings

    await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
