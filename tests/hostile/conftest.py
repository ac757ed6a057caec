"""Registry and review served by uvicorn on real sockets, on fresh databases and the real broker.

The review verifies tokens against the registry's JWKS over HTTP, exactly as in production, so a test can
sign in at the registry and use the same token at the review.
"""

from __future__ import annotations

import contextlib
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
from tests.hostile.supervision import Supervision, serve_supervision


@contextlib.asynccontextmanager
async def _serve(infra: Infrastructure, *, with_review: bool) -> AsyncIterator[Served]:
    from govmedia_registry.main import create_app as create_registry

    registry_db = await fresh_database(infra, "hostile_registry", "registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
        clock = FixedClock(START)
        registry_app = create_registry(
            registry_settings(registry_db, infra, trusted_proxies="127.0.0.2"), clock=clock
        )
        async with contextlib.AsyncExitStack() as stack:
            registry_url = await stack.enter_async_context(serving(registry_app))
            review_url, review_app = "", None
            if with_review:
                from govmedia_review.main import create_app as create_review

                review_db = await fresh_database(infra, "hostile_review", "review")
                # No verifier given: the review builds its production one from settings (JWKS and the
                # revocation feed beside it, both at the registry).
                review_app = create_review(
                    service_settings_for(
                        "review", review_db, infra, jwks_url=f"{registry_url}/.well-known/jwks.json"
                    ),
                    clock=clock,
                )
                review_url = await stack.enter_async_context(serving(review_app))
            transport = httpx.ASGITransport(app=registry_app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://registry")
            )
            yield Served(
                registry_url, review_url, Setup(client), registry_app, review_app, registry_db, clock
            )


@pytest.fixture(scope="module")
async def served(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Served]:
    """Registry and review on sockets (a fresh pair per test module)."""
    async with _serve(infra, with_review=True) as s:
        yield s


@pytest.fixture(scope="module")
async def served_registry(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Served]:
    """Only the registry on a socket (``review_url`` is empty)."""
    async with _serve(infra, with_review=False) as s:
        yield s


@pytest.fixture(scope="module")
async def supervision(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Supervision]:
    """Monitor, notify and scoring on sockets (a fresh trio per test module)."""
    async with serve_supervision(infra) as s:
        yield s
