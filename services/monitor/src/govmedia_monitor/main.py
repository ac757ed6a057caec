"""Composition root of the monitor service: settings, app, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from govmedia_common.app import ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock

SERVICE = "monitor"

SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia monitor — 运行监测",
    description=(
        "Watches what actually happens on the platforms: silence, zombie accounts, "
        "unanswered messages, unreviewed or altered publications; raises alerts."
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
    """Build the monitor app (``uvicorn govmedia_monitor.main:create_app --factory``)."""
    return create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
