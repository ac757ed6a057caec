"""Composition root of the monitor service: settings, app, consumers, relay, the daily sweep."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date

import httpx
from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from govmedia_common.app import Runtime, ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.db import unit_of_work
from govmedia_common.errors import DomainError
from govmedia_common.events import AlertRule
from govmedia_common.scheduled import ScheduledTask
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock
from govmedia_monitor.api import router
from govmedia_monitor.gauges import GAUGES
from govmedia_monitor.handlers import ACCOUNT_HANDLERS, LEXICON_HANDLERS, POST_HANDLERS, SETTINGS_HANDLERS
from govmedia_monitor.hotwords import service as hotwords
from govmedia_monitor.observations.checking import CheckerCache
from govmedia_monitor.observations.lexicon_fetch import LexiconFetchSettings, fetch_loop
from govmedia_monitor.observations.lexicon_fetch import set_state as set_lexicon_fetch_state
from govmedia_monitor.rules import calendar, sweeps

SERVICE = "monitor"
log = logging.getLogger(__name__)


class SchedulerSettings(BaseSettings):
    """The sweep schedule (``GOVMEDIA_MONITOR_SWEEP_*``)."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_MONITOR_", extra="ignore")

    sweep_enabled: bool = True
    # How often the service clock is looked at; a sweep runs once per new day on that clock.
    sweep_poll_seconds: float = 60.0


async def daily_sweeps(runtime: Runtime, poll_seconds: float) -> None:
    """Run the time-based rules and mine hot words once per day of the service clock (a clock moved by a
    demo or test drives it too). Its turns are counted as the scheduled task ``daily-sweep`` (a turn that
    fails is tried again at the next poll)."""
    task = ScheduledTask(SERVICE, "daily-sweep", interval_seconds=86400.0 + poll_seconds, log=log)
    last: date | None = None
    while True:
        today = runtime.clock.today()
        if today != last:
            try:
                with task.turn():
                    result = await _sweep_day(runtime, today)
                log.info("daily sweep done", extra={"as_of": str(today), "raised": dict(result.raised)})
                last = today
            except Exception:
                task.log_failure("daily sweep failed; retrying at the next poll")
        await asyncio.sleep(poll_seconds)


async def _sweep_day(runtime: Runtime, today: date) -> sweeps.SweepResult:
    """One day's sweep and hot words: today's, and those of the days of the last week not mined since they
    ended (hotwords.days_to_mine)."""
    try:
        async with unit_of_work(runtime.sessions) as session:
            result = await sweeps.run(session, as_of=today, now=runtime.clock.now())
    except DomainError as exc:
        if exc.code != "calendar-year-unknown":
            raise
        # No official schedule for this year yet: the other rules must not wait for it.
        log.error("unanswered messages not swept: %s", exc.detail)
        others = tuple(r for r in sweeps.SQL if r is not AlertRule.MESSAGE_UNANSWERED)
        async with unit_of_work(runtime.sessions) as session:
            result = await sweeps.run(session, as_of=today, now=runtime.clock.now(), rules=others)
    async with unit_of_work(runtime.sessions) as session:
        days = await hotwords.days_to_mine(session, today)
    for day, since in days:  # one transaction each: a turn killed half-way leaves fewer days for the next
        # A day that ended is done once mined after its end (or after its late posts), today once mined
        # today (by another replica's turn meanwhile, too): each is announced once.
        async with unit_of_work(runtime.sessions) as session:
            await hotwords.mine_day(session, day, now=runtime.clock.now(), unless_mined_since=since)
    return result


@dataclass(frozen=True)
class LexiconFetch:
    """How large lexicon lists are fetched from the review (transports: in-process services in tests)."""

    settings: LexiconFetchSettings
    review_transport: httpx.AsyncBaseTransport | None = None
    registry_transport: httpx.AsyncBaseTransport | None = None


def make_startup(schedule: SchedulerSettings, fetch: LexiconFetch):  # type: ignore[no-untyped-def]
    async def bootstrap(runtime: Runtime) -> None:
        """Store the package's working-day years; start the daily sweep and the lexicon fetcher."""
        async with unit_of_work(runtime.sessions) as session:
            added = await calendar.load_package_years(session)
        if added:
            log.info("stored working-day calendar years", extra={"years": [min(added), max(added)]})
        if schedule.sweep_enabled:
            runtime.tasks.append(asyncio.create_task(daily_sweeps(runtime, schedule.sweep_poll_seconds)))
        if fetch.settings.configured:
            loop = fetch_loop(
                fetch.settings,
                runtime.sessions,
                review_transport=fetch.review_transport,
                registry_transport=fetch.registry_transport,
            )
            runtime.tasks.append(asyncio.create_task(loop))
        else:
            set_lexicon_fetch_state("not_configured")
            log.warning(
                "GOVMEDIA_MONITOR_REVIEW_URL/REGISTRY_URL not set: lexicon lists too large to travel inline "
                "are not fetched (the check runs without them)"
            )

    return bootstrap


def spec(schedule: SchedulerSettings, fetch: LexiconFetch | None = None) -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE,
        title="govmedia monitor — 运行监测",
        description=(
            "Watches what actually happens on the platforms: ingest of observed posts, metrics, messages "
            "and the interaction switch; matching against approved posts (双向反馈); rules as daily "
            "set-based sweeps (not updated, zombie, interaction, unanswered messages) and on observation "
            "(未审先发, mismatch, machine check, overrides); alerts; hot words (热词). Errors are RFC 9457 "
            "problem+json."
        ),
        routers=[router],
        consumer_groups={
            "accounts": ACCOUNT_HANDLERS,
            "settings": SETTINGS_HANDLERS,
            "posts": POST_HANDLERS,
            "lexicons": LEXICON_HANDLERS,
        },
        on_startup=make_startup(schedule, fetch or LexiconFetch(LexiconFetchSettings())),
        gauges=GAUGES,
        openapi_tags=[
            {"name": "ingest", "description": "What the platforms show, single and bulk; idempotent"},
            {"name": "observations", "description": "Observed posts with their match to approved posts"},
            {"name": "alerts", "description": "Alerts, filters, dismissal"},
            {"name": "rules", "description": "Sweeps of the time-based rules and their thresholds"},
            {"name": "hot words", "description": "热词: daily keywords per region and their trend"},
        ],
    )


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    schedule: SchedulerSettings | None = None,
    lexicon_fetch: LexiconFetch | None = None,
) -> FastAPI:
    """Build the monitor app (``uvicorn govmedia_monitor.main:create_app --factory``)."""
    app = create_service_app(
        spec(schedule or SchedulerSettings(), lexicon_fetch),
        settings or service_settings(SERVICE),
        verifier=verifier,
        clock=clock,
    )
    app.state.runtime.provide(CheckerCache())
    return app
