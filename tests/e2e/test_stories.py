"""Stories across all five services, as their users live them, on the real broker and PostgreSQL.

One platform (registry, review, monitor, notify, scoring with their relays and consumers) serves every
story of this module; each story works with its own units and accounts, and time moves on one shared
clock. A story waits for what another service learns by polling that service's API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from govmedia_common.events import CATALOGUE
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.groups import exact_ends
from govmedia_platform.launcher import Infrastructure
from tests.e2e.stories_boot import running_platform
from tests.e2e.stories_kit import COUNTY, Platform
from tests.e2e.story_steps import (
    CLEAN,
    evening,
    monitor_holds,
    next_quarter,
    posted,
    recomputed_score,
    score,
    silent_for_fourteen_days,
    unreviewed_post,
    week_score,
    week_start,
)

pytestmark = pytest.mark.integration


# Where every catalogue partition ended before this module's platform started: the integrator's test
# reads what the stories published, from there on.
_ENDS_BEFORE: dict[TopicPartition, int] = {}


@pytest.fixture(scope="module")
async def platform(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Platform]:
    _ENDS_BEFORE.update(await _end_offsets(infra.kafka_bootstrap))
    async with running_platform(infra) as p:
        yield p


async def _end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    """Where every catalogue partition ends (exactly: see govmedia_platform.groups.exact_ends)."""
    return await exact_ends(bootstrap, {cls.topic for cls in CATALOGUE.values()})


async def test_a_filed_account_posts_through_review_is_observed_matched_and_scored(
    platform: Platform,
) -> None:
    p = platform
    unit = await p.unit(COUNTY, "市场监管")
    account_id, filing = await p.file_and_open(unit, "路桥市场监管发布")
    announced = await p.ok("registry", "GET", "/v1/public/announcements", {}, params={"region": COUNTY})
    assert [a["filing_type"] for a in announced["items"] if a["account_id"] == account_id] == ["open"]
    await p.activate_due(filing["announcement_ends_on"])
    assert (await p.ok("registry", "GET", f"/v1/accounts/{account_id}"))["status"] == "active"

    published = await p.publish_reviewed(unit, account_id, "通知", CLEAN)
    assert published["check"]["findings"] == [] and not published["blocking"], "the machine check passed it"
    assert len({x["reviewer_id"] for x in published["reviewers"]}) == 2, "two different people reviewed it"
    observation = published["observation"]
    assert observation["match_kind"] == "exact"
    assert await p.alerts(account_id) == [], "a reviewed, published post raises no alert"

    day = p.clock.today().isoformat()

    async def credited() -> dict[str, Any] | None:  # scoring consumes the publication in its own time
        found = await recomputed_score(p, account_id, day)
        return found if found and found["diligence"] > 0 else None

    scored = await p.wait_for(credited, "the scoring service credits the day's post to the account")
    assert scored["diligence"] > 0, scored


async def test_a_post_published_without_review_raises_a_serious_alert_and_opens_a_case(
    platform: Platform,
) -> None:
    p = platform
    unit = await p.unit(COUNTY, "交通运输")
    account_id = await p.open_account(unit, "路桥交通运输")
    await unreviewed_post(p, account_id, 1)

    async def serious() -> list[dict[str, Any]]:
        return [a for a in await p.alerts(account_id) if a["rule"] == "unreviewed_publication"]

    [alert] = await p.wait_for(serious, "an unreviewed-publication alert")
    assert (alert["severity"], alert["alert_class"], alert["state"]) == ("serious", "serious", "open")

    async def case() -> list[dict[str, Any]]:
        return [c for c in await p.cases(account_id) if c["alert_id"] == alert["id"]]

    [opened] = await p.wait_for(case, "notify opens a case for the serious alert")
    assert (opened["state"], opened["severity"], opened["unit_id"]) == ("open", "serious", unit.id)


async def test_the_two_four_six_ladder_schedules_interviews_at_the_second_fourth_and_sixth_violation(
    platform: Platform,
) -> None:
    p = platform
    unit = await p.unit(COUNTY, "自然资源")
    account_id = await p.open_account(unit, "路桥自然资源")
    staff = await p.office_staff(COUNTY)
    counts: dict[int, list[int]] = {}
    for n in range(1, 7):
        p.clock.advance(hours=1)
        await unreviewed_post(p, account_id, n)

        async def cases_counted(n: int = n) -> list[dict[str, Any]]:
            found = await p.cases(account_id)
            return found if len(found) >= n else []

        await p.wait_for(cases_counted, f"case {n} of the unit")

        async def interviews() -> list[int]:
            rows = await p.ok("notify", "GET", "/v1/interviews", staff.headers, params={"unit_id": unit.id})
            return [r["violation_count"] for r in rows]

        counts[n] = sorted(await interviews())
    assert counts == {1: [], 2: [2], 3: [2], 4: [2, 4], 5: [2, 4], 6: [2, 4, 6]}
    rows = await p.ok("notify", "GET", "/v1/interviews", staff.headers, params={"unit_id": unit.id})
    steps = {r["violation_count"]: (r["interviewee_role"], r["interviewer_role"]) for r in rows}
    assert steps[6] == ("principal", "director") and steps[2][0] == "liaison"


async def test_a_silent_account_is_alerted_noticed_rectifies_recovers_and_its_next_week_passes(
    platform: Platform,
) -> None:
    p = platform
    unit = await p.unit(COUNTY, "民政")
    account_id = await p.open_account(unit, "路桥民政")
    liaison = await p.person(["liaison"], unit)
    staff = await p.office_staff(COUNTY)
    opened_on = p.clock.today()

    # Day 13: nothing yet; day 14 without a post: a not-updated violation.
    p.clock.set(datetime.combine(opened_on + timedelta(days=13), time(20), tzinfo=SHANGHAI))
    await p.sweep(p.clock.today())
    assert [a for a in await p.alerts(account_id) if a["severity"] == "violation"] == []
    p.clock.set(datetime.combine(opened_on + timedelta(days=14), time(20), tzinfo=SHANGHAI))
    await p.sweep(p.clock.today())
    [alert] = [a for a in await p.alerts(account_id) if a["rule"] == "not_updated"]
    assert (alert["severity"], alert["state"]) == ("violation", "open")
    silent_week = week_start(p.clock.today())

    async def case() -> list[dict[str, Any]]:
        return [c for c in await p.cases(account_id) if c["alert_id"] == alert["id"]]

    [opened] = await p.wait_for(case, "notify opens a case with a notice for the not-updated alert")
    case_id = opened["id"]

    async def notice() -> list[dict[str, Any]]:
        page = await p.ok("notify", "GET", "/v1/inbox", liaison.headers)
        return [m for m in page["items"] if m["case_id"] == case_id]

    await p.wait_for(notice, "the notice reaches the unit's inbox")

    report = {"text": "已安排专人每周更新，建立更新台账。", "signed_by": "王局长", "sealed": True}
    detail = await p.ok("notify", "POST", f"/v1/cases/{case_id}/reports", liaison.headers, json=report)
    first = detail["reports"][-1]["id"]
    detail = await p.ok(
        "notify",
        "POST",
        f"/v1/cases/{case_id}/reports/{first}/return",
        staff.headers,
        json={"reason": "缺少更新台账附件"},
    )
    assert detail["reports"][-1]["status"] == "returned"
    detail = await p.ok(
        "notify",
        "POST",
        f"/v1/cases/{case_id}/reports",
        liaison.headers,
        json={**report, "text": "已建立台账并恢复更新。"},
    )
    second = detail["reports"][-1]["id"]
    detail = await p.ok("notify", "POST", f"/v1/cases/{case_id}/reports/{second}/acceptance", staff.headers)
    assert detail["accepted_at"] is not None and detail["closed_at"] is None, "open until the alert resolves"

    # The account posts again: the monitor resolves the alert and notify closes the case.
    p.clock.advance(hours=1)
    await posted(p, unit, account_id, "恢复更新")

    async def resolved() -> dict[str, Any] | None:
        found = await p.ok("monitor", "GET", f"/v1/alerts/{alert['id']}")
        return found if found["state"] == "resolved" else None

    await p.wait_for(resolved, "the monitor resolves the not-updated alert after the new post")

    async def closed() -> dict[str, Any] | None:
        found = await p.ok("notify", "GET", f"/v1/cases/{case_id}")
        return found if found["closed_at"] else None

    closed_case = await p.wait_for(closed, "notify closes the case")
    assert closed_case["state"] == "closed"

    # The silent week fails on the not-updated veto; the week after, with posts, passes.
    async def vetoed() -> dict[str, Any] | None:
        found = await week_score(p, account_id, silent_week)
        return found if found and "not_updated" in found["veto_reasons"] else None

    failed = await p.wait_for(vetoed, "the silent week's score with the not-updated veto")
    assert not failed["passed"], failed
    next_week = silent_week + timedelta(days=7)
    for n in range(3):
        p.clock.set(datetime.combine(next_week + timedelta(days=n), time(10), tzinfo=SHANGHAI))
        await posted(p, unit, account_id, f"第{n}期")
    p.clock.set(datetime.combine(next_week + timedelta(days=6), time(23), tzinfo=SHANGHAI))
    await p.sweep(p.clock.today())

    async def passed() -> dict[str, Any] | None:  # scoring consumes the posts and resolution in its time
        found = await week_score(p, account_id, next_week)
        return found if found and found["passed"] and found["veto_reasons"] == [] else None

    recovered = await p.wait_for(passed, "the next week's score, passed without a veto")
    assert recovered["passed"] and recovered["veto_reasons"] == [], recovered
    assert recovered["diligence"] > 0


async def test_an_account_listed_three_quarters_for_not_updating_is_recommended_for_closure_and_deregistered(
    platform: Platform,
) -> None:
    p = platform
    p.clock.set(evening(next_quarter(p.clock.today()), 9))
    unit = await p.unit(COUNTY, "文化旅游")
    account_id = await p.open_account(unit, "路桥文化旅游")
    staff = await p.office_staff(COUNTY)
    last_post = p.clock.today()
    for quarter in range(3):
        if quarter:  # the new quarter (the clock is on its second day) starts with a post
            p.clock.advance(hours=1)
            await posted(p, unit, account_id, f"季度{quarter}")
            last_post = p.clock.today()
        for notice in range(2):
            last_post = await silent_for_fourteen_days(p, unit, account_id, last_post, f"{quarter}-{notice}")
        # The office's sweep after the quarter lists the account in the quarter's bulletin.
        listing_day = evening(next_quarter(p.clock.today()), 9) + timedelta(days=1)
        p.clock.set(listing_day)
        swept = await p.ok("notify", "POST", "/v1/sweeps", json={"as_of": listing_day.isoformat()})
        assert account_id in swept["listed"], (quarter, swept)

    async def recommendation() -> list[dict[str, Any]]:
        closures = await p.inbox(staff.headers, kind="closure")  # the whole inbox, not its newest page
        return [m for m in closures if m["payload"].get("account_id") == account_id]

    try:
        [message] = await p.wait_for(recommendation, "the office receives the forced-closure recommendation")
    except AssertionError as missing:  # say where the recommendation went instead
        mine = await p.inbox(staff.headers)
        kinds = [(m["kind"], m.get("created_at", "")) for m in mine[:5]]
        print(f"the office's inbox: {len(mine)} messages, newest {kinds}")
        admin = await p.person(["unit_admin"], unit)
        closures = await p.inbox(admin.headers, kind="closure")
        listings = await p.ok("notify", "POST", "/v1/sweeps", json={"as_of": p.clock.now().isoformat()})
        raise AssertionError(
            f"{missing}; the unit's closure messages: {closures}; sweep again: {listings}"
        ) from None

    # The registry acts on the recommendation by itself: it files the deregistration on behalf of the
    # county office, waiting at the unit level; the account stays active until the filing takes effect.
    office = await p.office(COUNTY)

    async def filed() -> list[dict[str, Any]]:
        page = await p.ok("registry", "GET", "/v1/filings", params={"account_id": account_id})
        return [f for f in page["items"] if f["type"] == "deregister"]

    [filing] = await p.wait_for(filed, "the registry files the recommended deregistration")
    assert (filing["status"], filing["current_level"]) == ("pending", "unit"), filing
    assert filing["filed_by"] == f"office:{office.id}"
    assert "forced-closure recommendation" in filing["payload"]["reason"]
    account = await p.call("registry", "GET", f"/v1/accounts/{account_id}")
    assert account.json()["status"] == "active"
    # The host unit publishes its stop-update notice (停更公告), then every level approves.
    filer = await p.person(["unit_admin"], unit)
    await p.ok(
        "registry",
        "POST",
        f"/v1/accounts/{account_id}/stop-update-notice",
        filer.headers,
        json={"published_on": p.clock.today().isoformat(), "text": "本账号即日起停止更新。"},
        headers={"If-Match": account.headers["etag"]},
    )
    decided = await p.approve_filing(unit, filing)
    await p.activate_due(decided["announcement_ends_on"])
    assert (await p.ok("registry", "GET", f"/v1/accounts/{account_id}"))["status"] == "deregistered"

    async def review_refuses() -> bool:
        editor, _, _ = await p.desk(unit)
        r = await p.call(
            "review",
            "POST",
            "/v1/posts",
            editor.headers,
            json={"account_id": account_id, "title": "通知", "body": CLEAN},
        )
        return r.status_code in (404, 409, 422)

    await p.wait_for(review_refuses, "the review refuses posts of the deregistered account")
    assert message["payload"]["account_id"] == account_id


async def test_a_joint_push_completed_by_some_accounts_gives_them_a_higher_cluster_index(
    platform: Platform,
) -> None:
    p = platform
    units = [await p.unit(COUNTY, tag) for tag in ("卫生健康", "教育", "农业农村")]
    accounts = [
        await p.open_account(u, f"路桥{tag}")
        for u, tag in zip(units, ("卫生健康", "教育", "农业农村"), strict=True)
    ]
    staff = await p.office_staff(COUNTY)
    deadline = p.clock.now() + timedelta(hours=6)
    push = "全区政务服务中心本周六照常开放，自助服务区24小时开放。"
    campaign = await p.ok(
        "review",
        "POST",
        "/v1/campaigns",
        staff.headers,
        json={
            "title": "联动推送：周末服务安排",
            "body": push,
            "deadline": deadline.isoformat(),
            "account_ids": accounts,
        },
    )
    assert campaign["total"] == 3
    # Two of the three republish the push through their own review before the deadline; the third never does.
    for unit, account_id in zip(units[:2], accounts[:2], strict=True):
        p.clock.advance(minutes=30)
        await p.publish_reviewed(unit, account_id, "周末服务安排", push, campaign_id=campaign["id"])
    state = await p.ok("review", "GET", f"/v1/campaigns/{campaign['id']}", staff.headers)
    assert (state["completed"], state["on_time"], state["pending"]) == (2, 2, 1)

    day = deadline.date()
    p.clock.set(evening(day, 23))

    async def scores() -> dict[str, float] | None:
        await p.ok(
            "scoring", "POST", "/v1/recompute", json={"period_kind": "day", "period_start": day.isoformat()}
        )
        found = {a: await score(p, a, "day", day.isoformat()) for a in accounts}
        if not all(found.values()):
            return None
        cluster = {a: float(s["cluster"]) for a, s in found.items() if s}
        # Scoring learns each completion from the review's topic in its own time: a recompute made before it
        # consumed the second one scores that account 0. Wait until both completions count (or fail so).
        return cluster if all(cluster[a] > 0 for a in accounts[:2]) else None

    cluster = await p.wait_for(scores, "the day's scores of the three targets, both completions counted")
    done, also_done, missed = (cluster[a] for a in accounts)
    assert done == also_done == 100.0, cluster
    assert missed == 0.0, cluster


async def test_a_post_published_before_it_was_approved_stays_an_unreviewed_publication(
    platform: Platform,
) -> None:
    """未审先发 approved after the fact: the approval that comes later must not clear the alert."""
    p = platform
    unit = await p.unit(COUNTY, "统计")
    account_id = await p.open_account(unit, "路桥统计")
    published_at = p.clock.now()
    title, body = "统计公报", f"{CLEAN}（统计公报）"
    await p.observe(account_id, f"wx-early-{account_id[:8]}", title, body, published_at)

    async def unreviewed() -> list[dict[str, Any]]:
        return [a for a in await p.alerts(account_id) if a["rule"] == "unreviewed_publication"]

    [alert] = await p.wait_for(unreviewed, "the unreviewed-publication alert")
    # An hour later the unit puts the same text through review, and it is approved.
    p.clock.advance(hours=1)
    post, etag = await p.submit(unit, account_id, title, body)
    approved = await p.approve(unit, post, etag)
    assert approved["status"] == "approved"
    await p.wait_for(lambda: monitor_holds(p, post["id"]), "the monitor learns the late approval")
    page = await p.ok("monitor", "GET", f"/v1/accounts/{account_id}/observed-posts")
    [observation] = page["items"]
    assert observation["match_kind"] == "none", "an approval given after publication is not a review"
    assert (await p.ok("monitor", "GET", f"/v1/alerts/{alert['id']}"))["state"] == "open"


async def test_an_alert_cleared_by_a_late_arriving_approval_withdraws_its_case(platform: Platform) -> None:
    """The crawler saw the post before the review's approval event reached the monitor (event lag)."""
    p = platform
    unit = await p.unit(COUNTY, "气象")
    account_id = await p.open_account(unit, "路桥气象")
    title, body = "天气预报", f"{CLEAN}（天气预报）"
    published_at = p.clock.now()
    await p.observe(account_id, f"wx-lag-{account_id[:8]}", title, body, published_at)

    async def unreviewed() -> list[dict[str, Any]]:
        return [a for a in await p.alerts(account_id) if a["rule"] == "unreviewed_publication"]

    [alert] = await p.wait_for(unreviewed, "the unreviewed-publication alert of the early observation")
    [case] = await p.wait_for(lambda: p.cases(account_id), "the case notify opened for it")
    # The approval was given an hour before publication; its event only arrives now.
    p.clock.set(published_at - timedelta(hours=1))
    post, etag = await p.submit(unit, account_id, title, body)
    await p.approve(unit, post, etag)
    p.clock.set(published_at + timedelta(minutes=5))

    async def cleared() -> dict[str, Any] | None:
        found = await p.ok("monitor", "GET", f"/v1/alerts/{alert['id']}")
        return found if found["state"] == "resolved" else None

    # Not "cleared" (a condition that ended) but "retracted": it never held, so nothing is to rectify.
    assert (await p.wait_for(cleared, "the monitor retracts the alert"))["resolution"] == "retracted"

    async def withdrawn() -> dict[str, Any] | None:
        found = await p.ok("notify", "GET", f"/v1/cases/{case['id']}")
        return found if found["closed_at"] else None

    await p.wait_for(withdrawn, "notify withdraws the case of a cleared false alert", within=20)


async def test_an_unreviewed_post_like_an_earlier_published_one_is_an_unreviewed_publication(
    platform: Platform,
) -> None:
    """Template posts (the same notice with another date) published without review are 未审先发, not
    an edit of the approved post that already went out under its own platform id."""
    p = platform
    unit = await p.unit(COUNTY, "政务服务")
    account_id = await p.open_account(unit, "路桥政务服务")
    notice = "区政务服务中心推出周末延时服务，企业群众可预约办理。"
    await p.publish_reviewed(unit, account_id, "延时服务", f"{notice}（3月5日）")
    p.clock.advance(days=1)
    ppid = f"wx-template-{account_id[:8]}"
    await p.observe(account_id, ppid, "延时服务", f"{notice}（3月6日）", p.clock.now())

    async def alerted() -> list[dict[str, Any]]:
        return [a for a in await p.alerts(account_id) if a["period"] == ppid]

    [alert] = await p.wait_for(alerted, "an alert for the second post")
    assert alert["rule"] == "unreviewed_publication", alert


CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"


async def test_every_record_the_stories_put_on_the_bus_is_what_the_integrators_guide_promises(
    platform: Platform, infra: Infrastructure
) -> None:
    """An integrator's view of docs/events.md, on the real records of every owner: the CloudEvents headers
    are there; ce_source is the owner, ce_type is an event of that topic, ce_subject is the record's key
    and the value's key field; ce_time is the value's occurred_at as the same text; the value is valid
    against the committed JSON Schema of its type."""
    p = platform
    unit = await p.unit(COUNTY, "档案")  # some events of its own, also when run alone
    await p.file_and_open(unit, "路桥档案")
    ends = await _end_offsets(infra.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    problems: list[str] = []
    seen: dict[str, int] = {}
    validators: dict[str, jsonschema.protocols.Validator] = {}
    try:
        wanted = {tp: end for tp, end in ends.items() if end > _ENDS_BEFORE.get(tp, 0)}
        consumer.assign(list(wanted))
        for tp in wanted:
            consumer.seek(tp, _ENDS_BEFORE.get(tp, 0))
        left = dict(wanted)
        while left:
            batches = await consumer.getmany(timeout_ms=2000)
            if not batches:
                break
            for tp, records in batches.items():
                for r in records:
                    if r.offset >= wanted[tp]:
                        continue
                    headers = {k: v.decode() for k, v in r.headers}
                    type_ = headers.get("ce_type", "")
                    cls = CATALOGUE.get(type_)
                    where = f"{tp.topic}@{tp.partition}:{r.offset} {type_ or '(no ce_type)'}"
                    if cls is None or cls.topic != tp.topic:
                        problems.append(f"{where}: not an event type of this topic")
                        continue
                    seen[cls.service] = seen.get(cls.service, 0) + 1
                    value = orjson.loads(r.value or b"null")
                    key = (r.key or b"").decode()
                    expected = {
                        "ce_specversion": "1.0",
                        "ce_source": f"/govmedia/{cls.service}",
                        "ce_subject": key,
                        "ce_time": value.get("occurred_at") if isinstance(value, dict) else None,
                        "content-type": "application/json",
                    }
                    for name, want in expected.items():
                        if headers.get(name) != want:
                            problems.append(f"{where}: {name} is {headers.get(name)!r}, not {want!r}")
                    if not headers.get("ce_id"):
                        problems.append(f"{where}: no ce_id")
                    if isinstance(value, dict) and str(value.get(cls.key_field)) != key:
                        problems.append(f"{where}: key {key!r} is not its {cls.key_field}")
                    if type_ not in validators:
                        schema = orjson.loads((CONTRACTS / f"{type_}.json").read_bytes())
                        validators[type_] = jsonschema.Draft202012Validator(
                            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
                        )
                    for error in validators[type_].iter_errors(value):
                        problems.append(f"{where}: {error.json_path}: {error.message[:200]}")
                if records and records[-1].offset + 1 >= wanted[tp]:
                    left.pop(tp, None)
    finally:
        await consumer.stop()
    assert not problems, "\n".join(problems[:30])
    assert "registry" in seen, seen


async def test_an_integrator_loads_the_initial_state_over_http_with_a_client_credentials_token(
    platform: Platform,
) -> None:
    """docs/events.md, 'Loading the initial state', step 2: a read-only machine client of the province reads
    every list it names to the end, following next_cursor, and finds what the registry holds."""
    p = platform
    unit = await p.unit(COUNTY, "统计")
    account_id, _ = await p.file_and_open(unit, "路桥统计")
    machine = await p.client_headers(
        "市级门户同步", ["registry:read", "monitor:read", "notify:read", "review:read", "scoring:read"]
    )
    lists = {
        ("registry", "/v1/accounts"): {},
        ("registry", "/v1/units"): {},
        ("registry", "/v1/people"): {},
        ("registry", "/v1/filings"): {},
        ("monitor", "/v1/alerts"): {"state": "open"},
        ("notify", "/v1/cases"): {},
        ("review", "/v1/posts"): {},
    }
    read: dict[str, list[dict[str, Any]]] = {}
    for (service, path), params in lists.items():
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {**params, "limit": 200}
        for _ in range(100):
            r = await p.call(service, "GET", path, machine, params=query)
            assert r.status_code == 200, (service, path, r.status_code, r.text[:300])
            page = r.json()
            items.extend(page["items"])
            if not page.get("next_cursor"):
                break
            query = {**params, "limit": 200, "cursor": page["next_cursor"]}
        read[f"{service}{path}"] = items
    assert account_id in {a["id"] for a in read["registry/v1/accounts"]}
    assert unit.id in {u["id"] for u in read["registry/v1/units"]}
    r = await p.call(
        "scoring",
        "GET",
        "/v1/rankings",
        machine,
        params={"period_kind": "day", "period_start": p.clock.today().isoformat()},
    )
    assert r.status_code == 200, r.text
