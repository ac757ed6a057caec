"""Business gauges are computed by SQL over a service's own database and follow it: new series appear,
vanished ones disappear, a failing query keeps the last values and is counted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import text

from govmedia_common.db import session_factory
from govmedia_common.gauges import GAUGE_ERRORS, BusinessGauges, SqlGauge

if TYPE_CHECKING:
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


def _scrape() -> str:
    return generate_latest(REGISTRY).decode()


async def test_gauges_follow_the_database_and_survive_a_failing_query(kit: PlumbingKit) -> None:
    engine = await kit.database("gauges", "CREATE TABLE alerts (category text, state text)")
    sessions = session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO alerts VALUES ('not_updated','open'),('not_updated','open'),('serious','open')")
        )
    open_alerts = SqlGauge(
        "govmedia_test_alerts_open",
        "Open alerts by category (test).",
        "SELECT category, count(*) FROM alerts WHERE state = 'open' GROUP BY category",
        labels=("category",),
    )
    broken = SqlGauge(
        "govmedia_test_broken", "A gauge whose table does not exist.", "SELECT count(*) FROM nope"
    )
    gauges = BusinessGauges("gaugetest", [open_alerts, broken])
    gauges.activate()
    try:
        await gauges.refresh(sessions)
        body = _scrape()
        assert 'govmedia_test_alerts_open{category="not_updated",service="gaugetest"} 2.0' in body
        assert 'govmedia_test_alerts_open{category="serious",service="gaugetest"} 1.0' in body
        errors_before = GAUGE_ERRORS.labels("gaugetest", "govmedia_test_broken")._value.get()
        assert errors_before == 1

        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alerts SET state = 'resolved' WHERE category = 'serious'"))
        await gauges.refresh(sessions)
        body = _scrape()
        assert 'category="serious"' not in body, "a series whose rows vanished must vanish too"
        assert 'govmedia_test_alerts_open{category="not_updated",service="gaugetest"} 2.0' in body
        assert GAUGE_ERRORS.labels("gaugetest", "govmedia_test_broken")._value.get() == 2
    finally:
        gauges.deactivate()
    assert "govmedia_test_alerts_open{" not in _scrape()


async def test_a_gauge_of_the_time_of_day_follows_the_service_clock_not_the_databases(
    kit: PlumbingKit,
) -> None:
    from datetime import date, datetime

    from govmedia_common.workdays import SHANGHAI, FixedClock

    engine = await kit.database(
        "gauges_clock", "CREATE TABLE cases (rectify_by date, updated_at timestamptz)"
    )
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO cases VALUES ('2031-03-10', '2031-03-11 08:00+08'), ('2031-03-20', NULL)")
        )
    overdue = SqlGauge(
        "govmedia_test_overdue",
        "Cases past their deadline (test).",
        "SELECT count(*) FROM cases WHERE rectify_by < :today",
    )
    recent = SqlGauge(
        "govmedia_test_recent",
        "Cases changed within a day (test).",
        "SELECT count(*) FROM cases WHERE updated_at > CAST(:now AS timestamptz) - interval '1 day'",
    )
    clock = FixedClock(datetime(2031, 3, 11, 12, 0, tzinfo=SHANGHAI))
    gauges = BusinessGauges("gaugeclock", [overdue, recent], clock)
    gauges.activate()
    try:
        await gauges.refresh(session_factory(engine))
        body = _scrape()
        assert 'govmedia_test_overdue{service="gaugeclock"} 1.0' in body  # in 2031, not today's date
        assert 'govmedia_test_recent{service="gaugeclock"} 1.0' in body
        clock.set(datetime(2031, 3, 25, 12, 0, tzinfo=SHANGHAI))
        await gauges.refresh(session_factory(engine))
        body = _scrape()
        assert 'govmedia_test_overdue{service="gaugeclock"} 2.0' in body
        assert 'govmedia_test_recent{service="gaugeclock"} 0.0' in body
        assert clock.today() == date(2031, 3, 25)
    finally:
        gauges.deactivate()
