"""Account life cycle through filings (备案) approved level by level: open, change, merge, suspend,
deregister, returns for amendment, rejections, withdrawal, four eyes and who may decide which level.

Every expected date is counted by hand on the State Council's 2025 holiday schedule: National Day
and Mid-Autumn Festival off 1–8 October, Sunday 28 September and Saturday 11 October worked instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.registry.tests.integration.factory import (
    START,
    HostUnit,
    Registry,
    Taizhou,
    assert_problem,
    decide,
    on,
    open_body,
    with_etag,
)

pytestmark = pytest.mark.integration

LEVELS = ("unit", "county", "city")


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


@pytest.fixture(autouse=True)
def _clock_at_start(module_registry: Registry) -> None:
    module_registry.clock.set(START)


async def _history_kinds(tz: Taizhou, account_id: str) -> list[str]:
    r = await tz.county.get(f"/v1/accounts/{account_id}/history")
    assert r.status_code == 200, r.text
    return [h["kind"] for h in r.json()["items"]]


async def _pending_filing_at(
    tz: Taizhou, hu: HostUnit, level: str, name: str = "路桥市场监管"
) -> dict[str, Any]:
    """An open filing approved up to (not including) ``level``."""
    filing = await tz.file(hu, open_body(hu.id, name))
    for approver in tz.approvers(hu)[: LEVELS.index(level)]:
        r = await decide(approver, filing["id"], "approve")
        assert r.status_code == 200, r.text
    assert (await tz.filing(filing["id"]))["current_level"] == level
    return filing


async def test_open_filing_due_in_7_working_days_passes_3_levels_is_announced_15_working_days_then_opens(
    tz: Taizhou, module_registry: Registry
) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管", event_date="2025-09-26"))
    assert filing["status"] == "pending" and filing["current_level"] == "unit"
    assert filing["levels"] == ["unit", "county", "city"]
    # 7 working days after Fri 26 Sep: Sun 28 (worked), Mon 29, Tue 30, [1–8 Oct off], Thu 9, Fri 10,
    # Sat 11 (worked), Mon 13.
    assert (filing["filed_on"], filing["deadline"], filing["late"]) == ("2025-09-26", "2025-10-13", False)
    assert (await tz.account(filing["account_id"]))["status"] == "pending"

    r = await decide(hu.boss, filing["id"], "approve")
    assert (r.status_code, r.json()["current_level"]) == (200, "county"), r.text
    r = await decide(tz.county, filing["id"], "approve")
    assert (r.status_code, r.json()["current_level"]) == (200, "city"), r.text
    module_registry.clock.set(on("2025-09-30"))
    r = await decide(tz.city, filing["id"], "approve")
    approved = r.json()
    assert approved["status"] == "approved" and approved["current_level"] is None
    # 15 working days after Tue 30 Sep: Oct 9, 10, 11, 13–17, 20–24, 27, 28 → ends Tue 28 October.
    assert (approved["announcement_starts_on"], approved["announcement_ends_on"]) == (
        "2025-09-30",
        "2025-10-28",
    )
    assert [(d["level"], d["decision"]) for d in approved["decisions"]] == [
        (None, "submitted"),
        ("unit", "approve"),
        ("county", "approve"),
        ("city", "approve"),
    ]
    assert (await tz.account(filing["account_id"]))["status"] == "announcing"

    module_registry.clock.set(on("2025-10-28"))  # the last day of the announcement: not yet
    await module_registry.apply_due()
    assert (await tz.account(filing["account_id"]))["status"] == "announcing"

    module_registry.clock.set(on("2025-10-29"))
    await module_registry.apply_due()
    account = await tz.account(filing["account_id"])
    assert (account["status"], account["effective_on"]) == ("active", "2025-10-29")
    assert (await tz.filing(filing["id"]))["effective"] is True
    assert await _history_kinds(tz, account["id"]) == [
        "filed",
        "filing.approve",
        "filing.approve",
        "filing.approve",
        "announcement.started",
        "open.effective",
    ]


async def test_change_filing_renames_the_account_only_when_its_announcement_has_ended(
    tz: Taizhou, module_registry: Registry
) -> None:
    hu = await tz.host_unit()
    account = await tz.active_account(hu, "路桥市场监管")
    module_registry.clock.set(on("2025-10-29"))
    filing = await tz.file(
        hu,
        {
            "type": "change",
            "account_id": account["id"],
            "event_date": "2025-10-29",
            "changes": {"name": "路桥区市场监管"},
            "reason": "名称与单位简称统一",
        },
    )
    approved = await tz.approve_all(hu, filing["id"])
    # 15 working days after Wed 29 Oct: 30, 31, 3–7, 10–14, 17, 18, 19 November.
    assert approved["announcement_ends_on"] == "2025-11-19"
    during = await tz.account(account["id"])
    assert (during["status"], during["name"]) == ("active", "路桥市场监管")
    await tz.apply_after(approved)
    after = await tz.account(account["id"])
    assert (after["status"], after["name"]) == ("active", "路桥区市场监管")
    assert "change.effective" in await _history_kinds(tz, account["id"])


async def test_merge_filing_turns_the_sources_merged_into_the_active_target(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    target = await tz.active_account(hu, "路桥市场监管", "wechat", day="2025-09-26")
    source = await tz.active_account(hu, "路桥市场监管", "weibo", day="2025-10-29")
    filing = await tz.file(
        hu,
        {
            "type": "merge",
            "account_id": target["id"],
            "merged_account_ids": [source["id"]],
            "event_date": "2025-11-20",
            "reason": "微博账号整合至微信公众号统一运营",
        },
    )
    approved = await tz.approve_all(hu, filing["id"])
    assert approved["announcement_ends_on"] is not None
    assert (await tz.account(source["id"]))["status"] == "announcing"
    assert (await tz.account(target["id"]))["status"] == "active"
    await tz.apply_after(approved)
    merged = await tz.account(source["id"])
    assert (merged["status"], merged["merged_into"]) == ("merged", target["id"])
    assert (await tz.account(target["id"]))["status"] == "active"
    assert "merged" in await _history_kinds(tz, source["id"])


async def test_suspension_takes_effect_at_the_final_approval_without_announcement(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    account = await tz.active_account(hu)
    filing = await tz.file(
        hu,
        {
            "type": "suspend",
            "account_id": account["id"],
            "event_date": "2025-10-29",
            "reason": "机构调整,暂停运营",
        },
    )
    approved = await tz.approve_all(hu, filing["id"])
    assert (approved["status"], approved["announcement_ends_on"], approved["effective"]) == (
        "approved",
        None,
        True,
    )
    assert (await tz.account(account["id"]))["status"] == "suspended"


async def test_deregistration_needs_a_stop_update_notice_published_first(
    tz: Taizhou, module_registry: Registry
) -> None:
    hu = await tz.host_unit()
    account = await tz.active_account(hu)
    module_registry.clock.set(on("2025-10-29"))
    body = {
        "type": "deregister",
        "account_id": account["id"],
        "event_date": "2025-10-29",
        "reason": "职能划转",
    }
    assert_problem(await hu.filer.post("/v1/filings", json=body), 409, "account-stop-notice-required")

    notice = f"/v1/accounts/{account['id']}/stop-update-notice"
    r = await with_etag(
        hu.filer,
        "POST",
        notice,
        f"/v1/accounts/{account['id']}",
        json={"published_on": "2025-10-30", "text": "本账号将于近期停止更新"},
    )
    assert r.status_code == 200, r.text
    # a notice dated tomorrow has not been published yet
    assert_problem(await hu.filer.post("/v1/filings", json=body), 409, "account-stop-notice-required")

    r = await with_etag(
        hu.filer,
        "POST",
        notice,
        f"/v1/accounts/{account['id']}",
        json={"published_on": "2025-10-29", "url": "https://mp.weixin.qq.com/s/notice"},
    )
    assert r.status_code == 200, r.text
    filing = await tz.file(hu, body)
    approved = await tz.approve_all(hu, filing["id"])
    assert (await tz.account(account["id"]))["status"] == "announcing"
    await tz.apply_after(approved)
    assert (await tz.account(account["id"]))["status"] == "deregistered"
    assert "deregister.effective" in await _history_kinds(tz, account["id"])


@pytest.mark.parametrize("level", LEVELS)
async def test_return_for_amendment_at_each_level_then_resubmission_restarts_at_the_unit_level(
    tz: Taizhou, level: str
) -> None:
    hu = await tz.host_unit()
    filing = await _pending_filing_at(tz, hu, level)
    decider = tz.approvers(hu)[LEVELS.index(level)]
    assert_problem(await decide(decider, filing["id"], "return"), 422, "filing-reason-required")

    r = await decide(decider, filing["id"], "return", "请补充安全责任人")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["current_level"]) == ("returned", None)
    assert (await tz.account(filing["account_id"]))["status"] == "pending"
    assert_problem(await decide(decider, filing["id"], "approve"), 409, "filing-not-open")

    r = await with_etag(
        hu.filer,
        "POST",
        f"/v1/filings/{filing['id']}/resubmit",
        f"/v1/filings/{filing['id']}",
        json={"changes": {"operators": {"security_officer": "王五"}}},
    )
    assert r.status_code == 200, r.text
    resubmitted = r.json()
    assert (resubmitted["status"], resubmitted["current_level"]) == ("pending", "unit")
    assert resubmitted["payload"]["account"]["operators"]["security_officer"] == "王五"

    approved = await tz.approve_all(hu, filing["id"])
    assert approved["status"] == "approved"
    steps = [(d["level"], d["decision"]) for d in approved["decisions"]]
    assert (level, "return") in steps and steps.count((None, "resubmitted")) == 1
    assert steps[-3:] == [("unit", "approve"), ("county", "approve"), ("city", "approve")]


@pytest.mark.parametrize("level", LEVELS)
async def test_rejection_at_each_level_ends_the_filing_and_the_account_is_never_opened(
    tz: Taizhou, level: str
) -> None:
    hu = await tz.host_unit()
    filing = await _pending_filing_at(tz, hu, level)
    decider = tz.approvers(hu)[LEVELS.index(level)]
    r = await decide(decider, filing["id"], "reject", "账号名称与职责不符")
    assert (r.status_code, r.json()["status"]) == (200, "rejected"), r.text
    assert (await tz.account(filing["account_id"]))["status"] == "rejected"
    assert_problem(await decide(decider, filing["id"], "approve"), 409, "filing-not-open")
    # the refused account no longer occupies the platform: the unit may file again
    again = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    assert again["status"] == "pending"


async def test_only_the_filer_can_withdraw_and_the_unopened_account_ends_rejected(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    url, read = f"/v1/filings/{filing['id']}/withdraw", f"/v1/filings/{filing['id']}"
    assert_problem(await hu.filer.post(url), 428, "if-match-required")
    assert_problem(await with_etag(hu.boss, "POST", url, read), 403, "filing-not-filer")
    r = await with_etag(hu.filer, "POST", url, read)
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn"), r.text
    assert (await tz.account(filing["account_id"]))["status"] == "rejected"
    assert_problem(await decide(hu.boss, filing["id"], "approve"), 409, "filing-not-open")


async def test_nobody_approves_their_own_filing(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    assert_problem(await decide(hu.filer, filing["id"], "approve"), 403, "filing-self-approval")

    # the competent office may file for a unit of its region; its filer then cannot pass the county level
    other = await tz.host_unit()
    r = await tz.county.post("/v1/filings", json=open_body(other.id, "路桥市场监管"))
    assert r.status_code == 201, r.text
    assert (await decide(other.boss, r.json()["id"], "approve")).status_code == 200
    assert_problem(await decide(tz.county, r.json()["id"], "approve"), 403, "filing-self-approval")


async def test_approvers_of_another_level_or_region_cannot_decide(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    neighbour = await tz.host_unit("台州市路桥区教育局", "教育局", ("教育",))
    admin = await tz.registry.admin()  # office admin of the province
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    fid = filing["id"]

    assert_problem(
        await decide(tz.county, fid, "approve"), 403, "filing-approver-not-authorised"
    )  # waits at unit
    assert_problem(await decide(neighbour.boss, fid, "approve"), 404, "not-found")  # another unit's admin
    assert (await decide(hu.boss, fid, "approve")).status_code == 200
    assert_problem(await decide(tz.city, fid, "approve"), 403, "filing-approver-not-authorised")
    assert_problem(await decide(admin, fid, "approve"), 403, "filing-approver-not-authorised")
    assert_problem(await decide(tz.sibling, fid, "approve"), 404, "not-found")  # Jiaojiang cannot even see it
    assert (await decide(tz.county, fid, "approve")).status_code == 200
    assert_problem(await decide(tz.county, fid, "approve"), 403, "filing-approver-not-authorised")
    assert (await decide(tz.city, fid, "approve")).status_code == 200


async def test_filing_after_the_seventh_working_day_is_accepted_but_flagged_late(tz: Taizhou) -> None:
    hu = await tz.host_unit()  # the clock stands on Friday 26 September 2025
    # event Wed 17 Sep: 18, 19, 22, 23, 24, 25, 26 → due on the 26th itself: on time
    on_time = await tz.file(hu, open_body(hu.id, "路桥市场监管", "wechat", event_date="2025-09-17"))
    assert (on_time["deadline"], on_time["late"]) == ("2025-09-26", False)
    # event Tue 16 Sep: 17, 18, 19, 22, 23, 24, 25 → was due on the 25th
    late = await tz.file(hu, open_body(hu.id, "路桥市场监管", "weibo", event_date="2025-09-16"))
    assert (late["deadline"], late["late"]) == ("2025-09-25", True)


async def test_resubmission_with_a_corrected_event_date_recomputes_deadline_and_lateness(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管", event_date="2025-09-16"))
    assert filing["late"] is True
    assert (await decide(hu.boss, filing["id"], "return", "开设日期有误,请核实")).status_code == 200
    r = await with_etag(
        hu.filer,
        "POST",
        f"/v1/filings/{filing['id']}/resubmit",
        f"/v1/filings/{filing['id']}",
        json={"event_date": "2025-09-17"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["event_date"], r.json()["deadline"], r.json()["late"]) == (
        "2025-09-17",
        "2025-09-26",
        False,
    )


async def test_an_event_in_2027_waits_for_a_province_office_admin_to_load_the_2027_schedule(
    tz: Taizhou, module_registry: Registry
) -> None:
    hu = await tz.host_unit()
    admin = await module_registry.admin()
    body = open_body(hu.id, "路桥市场监管", event_date="2027-01-04")
    assert_problem(await hu.filer.post("/v1/filings", json=body), 422, "calendar-year-unknown")
    assert_problem(await hu.filer.get("/v1/calendar/2027"), 404, "calendar-year-unknown")
    assert_problem(
        await hu.filer.get("/v1/calendar/workdays/add", params={"start": "2027-01-04", "days": 7}),
        422,
        "calendar-year-unknown",
    )

    # A made-up schedule (the real one is not published yet): Fri 1, Mon 4 and Tue 5 January off,
    # Saturday 9 January worked.
    schedule = {
        "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
        "workdays": ["2027-01-09"],
        "source_document": "测试用假设安排,非国务院办公厅通知",
    }
    assert_problem(await tz.city_admin.put("/v1/calendar/2027", json=schedule), 403, "insufficient-level")
    assert_problem(await tz.county.put("/v1/calendar/2027", json=schedule), 403)
    r = await admin.put("/v1/calendar/2027", json=schedule)
    assert r.status_code == 200, r.text

    loaded = (await hu.filer.get("/v1/calendar/2027")).json()
    assert (loaded["source"], loaded["holidays"], loaded["workdays"]) == (
        "loaded",
        schedule["holidays"],
        schedule["workdays"],
    )
    # 7 working days after Mon 4 Jan: [5 off] 6, 7, 8, Sat 9 (worked), 11, 12, 13.
    r = await hu.filer.get("/v1/calendar/workdays/add", params={"start": "2027-01-04", "days": 7})
    assert r.json()["result"] == "2027-01-13"
    filing = await tz.file(hu, body)
    assert (filing["deadline"], filing["late"]) == ("2027-01-13", False)
