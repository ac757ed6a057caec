"""Composition root of the review service: settings, app, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from govmedia_common.app import ServiceSpec, create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock

SERVICE = "review"

SPEC = ServiceSpec(
    name=SERVICE,
    title="govmedia review — 先审后发",
    description="Machine check (风险识别) and level-by-level human review of every post before it is published; joint pushes (联动推送).",
    routers=[],
    consumer_groups={},
)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the review app (``uvicorn govmedia_review.main:create_app --factory``)."""
    return create_service_app(SPEC, settings or service_settings(SERVICE), verifier=verifier, clock=clock)
