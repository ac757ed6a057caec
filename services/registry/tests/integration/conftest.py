"""A registry app on a fresh migrated database and the real broker, driven in-process over ASGI.

``registry`` gives each test its own database; ``module_registry`` shares one between the tests of a module
(they create their own units and people, so they stay independent) to keep the suite fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import FixedClock
from govmedia_platform.groups import own_groups, start_at_the_end
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_registry.identity import tokens
from govmedia_registry.main import create_app
from services.registry.tests.integration.factory import ADMIN_PASSWORD, START, Registry

# Argon2id with production cost takes ~0.1 s per hash and per login; the tests create a few hundred people.
# A cheap profile of the same algorithm keeps the suite fast; the hashes stay real and are verified for real.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@contextlib.asynccontextmanager
async def running_registry(infra: Infrastructure, *, consumers: bool = False) -> AsyncIterator[Registry]:
    url = await fresh_database(infra, "registry", "registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
        mp.setattr(tokens, "_hasher", _TEST_HASHER)
        # with consumers: groups of the run's own, starting at the topics' end (govmedia_platform.groups)
        kafka = (
            own_groups(infra.kafka_bootstrap, "registry")
            if consumers
            else KafkaSettings(bootstrap=infra.kafka_bootstrap)
        )
        settings = ServiceSettings(
            service_name="registry",
            environment="test",
            database_url=url,
            kafka=kafka,
            run_consumers=consumers,
            log_json=False,
            log_level="WARNING",
        )
        clock = FixedClock(START)
        app = create_app(settings, clock=clock)
        if consumers:
            await start_at_the_end(app)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                registry = Registry(client, clock, url, app)
                try:
                    yield registry
                finally:
                    await registry.aclose()


@pytest.fixture
async def registry(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Registry]:
    async with running_registry(infra) as r:
        yield r


@pytest.fixture(scope="module")
async def module_registry(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Registry]:
    async with running_registry(infra) as r:
        yield r
