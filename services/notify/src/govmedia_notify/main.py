"""Composition root of the notify service: settings, app, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from govmedia_common.app import ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock

SERVICE = "notify"

SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia notify — 通报整改",
    description=(
        "Notices, rectification cases with signed reports and deadlines, reminders and "
        "the 2/4/6 interview ladder."
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
    """Build the notify app (``uvicorn govmedia_notify.main:create_app --factory``)."""
    return create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
