"""Composition root of the review service: settings, app, consumers, relay, startup seeding."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from govmedia_common.app import Runtime, ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.db import unit_of_work
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock
from govmedia_review import lexicons
from govmedia_review.api import router
from govmedia_review.gauges import GAUGES
from govmedia_review.handlers import ACCOUNT_HANDLERS

SERVICE = "review"
log = logging.getLogger(__name__)


async def bootstrap(runtime: Runtime) -> None:
    """Load the starter lexicons into an empty database, so a new installation can check posts at once."""
    async with unit_of_work(runtime.sessions) as session:
        added = await lexicons.seed_lexicons(session, runtime.clock.now())
    if added:
        log.info("loaded the starter lexicons", extra={"kinds": added})


SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia review — 先审后发",
    description=(
        "Machine check (风险识别) and level-by-level human review (初审, 复审, 终审) of every post "
        "before it is published, with separation of duties and audited overrides; versioned "
        "lexicons; joint pushes (联动推送) and their completion rate. Errors are RFC 9457 problem+json."
    ),
    routers=[router],
    gauges=GAUGES,
    consumer_groups={"accounts": ACCOUNT_HANDLERS},
    on_startup=bootstrap,
    openapi_tags=[
        {"name": "posts", "description": "Submission, review level by level, publication"},
        {"name": "checks", "description": "The machine check without a post (pre-check)"},
        {"name": "lexicons", "description": "Versioned lexicons the machine check uses"},
        {"name": "campaigns", "description": "联动推送: joint pushes and their completion"},
    ],
)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the review app (``uvicorn govmedia_review.main:create_app --factory``)."""
    app = create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
    app.state.runtime.provide(lexicons.EngineCache())
    return app
