"""The 二四六 ladder per unit per year, across a year boundary; forced closure exactly when seed 002 says."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.events.monitor import AlertRaised, AlertResolved
from govmedia_common.events.notify import ClosureRecommended, InterviewScheduled
from govmedia_common.events.registry import PersonRegistered
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.directory.handlers import on_person_registered

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


def day(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


async def interviews(kit: NotifyKit, unit_id: str) -> list[dict[str, Any]]:
    return [p for t, p in await kit.events(unit_id=unit_id) if t == "interview.scheduled"]


async def test_violations_one_to_seven_in_a_year_then_a_new_year_schedule_exactly_the_ladder_interviews(
    notify: NotifyKit,
) -> None:
    kit = notify
    office = await kit.office()
    unit = await kit.unit()
    await kit.apply(
        on_person_registered,
        PersonRegistered(
            occurred_at=day(2025, 1, 2),
            person_id=unit.liaison.id,
            name="李联络",
            unit_id=unit.id,
            region_code=unit.region,
            roles=("liaison",),
        ),
    )
    seen: dict[int, tuple[str, str, str | None] | None] = {}
    for n in range(1, 8):
        kit.clock.set(day(2025, 12, n))
        alert = kit.alert(unit, at=day(2025, 12, n, 9))
        await kit.raise_alert(alert)
        await kit.raise_alert(alert)  # a redelivered alert opens nothing and counts nothing
        # A warning opens no case and does not count.
        await kit.raise_alert(kit.alert(unit, at=day(2025, 12, n, 9), severity="warning"))
        got = [i for i in await interviews(kit, unit.id) if i["violation_count"] == n]
        seen[n] = (
            (got[0]["interviewee_role"], got[0]["interviewer_role"], got[0]["interviewee_name"])
            if got
            else None
        )
    assert seen == {
        1: None,
        2: ("liaison", "open_government_centre", "李联络"),
        3: None,
        4: ("deputy_head", "deputy_director", "赵副局长"),
        5: None,
        6: ("principal", "director", "张局长"),
        7: ("principal", "director", "张局长"),
    }
    assert len(await interviews(kit, unit.id)) == 4
    # The relay put them on the bus, saying who meets whom.
    on_bus = await kit.from_broker(
        InterviewScheduled, lambda d: d["unit_id"] == unit.id and d["violation_count"] == 7
    )
    assert (on_bus["data"]["interviewee_role"], on_bus["data"]["interviewer_role"]) == (
        "principal",
        "director",
    )

    # The count starts again with the new year (Asia/Shanghai): 00:10 on 1 January is the first of 2026.
    kit.clock.set(day(2026, 1, 1, 0, 10))
    await kit.raise_alert(kit.alert(unit, at=day(2026, 1, 1, 0, 10)))
    assert len(await interviews(kit, unit.id)) == 4
    kit.clock.set(day(2026, 1, 5))
    await kit.raise_alert(kit.alert(unit, at=day(2026, 1, 5, 9)))
    latest = (await interviews(kit, unit.id))[-1]
    assert (latest["year"], latest["violation_count"], latest["interviewee_role"]) == (2026, 2, "liaison")

    # An integrator pages through them: each page names the next in a Link header, the last names none.
    everything = (await office.http.get("/v1/interviews", params={"unit_id": unit.id})).json()
    assert len(everything) == 5
    paged: list[str] = []
    url: str | None = f"/v1/interviews?unit_id={unit.id}&limit=2"
    while url is not None:
        r = await office.http.get(url)
        assert r.status_code == 200, r.text
        paged += [i["id"] for i in r.json()]
        link = r.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
    assert paged == [i["id"] for i in everything]
    r = await office.http.get("/v1/interviews", params={"cursor": "WyIyMDI1LTAxLTAxIiwxLCJ4Il0"})
    assert r.status_code == 422 and r.json()["code"] == "invalid-cursor"  # a naive instant

    # The office records that the first interview took place; once.
    r = await office.http.get("/v1/interviews", params={"unit_id": unit.id, "year": 2025})
    first = r.json()[0]
    assert first["violation_count"] == 2 and first["held_at"] is None
    held = {"held_at": day(2026, 1, 5, 15).isoformat(), "notes": "约谈联络员，要求建立更新台账。"}
    r = await office.http.post(f"/v1/interviews/{first['id']}/held", json=held)
    assert r.status_code == 422 and r.json()["code"] == "held-in-future"
    kit.clock.set(day(2026, 1, 6))
    r = await unit.liaison.http.post(f"/v1/interviews/{first['id']}/held", json=held)
    assert r.status_code == 403
    # Nor before it was scheduled (the violation of 2 December that called for it had not happened yet).
    early = {**held, "held_at": day(2025, 11, 20, 15).isoformat()}
    r = await office.http.post(f"/v1/interviews/{first['id']}/held", json=early)
    assert r.status_code == 422 and r.json()["code"] == "held-before-scheduled", r.text
    r = await office.http.post(f"/v1/interviews/{first['id']}/held", json=held)
    assert r.status_code == 200, r.text
    assert r.json()["held_at"] is not None
    r = await office.http.post(f"/v1/interviews/{first['id']}/held", json=held)
    assert r.status_code == 409
    assert [t for t, _ in await kit.events(interview_id=first["id"])] == [
        "interview.scheduled",
        "interview.held",
    ]


async def test_an_account_listed_more_than_twice_in_the_window_is_recommended_for_closure_exactly_then(
    notify: NotifyKit,
) -> None:
    kit = notify
    office = await kit.office()
    unit = await kit.unit()
    other = await kit.unit("路桥区文化和广电旅游体育局", account_name="路桥文旅")
    # Not-updated notices per quarter of 2025: Q1 two, Q2 one, Q3 three, Q4 two; the other account one each.
    plan = {1: [(2, 3), (3, 10)], 2: [(5, 6)], 3: [(7, 1), (8, 4), (9, 2)], 4: [(10, 9), (11, 12)]}
    results: dict[int, dict[str, Any]] = {}
    for quarter, days in plan.items():
        for month, d in days:
            kit.clock.set(day(2025, month, d))
            await kit.raise_alert(kit.alert(unit, at=day(2025, month, d, 9)))
        kit.clock.set(day(2025, days[0][0], days[0][1]))
        await kit.raise_alert(kit.alert(other, at=day(2025, days[0][0], days[0][1], 11)))
        # A serious alert of another rule never counts towards closure.
        await kit.raise_alert(
            kit.alert(
                unit,
                at=day(2025, days[0][0], days[0][1], 12),
                rule="unreviewed_publication",
                severity="serious",
            )
        )
        # The sweep after the quarter lists it.
        next_quarter = day(2025 + quarter // 4, quarter % 4 * 3 + 1, 2, 9)
        r = await office.http.post("/v1/sweeps", json={"as_of": next_quarter.isoformat()})
        assert r.status_code == 200, r.text
        results[quarter] = r.json()
    assert [results[q]["listed"] for q in (1, 2, 3, 4)] == [
        [unit.account_id],
        [],
        [unit.account_id],
        [unit.account_id],
    ]
    recommended = [p for t, p in await kit.events(account_id=unit.account_id) if t == "closure.recommended"]
    assert len(recommended) == 1
    assert recommended[0]["quarter"] == "2025-Q4" and recommended[0]["listings"] == 3
    assert recommended[0]["notice_count"] == 2
    assert not [p for t, p in await kit.events(account_id=other.account_id) if t == "closure.recommended"]
    await kit.from_broker(ClosureRecommended, lambda d: d["account_id"] == unit.account_id)
    # Sweeping again lists nothing twice and recommends nothing again.
    r = await office.http.post("/v1/sweeps", json={"as_of": day(2026, 1, 3, 9).isoformat()})
    assert r.json()["listed"] == []
    assert (
        len([1 for t, _ in await kit.events(account_id=unit.account_id) if t == "closure.recommended"]) == 1
    )
    # The recommendation reached the office.
    inbox = (await office.http.get("/v1/inbox")).json()["items"]
    assert any(m["kind"] == "closure" and m["payload"]["account_id"] == unit.account_id for m in inbox)
    assert uuid.UUID(recommended[0]["case_ids"][0])
    # The quarterly bulletin lists the account and its closure recommendation.
    kit.clock.set(day(2026, 1, 5))
    r = await office.http.post(
        "/v1/bulletins",
        json={"region_code": "331004", "period_kind": "quarter", "period_start": "2025-10-01"},
    )
    assert r.status_code == 201, r.text
    sections = {s["heading"]: s["rows"] for s in r.json()["content"]["sections"]}
    listed = sections["通知更新而未更新两次以上的账号（季度通报）"]
    assert listed == [["路桥市场监管", "路桥区市场监督管理局", "2"]]
    assert sections["建议强制关停"] == [["路桥市场监管", "路桥区市场监督管理局", "2025-Q4"]]
    assert r.json()["content"]["summary"]["closures"] == 1


async def test_a_false_alarm_does_not_count_on_the_ladder_and_withdraws_the_interview_it_called_for(
    notify: NotifyKit,
) -> None:
    """Dismissed or retracted alerts (false alarms) leave the 二四六 count as if they had never been raised,
    at each step: an interview only they called for is withdrawn, and the next real violation calls it."""
    kit = notify
    office = await kit.office()
    unit = await kit.unit()
    resolve = kit.handlers[AlertResolved]
    n = 0

    async def violation(resolution: str | None = None) -> AlertRaised:
        nonlocal n
        n += 1
        kit.clock.set(day(2025, 11, n))
        alert = kit.alert(unit, at=day(2025, 11, n, 9))
        await kit.raise_alert(alert)
        if resolution is not None:
            await kit.apply(resolve, kit.resolved(alert, at=day(2025, 11, n, 11), resolution=resolution))
        return alert

    async def standing() -> dict[int, str]:
        r = await office.http.get("/v1/interviews", params={"unit_id": unit.id, "year": 2025})
        assert r.status_code == 200, r.text
        return {i["violation_count"]: i["interviewee_role"] for i in r.json() if i["cancelled_at"] is None}

    await violation()
    false_second = await violation("dismissed")  # would have been the 2nd: the liaison's interview
    assert await standing() == {}
    [case] = [c for c in await kit.events(alert_id=false_second.alert_id) if c[0] == "notice.issued"]
    closed = [p for t, p in await kit.events(case_id=case[1]["case_id"]) if t == "case.closed"]
    assert [c["outcome"] for c in closed] == ["dismissed"]  # its case is withdrawn as before
    await violation()  # the real 2nd
    assert await standing() == {2: "liaison"}
    await violation()
    await violation("retracted")  # would have been the 4th: the deputy head's interview
    assert await standing() == {2: "liaison"}
    await violation()  # the real 4th
    await violation("dismissed")
    assert await standing() == {2: "liaison", 4: "deputy_head"}
    await violation()
    await violation()  # the real 6th
    assert await standing() == {2: "liaison", 4: "deputy_head", 6: "principal"}
    # A false alarm resolved only after later violations: the count follows the real ones, and an interview
    # the count no longer reaches is withdrawn (unless it already took place).
    seventh = await violation()
    await violation()  # 8th
    assert await standing() == {
        2: "liaison",
        4: "deputy_head",
        6: "principal",
        7: "principal",
        8: "principal",
    }
    await kit.apply(resolve, kit.resolved(seventh, at=day(2025, 11, n, 12), resolution="dismissed"))
    assert await standing() == {2: "liaison", 4: "deputy_head", 6: "principal", 7: "principal"}
    scheduled = [
        p["violation_count"] for t, p in await kit.events(unit_id=unit.id) if t == "interview.scheduled"
    ]
    assert scheduled == [2, 2, 4, 4, 6, 7, 8]  # a withdrawn step is scheduled again when really reached
    cancelled = [
        p["violation_count"] for t, p in await kit.events(unit_id=unit.id) if t == "interview.cancelled"
    ]
    assert cancelled == [2, 4, 8]
