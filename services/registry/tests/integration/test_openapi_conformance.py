"""schemathesis against the registry's published OpenAPI: no answer contradicts the documented status codes,
content types and response schemas (and none is a 5xx). Positive and negative requests, fixed seed.

The runner and its budget (``GOVMEDIA_CONFORMANCE_EXAMPLES`` examples per operation and mode, default 3)
are shared by the five services: :mod:`govmedia_platform.conformance`.
"""

from __future__ import annotations

import asyncio

import pytest
import requests

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import FixedClock
from govmedia_platform.conformance import run_conformance
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.sockets import serving
from govmedia_registry.identity import tokens
from govmedia_registry.main import create_app
from services.registry.tests.integration.conftest import _TEST_HASHER
from services.registry.tests.integration.factory import ADMIN_PASSWORD, START

pytestmark = pytest.mark.integration


async def test_no_response_contradicts_the_published_openapi(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "conformance_registry", "registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setattr(tokens, "_hasher", _TEST_HASHER)
        settings = ServiceSettings(
            service_name="registry",
            environment="test",
            database_url=url,
            kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
            run_consumers=False,
            log_json=False,
            log_level="ERROR",
        )
        app = create_app(settings, clock=FixedClock(START))
        async with serving(app) as base_url:
            login = await asyncio.to_thread(
                requests.post,
                f"{base_url}/v1/auth/token",
                data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            openapi = app.openapi()
            sent, failures = await asyncio.to_thread(
                run_conformance, openapi, base_url, login.json()["access_token"]
            )
    assert sent > 100, f"only {sent} requests were generated"
    assert not failures, f"{len(failures)} of {sent} responses contradict the OpenAPI:\n" + "\n".join(
        failures
    )
