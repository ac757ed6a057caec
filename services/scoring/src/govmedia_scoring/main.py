"""Composition root of the scoring service: settings, app, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from govmedia_common.app import ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock

SERVICE = "scoring"

SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia scoring — 指数评价",
    description=(
        "Five indices per account (diligence, effect, content, cluster, growth), "
        "composite scores, rankings and pass/fail per period."
    ),
    routers=[],
    consumer_groups={},
)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the scoring app (``uvicorn govmedia_scoring.main:create_app --factory``)."""
    return create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
