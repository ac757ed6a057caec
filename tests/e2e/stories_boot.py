"""Starting the stories' platform: the five apps in-process with their relays and consumers, the registry's
JWKS as the others' key source, and every consumer group placed where the topics ended before it started."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings
from govmedia_common.workdays import FixedClock
from govmedia_platform.groups import exact_ends, own_groups, start_groups_at
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.stack import SERVICES
from tests.e2e.stories_kit import ADMIN_PASSWORD, START, Platform


def _verifier(registry: httpx.AsyncClient) -> TokenVerifier:
    async def keys() -> dict[str, Any]:
        r = await registry.get("/.well-known/jwks.json")
        r.raise_for_status()
        return dict(r.json())

    return TokenVerifier(
        issuer="govmedia-registry",
        audience="govmedia",
        jwks_loader=keys,
        cache_seconds=30,
        min_refresh_seconds=0.0,
    )


async def _monitor_lexicon_fetch(platform: Platform, monitor_main: Any) -> Any:
    """The monitor's machine client (review:read in the province), provisioned as `govmedia up` does, and
    in-process routes to the review (large lexicon lists) and the registry (its tokens)."""
    from govmedia_monitor.observations.lexicon_fetch import LexiconFetchSettings

    created = await platform.ok(
        "registry",
        "POST",
        "/v1/clients",
        json={"name": "运行监测词库读取", "region_code": "330000", "scopes": ["review:read"]},
    )
    settings = LexiconFetchSettings(
        review_url="http://review",
        registry_url="http://registry",
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        lexicon_fetch_poll_seconds=1.0,
    )
    return monitor_main.LexiconFetch(
        settings,
        review_transport=httpx.ASGITransport(app=platform.apps["review"]),
        registry_transport=httpx.ASGITransport(app=platform.apps["registry"]),
    )


@contextlib.asynccontextmanager
async def running_platform(infra: Infrastructure, prefix: str = "stories") -> AsyncIterator[Platform]:
    """All five services with relays and consumers, fresh databases, one FixedClock at :data:`START`."""
    clock = FixedClock(START)
    platform = Platform(clock)
    kafka = own_groups(infra.kafka_bootstrap, prefix)
    platform.kafka = kafka
    # What this platform's consumers skip: earlier tests' records. The positions are taken before the first
    # service starts, not as each starts: the services started earlier have published since (the review its
    # starter lexicons as it started), and a group placed at the end would skip those, or not, by timing.
    before = await exact_ends(kafka.bootstrap)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
        async with contextlib.AsyncExitStack() as stack:
            verifier: TokenVerifier | None = None
            for service in SERVICES:  # the registry first: the others verify its tokens
                url = await fresh_database(infra, f"{prefix}_{service}", service)
                main = importlib.import_module(f"govmedia_{service}.main")
                params: dict[str, Any] = {
                    "service_name": service,
                    "environment": "test",
                    "database_url": url,
                    "kafka": kafka,
                    "log_json": False,
                    "log_level": "WARNING",
                    "relay_idle_sleep_seconds": 0.05,
                }
                kwargs: dict[str, Any] = {"clock": clock}
                if service != "registry":
                    kwargs["verifier"] = verifier
                if service == "monitor":  # the stories run the monitor's sweeps themselves, with as_of days
                    kwargs["schedule"] = main.SchedulerSettings(sweep_enabled=False)
                    kwargs["lexicon_fetch"] = await _monitor_lexicon_fetch(platform, main)
                app = main.create_app(ServiceSettings(**params), **kwargs)
                await start_groups_at(kafka, service, app.state.spec.consumer_groups, before)
                manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=60))
                platform.apps[service] = app
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{service}"
                )
                await stack.enter_async_context(client)
                platform.http[service] = client
                if service == "registry":
                    verifier = _verifier(client)
                    platform.admin = await platform.token("admin", ADMIN_PASSWORD)
            yield platform
