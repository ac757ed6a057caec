"""Composition root of the registry service: settings, app, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from govmedia_common.app import ServiceSpec, create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock

SERVICE = "registry"

SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia registry — 政务新媒体备案登记",
    description="System of record for government new-media accounts and their filings (备案), regions, units, people, machine clients, tokens and the audit log.",
    routers=[],
    consumer_groups={},
)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the registry app (``uvicorn govmedia_registry.main:create_app --factory``)."""
    return create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
