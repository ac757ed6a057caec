"""Registry and review served by uvicorn on real sockets, on fresh databases and the real broker.

The review verifies tokens against the registry's JWKS over HTTP, exactly as in production, so a test can
sign in at the registry and use the same token at the review.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from govmedia_common.workdays import FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.hostile.harness import (
    ADMIN_PASSWORD,
    START,
    Served,
    Setup,
    registry_settings,
    service_settings_for,
    serving,
)


@pytest.fixture(scope="module")
async def served(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Served]:
    from govmedia_registry.main import create_app as create_registry
    from govmedia_review.main import create_app as create_review

    registry_db = await fresh_database(infra, "hostile_registry", "registry")
    review_db = await fresh_database(infra, "hostile_review", "review")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
        clock = FixedClock(START)
        registry_app = create_registry(
            registry_settings(registry_db, infra, trusted_proxies="127.0.0.2"), clock=clock
        )
        async with serving(registry_app) as registry_url:
            # No verifier given: the review builds its production one from settings (JWKS and the
            # revocation feed beside it, both at the registry).
            review_app = create_review(
                service_settings_for(
                    "review", review_db, infra, jwks_url=f"{registry_url}/.well-known/jwks.json"
                ),
                clock=clock,
            )
            async with serving(review_app) as review_url:
                transport = httpx.ASGITransport(app=registry_app)
                async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                    yield Served(
                        registry_url, review_url, Setup(client), registry_app, review_app, registry_db, clock
                    )
