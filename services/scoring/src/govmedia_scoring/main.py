"""Composition root of the scoring service: settings, app, consumers, relay, the scoring schedule."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from govmedia_common.app import Runtime, ServiceSpec
from govmedia_common.app import create_app as create_service_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.db import unit_of_work
from govmedia_common.scheduled import ScheduledTask
from govmedia_common.settings import ServiceSettings, service_settings
from govmedia_common.workdays import Clock
from govmedia_scoring.aggregates.handlers import CONSUMER_GROUPS
from govmedia_scoring.api import router
from govmedia_scoring.engine import compute
from govmedia_scoring.gauges import GAUGES

SERVICE = "scoring"
log = logging.getLogger(__name__)


class ScheduleSettings(BaseSettings):
    """When the service scores by itself, and which generation of consumers it runs (``GOVMEDIA_SCORING_*``).

    Rebuilding: point the service at a fresh database and raise ``consumer_generation``; the new consumer
    groups start from the beginning of every topic and the schedule scores the periods again.
    """

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_SCORING_", extra="ignore")

    schedule_enabled: bool = True
    schedule_interval_seconds: float = 900.0  # score the running days and weeks, recompute stale periods
    # A running month, quarter or year reads many more daily aggregates: rescored at most this often.
    schedule_long_period_hours: float = 6.0
    consumer_generation: int = 1
    gauge_refresh_seconds: float = 30.0  # how often the business gauges on /metrics are recomputed


async def run_schedule(runtime: Runtime, schedule: ScheduleSettings) -> None:
    """Score the running and just-closed periods, every period a settings change made stale and every
    closed period not scored since it closed (the service was down on the first day of the next); repeat.

    A running month, quarter or year is rescored only when its last run is older than
    ``schedule_long_period_hours``; a just-closed period and a stale one always are.
    """
    task = ScheduledTask(SERVICE, "schedule", interval_seconds=schedule.schedule_interval_seconds, log=log)
    while True:
        try:
            with task.turn():
                await score_due_periods(runtime, schedule)
        except asyncio.CancelledError:
            raise
        except Exception:
            task.log_failure("scheduled scoring failed; retrying at the next interval")
        await asyncio.sleep(schedule.schedule_interval_seconds)


async def score_due_periods(runtime: Runtime, schedule: ScheduleSettings) -> None:
    """One turn of the schedule."""
    async with unit_of_work(runtime.sessions) as session:
        today = runtime.clock.today()
        periods = set(compute.due_periods(today))
        running_long = {p for p in periods if p.kind in compute.LONG_KINDS and p.start <= today <= p.end}
        since = runtime.clock.now() - timedelta(hours=schedule.schedule_long_period_hours)
        periods -= await compute.recently_computed(session, sorted(running_long), since)
        periods |= set(await compute.stale_periods(session))
        periods |= await compute.missed_periods(session, today)
    for period in sorted(periods):
        async with unit_of_work(runtime.sessions) as session:
            await compute.compute_period(session, period, now=runtime.clock.now())


def _start_schedule(schedule: ScheduleSettings):  # type: ignore[no-untyped-def]
    async def on_startup(runtime: Runtime) -> None:
        if schedule.schedule_enabled and runtime.settings.run_consumers:
            runtime.tasks.append(asyncio.create_task(run_schedule(runtime, schedule)))

    return on_startup


def spec(schedule: ScheduleSettings | None = None) -> ServiceSpec:
    schedule = schedule or ScheduleSettings()
    groups = {f"{name}-v{schedule.consumer_generation}": h for name, h in CONSUMER_GROUPS.items()}
    return ServiceSpec(
        name=SERVICE,
        title="govmedia scoring — 指数评价",
        description=(
            "Five indices per account and period (勤勉 diligence, 效果 effect, 内容 content, 集群 cluster, "
            "成长 growth), the composite and the pass/fail verdict, each explained by its inputs, parts, "
            "weights and veto rules; rankings, the public leaderboard (晾晒台), distributions and the "
            "statistics form. Errors are RFC 9457 problem+json."
        ),
        routers=[router],
        consumer_groups=groups,
        on_startup=_start_schedule(schedule),
        gauges=GAUGES,
        gauge_refresh_seconds=schedule.gauge_refresh_seconds,
        openapi_tags=[
            {"name": "scores", "description": "Explained scores, recomputation, the rules in force"},
            {"name": "rankings", "description": "Rankings within region, level and platform"},
            {"name": "public", "description": "晾晒台: what the public may see, without signing in"},
            {"name": "reports", "description": "Distributions and the statistics form"},
        ],
    )


SPEC = spec()


def create_app(
    settings: ServiceSettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    schedule: ScheduleSettings | None = None,
) -> FastAPI:
    """Build the scoring app (``uvicorn govmedia_scoring.main:create_app --factory``)."""
    return create_service_app(
        spec(schedule) if schedule else SPEC,
        settings or service_settings(SERVICE),
        verifier=verifier,
        clock=clock,
    )
