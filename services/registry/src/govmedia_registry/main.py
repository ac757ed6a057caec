"""Composition root of the registry service: settings, app, startup seeding, the due-filings loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from govmedia_common.app import Runtime, ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import RevocationList, TokenVerifier
from govmedia_common.db import unit_of_work
from govmedia_common.settings import ServiceSettings
from govmedia_common.workdays import Clock, SystemClock
from govmedia_registry import uniqueness  # noqa: F401  (names the database's uniqueness rules)
from govmedia_registry.api import router
from govmedia_registry.data import load_regions
from govmedia_registry.filings.closure import closure_handlers
from govmedia_registry.filings.effects import apply_due
from govmedia_registry.gauges import GAUGES
from govmedia_registry.identity.revocation import feed as revocation_feed
from govmedia_registry.identity.service import bootstrap_administrator
from govmedia_registry.identity.tokens import active_key, published_jwks
from govmedia_registry.openapi import install as install_openapi
from govmedia_registry.regions.service import seed_regions
from govmedia_registry.settings import SERVICE, RegistrySettings, registry_settings

log = logging.getLogger(__name__)


def bootstrapper(settings: RegistrySettings) -> Callable[[Runtime], Awaitable[None]]:
    """Regions, a signing key and a first administrator, so a new installation can be used at once."""

    async def bootstrap(runtime: Runtime) -> None:
        async with unit_of_work(runtime.sessions) as session:
            added = await seed_regions(session, load_regions(settings.regions_file))
            if added:
                log.info(
                    "loaded regions",
                    extra={"added": added, "file": str(settings.regions_file or "starter set")},
                )
            await active_key(session)
            await bootstrap_administrator(session, settings, runtime.clock)
        if settings.run_relay:
            runtime.tasks.append(asyncio.create_task(_apply_due_loop(runtime)))

    return bootstrap


async def _apply_due_loop(runtime: Runtime, every_seconds: float = 60.0) -> None:
    """Filings whose public announcement has ended take effect (minute resolution is plenty for days)."""
    while True:
        try:
            async with unit_of_work(runtime.sessions) as session:
                applied = await apply_due(session, runtime.clock)
            if applied:
                log.info("filings took effect", extra={"applied": applied})
                if runtime.relay is not None:
                    runtime.relay.wake()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("applying due filings failed; will retry")
        await asyncio.sleep(every_seconds)


def spec(settings: RegistrySettings, clock: Callable[[], Clock] | None = None) -> ServiceSpec:
    """The registry's shape; ``clock`` gives the service clock to its consumers (once the runtime exists)."""
    clock = clock or SystemClock
    return ServiceSpec(
        name=SERVICE,
        title="govmedia registry — 政务新媒体备案登记",
        description=(
            "System of record for government new-media accounts (政务新媒体) and their filings "
            "(备案: 开设, 变更, 整合, 关停, 注销), approved level by level; regions, units, people, "
            "machine clients, tokens (JWKS) and the append-only audit log. "
            "Errors are RFC 9457 problem+json."
        ),
        routers=[router],
        gauges=GAUGES,
        # Forced-closure recommendations (notify) open deregistration filings (filings/closure.py).
        consumer_groups={"closures": closure_handlers(clock)},
        on_startup=bootstrapper(settings),
        openapi_tags=[
            {
                "name": "identity",
                "description": "Tokens (password and client credentials), JWKS, machine clients",
            },
            {"name": "filings", "description": "备案: opening, change, merge, suspension, deregistration"},
            {"name": "accounts", "description": "政务新媒体账号 and their history"},
            {"name": "regions", "description": "行政区划 and per-region settings"},
            {"name": "calendar", "description": "Official working days (节假日安排, 调休)"},
            {"name": "units"},
            {"name": "people"},
            {"name": "audit"},
            {"name": "reports"},
            {"name": "public", "description": "公示: open to everyone, no token"},
            {"name": "operations"},
        ],
    )


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the registry app (``uvicorn govmedia_registry.main:create_app --factory``)."""
    own = registry_settings(settings)
    holder: dict[str, Runtime] = {}

    async def own_keys() -> dict[str, object]:
        # The registry verifies its own tokens from its database: no HTTP round trip to itself.
        async with unit_of_work(holder["runtime"].sessions) as session:
            return await published_jwks(session)

    async def own_revocations(after: int) -> dict[str, Any]:
        # Revoked tokens (identity/revocation) from the registry's own database, like its keys.
        async with unit_of_work(holder["runtime"].sessions) as session:
            return await revocation_feed(session, after)

    verifier = verifier or TokenVerifier(
        issuer=own.token_issuer,
        audience=own.token_audience,
        jwks_loader=own_keys,
        cache_seconds=30,
        min_refresh_seconds=0.0,
        revocations=RevocationList(
            loader=own_revocations, poll_seconds=own.revocation_poll_seconds, service=own.service_name
        ),
    )
    app = create_service_app(
        spec(own, clock=lambda: holder["runtime"].clock), own, verifier=verifier, clock=clock
    )
    install_openapi(app)
    holder["runtime"] = app.state.runtime
    return app
