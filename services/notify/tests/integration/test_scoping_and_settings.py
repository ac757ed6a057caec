"""Who sees which cases (region subtree, own unit), bad input answered as problems, region settings that
tighten the deadline down the tree but never loosen it, and working days of a year the registry loads."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.events.registry import RegionSettingsChanged, WorkCalendarLoaded
from govmedia_common.pagination import encode_cursor
from govmedia_common.workdays import SHANGHAI, WorkCalendar
from govmedia_notify.directory.handlers import calendar_handlers, on_region_settings

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration
T = datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI)


def settings(region: str, version: int, **notify: Any) -> RegionSettingsChanged:
    return RegionSettingsChanged(
        occurred_at=T,
        region_code=region,
        settings={"notify": notify},
        changed_keys=("notify",),
        version=version,
        actor_id="admin",
    )


async def test_cases_are_scoped_to_the_region_subtree_and_to_the_own_unit(notify: NotifyKit) -> None:
    kit = notify
    city = kit.person("市办", ["office_staff"], unit=None, region="331000")
    county = await kit.office()
    other_county = kit.person("黄岩区办", ["office_staff"], unit=None, region="331003")
    a = await kit.unit("路桥区市场监督管理局", account_name="路桥市场监管")
    b = await kit.unit("路桥区教育局", account_name="路桥教育")
    for u in (a, b):
        await kit.raise_alert(kit.alert(u, at=T))

    async def ids(who: Any, **params: Any) -> set[str]:
        r = await who.http.get("/v1/cases", params=params)
        assert r.status_code == 200, r.text
        return {c["account_id"] for c in r.json()["items"]}

    assert await ids(city) == await ids(county) == {a.account_id, b.account_id}
    assert await ids(other_county) == set()
    assert await ids(a.liaison) == {a.account_id}  # unit staff: their own unit only
    assert await ids(county, unit_id=b.id) == {b.account_id}
    assert await ids(county, state="closed") == set()
    assert await ids(county, overdue="true") == set()
    kit.clock.set(datetime(2025, 9, 9, 10, tzinfo=SHANGHAI))
    assert await ids(county, overdue="true") == {a.account_id, b.account_id}
    case_b = (await county.http.get("/v1/cases", params={"unit_id": b.id})).json()["items"][0]["id"]
    for who in (a.liaison, other_county):
        assert (await who.http.get(f"/v1/cases/{case_b}")).status_code == 404
    assert (await city.http.get("/v1/cases", params={"region_code": "331004"})).status_code == 200
    # a county of the official region table without accounts yet is a region, as at the registry (no cases);
    # a code the table lacks and the registry named nothing in is unknown, as in scoring
    empty = await city.http.get("/v1/cases", params={"region_code": "331003"})
    assert empty.status_code == 200 and empty.json()["items"] == [], empty.text
    unknown = await city.http.get("/v1/cases", params={"region_code": "331099"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-region", unknown.text
    assert (await county.http.get("/v1/cases", params={"region_code": "331000"})).status_code == 404
    # Paging walks every case once.
    first = (await county.http.get("/v1/cases", params={"limit": 1})).json()
    second = (await county.http.get("/v1/cases", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {c for c in await _all_ids(county)}
    assert second["next_cursor"] is None
    # Bad input is a problem naming what is wrong, never a 5xx.
    for params in ({"cursor": "not-a-cursor"}, {"state": "nope"}, {"limit": 0}, {"region_code": "33"}):
        r = await county.http.get("/v1/cases", params=params)
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json")
    r = await a.liaison.http.post(
        f"/v1/cases/{case_b}/reports", json={"text": "x", "signed_by": "张", "sealed": True}
    )
    assert r.status_code == 404
    r = await a.liaison.http.post(
        "/v1/attachments", content=b"x" * 10, headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 422 and r.json()["code"] == "attachment-type-not-allowed"


async def _all_ids(who: Any) -> set[str]:
    return {c["id"] for c in (await who.http.get("/v1/cases")).json()["items"]}


async def test_a_county_tightens_the_deadline_but_cannot_loosen_the_province(notify: NotifyKit) -> None:
    kit = notify
    await kit.office()
    unit = await kit.unit()
    await kit.apply(
        on_region_settings, settings("330000", 1, rectification_days=5, rectification_day_kind="calendar")
    )
    await kit.apply(
        on_region_settings, settings("331004", 1, rectification_days=10, rectification_day_kind="working")
    )
    await kit.raise_alert(kit.alert(unit, at=T))
    [case] = [p for t, p in await kit.events(unit_id=unit.id) if t == "notice.issued"]
    assert (
        case["rectify_by"] == "2025-09-06"
    )  # the province's 5 calendar days, not the county's 10 working days
    await kit.apply(on_region_settings, settings("331004", 2, rectification_days=3))
    await kit.apply(on_region_settings, settings("331004", 1, rectification_days=30))  # stale: ignored
    await kit.raise_alert(kit.alert(unit, at=T))
    latest = [p for t, p in await kit.events(unit_id=unit.id) if t == "notice.issued"][-1]
    assert latest["rectify_by"] == "2025-09-04"  # the county tightened to 3


async def test_working_day_deadlines_use_a_year_the_registry_loads_and_never_guess_before(
    notify: NotifyKit,
) -> None:
    kit = notify
    await kit.office()
    unit = await kit.unit()
    await kit.apply(on_region_settings, settings("330000", 1, rectification_day_kind="working"))
    monday = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    kit.clock.set(monday)
    await kit.raise_alert(kit.alert(unit, at=monday))
    # 2027's schedule is unknown: the count falls back to calendar days (never later than working days).
    first = [p for t, p in await kit.events(unit_id=unit.id) if t == "notice.issued"][-1]
    assert first["rectify_by"] == "2027-01-04"
    loaded = WorkCalendarLoaded(
        occurred_at=monday,
        region_code="330000",
        year=2027,
        holidays=(date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)),
        workdays=(),
        loaded_by="admin",
    )
    await kit.apply(calendar_handlers(WorkCalendar())[WorkCalendarLoaded], loaded)  # as another replica would
    await kit.raise_alert(kit.alert(unit, at=monday))
    second = [p for t, p in await kit.events(unit_id=unit.id) if t == "notice.issued"][-1]
    # 29, 30, 31 December, then 4 to 7 January 2027: the seventh working day.
    assert second["rectify_by"] == "2027-01-07"


def _schedule_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "working-day schedule" in r.getMessage()]


async def test_a_missing_schedule_is_logged_only_for_a_year_a_deadline_actually_reaches(
    notify: NotifyKit, caplog: pytest.LogCaptureFixture
) -> None:
    kit = notify
    await kit.office()
    unit = await kit.unit()
    assert not kit.calendar.covers(2027)
    caplog.set_level("WARNING")
    # Calendar-day deadlines (the default) in March 2026 need no schedule at all, 2027's least of all.
    march = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    kit.clock.set(march)
    await kit.raise_alert(kit.alert(unit, at=march))
    # Working days counted from March 2026 stay inside 2026, whose schedule is known.
    await kit.apply(on_region_settings, settings("330000", 1, rectification_day_kind="working"))
    await kit.raise_alert(kit.alert(unit, at=march))
    assert _schedule_warnings(caplog) == []
    # Seven working days from 28 December 2026 reach into 2027: now its missing schedule is worth a word.
    december = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    kit.clock.set(december)
    await kit.raise_alert(kit.alert(unit, at=december))
    [warning] = _schedule_warnings(caplog)
    assert "2027" in warning


@pytest.mark.parametrize(
    "cursor", ["%%%", encode_cursor(["x"]), encode_cursor(["x", 1, 2]), encode_cursor([True])]
)
async def test_a_cursor_of_the_wrong_shape_is_a_422_naming_the_cursor_parameter(
    notify: NotifyKit, cursor: str
) -> None:
    office = await notify.office()
    for url in ("/v1/cases", "/v1/inbox"):
        r = await office.http.get(url, params={"cursor": cursor})
        assert r.status_code == 422, (url, r.text)
        problem = r.json()
        assert problem["code"] == "invalid-cursor"
        assert [e["location"] for e in problem["errors"]] == ["query.cursor"]
