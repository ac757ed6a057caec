"""Composition root of the notify service: settings, app, consumers, relay, dispatcher and sweep."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from govmedia_common.app import Runtime, ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.devclock import service_clock
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock, WorkCalendar
from govmedia_notify.bulletins.api import router as bulletins_router
from govmedia_notify.cases.api import router as cases_router
from govmedia_notify.cases.handlers import alert_handlers
from govmedia_notify.channels.api import router as channels_router
from govmedia_notify.channels.service import SETTINGS_KEY, Dispatcher, not_configured, show_channels
from govmedia_notify.channels.webhooks import webhooks
from govmedia_notify.directory.handlers import DIRECTORY_HANDLERS, SCORE_HANDLERS, calendar_handlers
from govmedia_notify.gauges import GAUGES
from govmedia_notify.ladder.api import router as ladder_router
from govmedia_notify.settings import NotifySettings
from govmedia_notify.sweep import Sweeper

SERVICE = "notify"

log = logging.getLogger(__name__)


async def start_background(runtime: Runtime) -> None:
    """Start the delivery dispatcher and the scheduled sweep (each optional, for tests and replicas)."""
    settings = runtime.component(NotifySettings)
    show_channels(settings)
    for channel, why in not_configured(settings).items():  # once at startup; GET /v1/channels says it too
        log.warning("delivery channel %s not configured: %s", channel, why)
    if settings.run_dispatcher:
        dispatcher = runtime.component(Dispatcher)

        async def dispatch() -> None:
            try:
                await dispatcher.run()
            finally:
                await dispatcher.close()

        runtime.tasks.append(asyncio.create_task(dispatch()))
    if settings.run_sweeper:
        sweeper = Sweeper(
            runtime.sessions, runtime.clock, settings.sweep_interval_seconds, settings.delivery_retention_days
        )
        runtime.tasks.append(asyncio.create_task(sweeper.run()))


def spec(clock: Clock, calendar: WorkCalendar) -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE,
        title="govmedia notify — 通报整改",
        description=(
            "Cases opened by violation alerts: immediate notices (即时通报), rectification reports "
            "signed and sealed, daily reminders outside quiet hours, escalation, the 二四六 interview "
            "ladder, forced-closure recommendations, periodic bulletins (通报) as HTML and PDF; in-app "
            "inbox, e-mail, SMS and signed webhooks with durable, retried deliveries. Errors are RFC 9457 "
            "problem+json."
        ),
        routers=[cases_router, ladder_router, channels_router, bulletins_router],
        gauges=GAUGES,
        consumer_groups={
            "alerts": alert_handlers(clock, calendar),
            "directory": {**DIRECTORY_HANDLERS, **calendar_handlers(calendar)},
            "scores": SCORE_HANDLERS,
        },
        on_startup=start_background,
        openapi_tags=[
            {"name": "cases", "description": "Rectification cases, reports and decisions"},
            {"name": "interviews", "description": "约谈: the 二四六 ladder"},
            {"name": "inbox", "description": "In-app messages of your unit or office"},
            {"name": "webhooks", "description": "Subscriptions, deliveries and the dead list"},
            {"name": "bulletins", "description": "通报: weekly, monthly, quarterly bulletins"},
        ],
    )


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    calendar: WorkCalendar | None = None,
) -> FastAPI:
    """Build the notify app (``uvicorn govmedia_notify.main:create_app --factory``)."""
    from_env = service_settings(SERVICE, NotifySettings)
    if settings is None:
        settings = from_env
    elif not isinstance(settings, NotifySettings):  # plain service settings: notify's own come from the env
        settings = NotifySettings.model_validate({**from_env.model_dump(), **settings.model_dump()})
    clock = clock or service_clock(settings.environment)
    calendar = calendar or WorkCalendar()
    app = create_service_app(spec(clock, calendar), settings, verifier=verifier, clock=clock)
    runtime: Runtime = app.state.runtime
    runtime.provide(settings)
    runtime.sessions.configure(info={SETTINGS_KEY: settings})  # which channels fan-out may write
    runtime.provide(calendar)
    runtime.provide(Dispatcher(runtime.sessions, settings, clock))
    app.webhooks.include_router(webhooks)  # what subscribers receive, in the OpenAPI document
    return app
