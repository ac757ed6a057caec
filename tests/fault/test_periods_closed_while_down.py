"""A scoring period that closes while the scoring service is down (killed, crash-looping, a maintenance
window) is still scored once, after it closed, when the service is back.

The schedule scores the running periods and, on the first day of a new period, the one that just closed.
A service that is not running on that first day (the week closed on Sunday night; scoring came back on
Tuesday) must still give the closed period its final scores: the facts of its last days count, and the
days it was down for entirely are scored too.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertRaised
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_scoring.aggregates.handlers import apply_batch
from govmedia_scoring.main import ScheduleSettings, score_due_periods
from tests.fault.jobs_kit import quiet
from tests.hostile.consumer_kit import Running, opened, raised

pytestmark = pytest.mark.integration

WEEK = (
    "SELECT passed, veto_reasons FROM scores "
    "WHERE account_id = :a AND period_kind = 'week' AND period_start = :s"
)
RUNS = "SELECT period_kind, period_start FROM score_runs WHERE computed_at = :t ORDER BY 1, 2"


async def apply(scoring: Running, *events: Event) -> None:
    """Hand events to scoring's aggregates as its consumer does (one batch)."""
    async with scoring.sessions() as session, session.begin():
        await apply_batch(session, events)


async def test_a_week_that_closed_while_scoring_was_down_gets_its_final_scores_when_it_is_back(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_scoring", "scoring")
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    clock = FixedClock(friday)
    schedule = ScheduleSettings(schedule_enabled=False)
    account = str(uuid.uuid4())
    async with quiet(infra, "scoring", url=url, clock=clock) as scoring:
        await apply(scoring, opened(account))
        await score_due_periods(scoring.app.state.runtime, schedule)  # the running week, as every turn
        assert await scoring.sql(WEEK, a=account, s=date(2026, 11, 16)) == [(True, [])]
    # Down from Friday morning to Tuesday. On Saturday the account broke the not-updated rule: the monitor's
    # alert waits on the topic and is read when scoring is back.
    saturday = datetime(2026, 11, 21, 2, 0, tzinfo=SHANGHAI)
    alert: AlertRaised = raised(account).model_copy(update={"occurred_at": saturday, "period": "2026-11-07"})
    tuesday = clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    async with quiet(infra, "scoring", url=url, clock=clock) as scoring:
        await apply(scoring, alert)
        await score_due_periods(scoring.app.state.runtime, schedule)
        [(passed, vetoes)] = await scoring.sql(WEEK, a=account, s=date(2026, 11, 16))
        assert not passed and vetoes, "the closed week kept the scores it had on Friday"
        scored = {(k, s) for k, s in await scoring.sql(RUNS, t=tuesday)}
        # the days it was down for, the closed week and the running periods
        for day in (21, 22, 23):
            assert ("day", date(2026, 11, day)) in scored, scored
        assert ("week", date(2026, 11, 16)) in scored and ("week", date(2026, 11, 23)) in scored
        # and once only: the next turn scores the running periods, not the closed ones again
        later = clock.advance(minutes=15)
        await score_due_periods(scoring.app.state.runtime, schedule)
        again = {(k, s) for k, s in await scoring.sql(RUNS, t=later)}
        assert ("week", date(2026, 11, 16)) not in again and ("day", date(2026, 11, 21)) not in again, again
