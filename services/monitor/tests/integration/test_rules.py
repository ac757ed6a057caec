"""The time-based rules at their thresholds, run as set-based sweeps on the real database."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import orjson
import pytest
from sqlalchemy import select

from govmedia_common.db import outbox_table
from govmedia_common.envelope import from_record
from govmedia_common.events import AlertRaised, AlertResolved, InteractionSwitched
from govmedia_common.outbox import record_headers, row_headers
from govmedia_common.workdays import SHANGHAI

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

D0 = date(2025, 9, 1)


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=SHANGHAI)


async def test_not_updated_warns_at_7_and_violates_at_14_days_then_clears_when_the_account_posts(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    r = await monitor.observe(account, "区政务服务中心今天正常开放。", at=at(D0))
    assert r.status_code == 200, r.text

    await monitor.sweep(D0 + timedelta(days=6))
    assert await monitor.alerts(account, "not_updated") == []

    await monitor.sweep(D0 + timedelta(days=7))
    [warning] = await monitor.alerts(account, "not_updated")
    assert (warning.severity, warning.period, warning.state) == ("warning", "2025-09-01", "open")

    await monitor.sweep(D0 + timedelta(days=13))
    [still] = await monitor.alerts(account, "not_updated")
    assert still.severity == "warning", "day 13 is not yet a violation"

    result = await monitor.sweep(D0 + timedelta(days=14))
    [violation] = await monitor.alerts(account, "not_updated")
    # Still one alert for the silence, but a new one: consumers keyed by alert id see a violation raised.
    assert violation.id != warning.id and violation.severity == "violation"
    assert violation.detail["days_silent"] == 14 and violation.detail["escalated_from"] == "warning"
    assert violation.detail["previous_alert_id"] == warning.id
    assert result["escalated"] == {"not_updated": 1}

    again = await monitor.sweep(D0 + timedelta(days=14))
    assert again == {"raised": {}, "escalated": {}, "resolved": {}}, "a second sweep changes nothing"

    monitor.clock.set(at(D0 + timedelta(days=15)))
    await monitor.observe(account, "区政务服务中心恢复更新。", at=at(D0 + timedelta(days=15)))
    [cleared] = await monitor.alerts(account, "not_updated")
    assert (cleared.state, cleared.resolution) == ("resolved", "cleared")

    # The sweep wrote its events in SQL: they must be valid catalogue events with proper headers.
    async with monitor.sessions() as session:
        rows = (await session.execute(select(outbox_table).order_by(outbox_table.c.seq))).all()
    raised = [AlertRaised.model_validate(r.payload) for r in rows if r.type == AlertRaised.event_type]
    resolved = [AlertResolved.model_validate(r.payload) for r in rows if r.type == AlertResolved.event_type]
    raised = [e for e in raised if e.rule == "not_updated"]
    assert [(e.alert_id, e.severity) for e in raised] == [
        (warning.id, "warning"),
        (violation.id, "violation"),
    ]
    assert [(e.alert_id, e.resolution) for e in resolved] == [
        (warning.id, "escalated"),
        (violation.id, "cleared"),
    ]
    for row in rows:  # the record's headers, as the relay sends them (ce_id, ce_subject from the columns)
        h = row_headers(dict(row.headers), row.id, row.aggregateid)
        assert h["ce_id"] == row.id and h["ce_type"] == row.type
        assert h["ce_subject"] == row.aggregateid == row.payload["account_id"]
        assert from_record(
            record_headers(dict(row.headers), row.id, row.aggregateid), orjson.dumps(row.payload)
        ).event()


async def test_high_attention_accounts_violate_after_7_days(monitor: MonitorKit) -> None:
    high = await monitor.account(tier="high")
    ordinary = await monitor.account()
    for account in (high, ordinary):
        await monitor.observe(account, "今日要闻。", at=at(D0))

    await monitor.sweep(D0 + timedelta(days=6))
    assert await monitor.alerts(high, "not_updated") == []

    await monitor.sweep(D0 + timedelta(days=7))
    [h] = await monitor.alerts(high, "not_updated")
    [o] = await monitor.alerts(ordinary, "not_updated")
    assert (h.severity, h.detail["threshold_days"]) == ("violation", 7)
    assert o.severity == "warning"


async def test_an_account_that_never_posted_counts_from_the_day_it_opened_and_becomes_a_zombie_at_90(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account(opened=D0)
    await monitor.sweep(D0 + timedelta(days=89))
    assert await monitor.alerts(account, "zombie") == []
    await monitor.sweep(D0 + timedelta(days=90))
    [zombie] = await monitor.alerts(account, "zombie")
    assert zombie.detail["cleanup_candidate"] is True and zombie.severity == "warning"
    [violation] = await monitor.alerts(account, "not_updated")
    assert violation.severity == "violation"


async def test_a_regions_own_threshold_applies_to_its_subtree_only_and_may_not_loosen(
    monitor: MonitorKit,
) -> None:
    # Taizhou (331000) tightens to 10 days; Luqiao (331004) is inside it, Hangzhou's Shangcheng (330102) not.
    await monitor.region_settings("331000", {"not_updated_days": 10, "not_updated_warning_days": 5})
    # Luqiao tries to loosen to 30 days: ignored, Taizhou's 10 still applies.
    await monitor.region_settings("331004", {"not_updated_days": 30})
    inside = await monitor.account(region="331004")
    sibling = await monitor.account(region="331003")
    outside = await monitor.account(region="330102")
    for account in (inside, sibling, outside):
        await monitor.observe(account, "今日要闻。", at=at(D0))

    await monitor.sweep(D0 + timedelta(days=10))
    [a] = await monitor.alerts(inside, "not_updated")
    [b] = await monitor.alerts(sibling, "not_updated")
    [c] = await monitor.alerts(outside, "not_updated")
    assert (a.severity, a.detail["threshold_days"]) == ("violation", 10)
    assert b.severity == "violation"
    assert (c.severity, c.detail["threshold_days"]) == ("warning", 14)

    r = await monitor.office.get("/v1/settings/331004")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["settings"]["not_updated_days"] == 10 and body["set_by"]["not_updated_days"] == "331000"
    assert body["ignored"] == [
        {"region_code": "331004", "key": "not_updated_days", "value": 30, "applies": 10}
    ]

    # An invalid section (warning after violation) is recorded and not applied; the last valid one stays.
    await monitor.region_settings(
        "331000", {"not_updated_days": 10, "not_updated_warning_days": 12}, version=2
    )
    body = (await monitor.office.get("/v1/settings/331004")).json()
    assert body["settings"]["not_updated_days"] == 10
    assert [r["region_code"] for r in body["refused"]] == ["331000"]
    assert "not_updated_warning_days" in body["refused"][0]["error"]


async def test_unanswered_messages_count_working_days_across_the_national_day_holiday(
    monitor: MonitorKit,
) -> None:
    # Received on Tuesday 30 September 2025; 1–8 October are holidays, Saturday 11 October is a working day.
    account = await monitor.account()
    received = at(date(2025, 9, 30), 16)
    monitor.clock.set(received)
    r = await monitor.connector.post(
        "/v1/messages",
        json={
            "account_id": account,
            "message_id": "m-1",
            "channel": "message",
            "received_at": received.isoformat(),
        },
    )
    assert r.status_code == 200, r.text

    await monitor.sweep(date(2025, 10, 9))  # 9 calendar days later, only 1 working day
    await monitor.sweep(date(2025, 10, 13))  # working days: 9, 10, 11 (Sat, swapped), 13 → 4
    assert await monitor.alerts(account, "message_unanswered") == []

    await monitor.sweep(date(2025, 10, 14))  # 5th working day
    [warning] = await monitor.alerts(account, "message_unanswered")
    assert (warning.severity, warning.period, warning.detail["workdays_unanswered"]) == ("warning", "m-1", 5)

    await monitor.sweep(date(2025, 10, 27))  # 14th working day
    [still] = await monitor.alerts(account, "message_unanswered")
    assert still.severity == "warning"
    await monitor.sweep(date(2025, 10, 28))  # 15th working day
    [violation] = await monitor.alerts(account, "message_unanswered")
    assert (violation.severity, violation.detail["workdays_unanswered"]) == ("violation", 15)

    monitor.clock.set(at(date(2025, 10, 28), 17))
    r = await monitor.connector.post(
        "/v1/replies",
        json={
            "account_id": account,
            "message_id": "m-1",
            "answered_at": at(date(2025, 10, 28), 17).isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    [answered] = await monitor.alerts(account, "message_unanswered")
    assert (answered.state, answered.resolution) == ("resolved", "cleared")


async def test_interaction_switched_off_is_a_violation_until_it_is_switched_on(monitor: MonitorKit) -> None:
    account = await monitor.account()
    r = await monitor.connector.post(
        "/v1/interaction", json={"account_id": account, "enabled": False, "at": at(D0).isoformat()}
    )
    assert r.status_code == 200, r.text
    await monitor.sweep(D0)
    [off] = await monitor.alerts(account, "interaction_off")
    assert (off.severity, off.alert_class, off.period) == ("violation", "interaction", "2025-09-01")

    monitor.clock.set(at(D0 + timedelta(days=2)))
    r = await monitor.connector.post(
        "/v1/interaction",
        json={"account_id": account, "enabled": True, "at": at(D0 + timedelta(days=2)).isoformat()},
    )
    [on] = await monitor.alerts(account, "interaction_off")
    assert (on.state, on.resolution) == ("resolved", "cleared")
    async with monitor.sessions() as session:
        switched = (
            (
                await session.execute(
                    select(outbox_table.c.payload)
                    .where(outbox_table.c.type == InteractionSwitched.event_type)
                    .order_by(outbox_table.c.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [InteractionSwitched.model_validate(p).enabled for p in switched] == [False, True]
    result = await monitor.sweep(D0 + timedelta(days=3))
    assert "interaction_off" not in result["raised"]


async def test_the_daily_sweep_runs_by_itself_when_the_service_clock_reaches_a_new_day(
    monitor_scheduled: MonitorKit,
) -> None:
    kit = monitor_scheduled
    account = await kit.account(opened=D0)
    kit.clock.set(at(D0 + timedelta(days=14)))
    for _ in range(1800):  # up to 90 s on a busy machine (the first run also loads jieba)
        found = await kit.alerts(account, "not_updated")
        if found and found[0].severity == "violation":
            break
        await asyncio.sleep(0.05)
    [alert] = await kit.alerts(account, "not_updated")
    assert (alert.severity, alert.detail["as_of"]) == ("violation", "2025-09-15")


async def test_a_year_without_an_official_calendar_stops_only_the_message_rule_of_the_daily_sweep(
    monitor_scheduled: MonitorKit,
) -> None:
    kit = monitor_scheduled
    account = await kit.account(opened=D0)
    kit.clock.set(at(date(2099, 3, 2)))  # no working-day schedule is loaded for 2099
    for _ in range(1800):  # up to 90 s on a busy machine
        if await kit.alerts(account, "not_updated"):
            break
        await asyncio.sleep(0.05)
    [alert] = await kit.alerts(account, "not_updated")
    assert alert.detail["as_of"] == "2099-03-02"
