"""Pytest fixtures for integration tests: a real PostgreSQL and a real Kafka-protocol broker.

Chosen in this order: URLs in the environment
(``GOVMEDIA_TEST_DATABASE_URL``/``GOVMEDIA_DATABASE_URL`` and
``GOVMEDIA_TEST_KAFKA_BOOTSTRAP``/``GOVMEDIA_KAFKA_BOOTSTRAP``) → testcontainers when a Docker engine
answers → the embedded stack on free ports. Never a mock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import (
    EmbeddedBroker,
    EmbeddedPostgres,
    create_databases,
    server_connection,
    with_database,
)


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
            stack.callback(pg_embedded.stop, discard=True)  # its folder (tmp) is removed next
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


# Per database server and service: the migrated template database and the migration scripts it was made from.
_TEMPLATES: dict[tuple[str, str], tuple[str, object]] = {}


async def fresh_database(infra: Infrastructure, prefix: str, service: str | None = None) -> str:
    """A new empty database (migrated to head for ``service``); returns its URL.

    A migrated one is a copy (``CREATE DATABASE … TEMPLATE``) of a template the service's migrations built
    once per test process and server (again when the scripts on disk change): running a service's
    migrations costs about a second, a copy a fifth of that, and the suite makes hundreds.
    """
    name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
    if service is None:
        await create_databases(infra.database_server_url, [name])
    else:
        await _copy(infra.database_server_url, await _template(infra, service), name)
    return with_database(infra.database_server_url, name)


async def _template(infra: Infrastructure, service: str) -> str:
    from govmedia_common.migrations import upgrade_async
    from govmedia_platform.launcher import migrations_fingerprint

    scripts = migrations_fingerprint(service)
    known = _TEMPLATES.get((infra.database_server_url, service))
    if known is not None and known[1] == scripts:
        return known[0]
    template = f"tpl_{service}_{uuid.uuid4().hex[:10]}"
    await create_databases(infra.database_server_url, [template])
    await upgrade_async(service, with_database(infra.database_server_url, template))
    # no one connects to it again (autovacuum included): a copy needs it unused
    await _admin(infra.database_server_url, f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
    _TEMPLATES[(infra.database_server_url, service)] = (template, scripts)
    return template


async def _copy(server_url: str, template: str, name: str) -> None:
    import asyncpg

    for attempt in range(20):
        try:
            await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except asyncpg.ObjectInUseError:  # a connection to the template is still closing
            if attempt == 19:
                raise
            await asyncio.sleep(0.1)


async def _admin(server_url: str, statement: str) -> None:
    conn = await server_connection(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def unique_topic() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def kafka_topics(infra: Infrastructure) -> None:
    """Every catalogue topic (and its .dlt) exists on the broker."""
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.settings import KafkaSettings

    await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
