"""Observed posts against approved ones (双向反馈), overrides, idempotent ingest, alerts on the broker."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from unittest.mock import ANY

import pytest
from sqlalchemy import select

from govmedia_common.db import audit_table, outbox_table
from govmedia_common.events import AlertRaised, AlertResolved

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

TITLE = "关于国庆假期政务服务安排的通知"
TEXT = (
    "国庆假期期间，区政务服务中心10月1日至8日暂停现场办理业务，10月9日起恢复正常。"
    "市民可通过“浙里办”办理社保、公积金等事项。"
)


async def test_a_post_matching_no_approved_post_raises_a_serious_alert_and_shows_no_match(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    await monitor.approve(account, TITLE, TEXT)
    r = await monitor.observe(
        account, "本周六上午举行便民服务集市活动，欢迎市民参加。", title="便民服务集市", post_id="wx-rogue"
    )
    assert r.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    obs = await monitor.observation(account, "wx-rogue")
    assert (obs.match_kind, obs.matched_post_id) == ("none", None)
    [alert] = await monitor.alerts(account)
    assert (alert.rule, alert.severity, alert.alert_class, alert.period) == (
        "unreviewed_publication",
        "serious",
        "serious",
        "wx-rogue",
    )


async def test_an_approved_and_published_post_raises_nothing_and_shows_its_exact_match(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-ok", TITLE, TEXT)
    await monitor.observe(account, TEXT, title=TITLE, post_id="wx-ok")
    obs = await monitor.observation(account, "wx-ok")
    assert (obs.match_kind, obs.matched_post_id, obs.match_score) == ("exact", post_id, 1.0)
    assert await monitor.alerts(account) == []

    view = (await monitor.office.get(f"/v1/accounts/{account}")).json()
    assert (view["status"], view["active_since"]) == ("active", "2025-09-01") and view["last_post_at"]
    r = await monitor.office.get(f"/v1/accounts/{account}/observed-posts")
    assert r.status_code == 200, r.text
    [shown] = r.json()["items"]
    assert (shown["match_kind"], shown["matched_post_id"], shown["match_score"]) == ("exact", post_id, 1.0)


async def test_a_reformatted_post_is_formatting_noise_not_an_alarm(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    # The platform turned full-width punctuation into half-width, split lines and added spaces.
    reformatted = TEXT.replace("，", ", ").replace("。", ".\n").replace("“", '"').replace("”", '"')
    await monitor.observe(account, reformatted, title=f"  {TITLE} ", post_id="wx-reflow")
    obs = await monitor.observation(account, "wx-reflow")
    assert (obs.match_kind, obs.matched_post_id) == ("near", post_id)
    assert obs.match_score == 1.0
    assert await monitor.alerts(account) == []


async def test_a_post_edited_after_approval_raises_a_mismatch_alert(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-edited", TITLE, TEXT)
    edited = TEXT.replace("10月9日起恢复正常", "10月12日起恢复正常，请相互转告")
    await monitor.observe(account, edited, title=TITLE, post_id="wx-edited")
    obs = await monitor.observation(account, "wx-edited")
    assert (obs.match_kind, obs.matched_post_id) == ("mismatch", post_id)
    assert obs.match_score is not None and 0.6 <= obs.match_score < 1.0
    [alert] = await monitor.alerts(account)
    assert (alert.rule, alert.detail["approved_post_id"]) == ("content_mismatch", post_id)


async def test_an_approval_arriving_after_the_observation_retracts_the_unreviewed_alert(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    await monitor.observe(account, TEXT, title=TITLE, post_id="wx-early")
    [alert] = await monitor.alerts(account)
    assert alert.rule == "unreviewed_publication" and alert.state == "open"
    await monitor.approve(account, TITLE, TEXT)
    [retracted] = await monitor.alerts(account)
    # A false alarm, not a fixed problem: notify withdraws its case and scoring stops counting it.
    assert (retracted.state, retracted.resolution) == ("resolved", "retracted")
    assert (await monitor.observation(account, "wx-early")).match_kind == "exact"


async def test_an_overridden_approval_raises_an_alert_once(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT, override=True)
    [alert] = await monitor.alerts(account)
    assert (alert.rule, alert.period, alert.detail["post_id"]) == ("override", post_id, post_id)
    assert alert.detail["blocking_categories"] == ["serious_expression_error"]


async def test_replaying_the_same_ingest_changes_nothing(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post = {
        "account_id": account,
        "platform_post_id": "wx-1",
        "title": "",
        "text": "今日要闻。",
        "published_at": monitor.clock.now().isoformat(),
    }
    metric = {
        "account_id": account,
        "platform_post_id": "wx-1",
        "taken_at": monitor.clock.now().isoformat(),
        "reads": 100,
        "watching": 3,
        "likes": 5,
    }
    message = {"account_id": account, "message_id": "m-9", "received_at": monitor.clock.now().isoformat()}
    for path, body in (
        ("/v1/observed-posts/bulk", post),
        ("/v1/metrics/bulk", metric),
        ("/v1/messages/bulk", message),
    ):
        first = await monitor.connector.post(path, json={"items": [body, body]})
        again = await monitor.connector.post(path, json={"items": [body]})
        assert first.json() == {"accepted": 1, "duplicates": 1, "rejected": []}, (path, first.text)
        assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}, (path, again.text)
    alerts = await monitor.alerts(account)
    assert [a.rule for a in alerts] == ["unreviewed_publication"], "one alert, not two"


async def test_a_bulk_request_with_a_bad_item_stores_nothing_and_names_the_item(monitor: MonitorKit) -> None:
    account = await monitor.account()
    good = {"account_id": account, "taken_at": monitor.clock.now().isoformat(), "followers": 10}
    bad = {"account_id": account, "taken_at": "yesterday", "reads": -1}
    r = await monitor.connector.post("/v1/metrics/bulk", json={"items": [good, bad]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert {e["index"] for e in r.json()["errors"]} == {1}
    r = await monitor.connector.post("/v1/metrics/bulk", json={"items": [good]})
    assert r.json()["accepted"] == 1, "nothing of the refused request was stored"


async def test_an_account_the_monitor_does_not_know_is_refused_as_unknown_account_single_and_bulk(
    monitor: MonitorKit,
) -> None:
    """Like the review: a specific problem type a client can retry on once the registry's event arrived."""
    account = await monitor.account()
    outsider = await monitor.account(region="330102")  # known, but outside the client below
    stranger = str(uuid.uuid4())
    now = monitor.clock.now().isoformat()
    metric = {"account_id": stranger, "taken_at": now, "followers": 10}
    post = {"account_id": stranger, "platform_post_id": "wx-u", "text": "正文", "published_at": now}
    message = {"account_id": stranger, "message_id": "m-u", "received_at": now}
    for path, body in (("/v1/metrics", metric), ("/v1/observed-posts", post), ("/v1/messages", message)):
        r = await monitor.connector.post(path, json=body)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert (problem["type"], problem["code"]) == (
            "urn:govmedia:problem:unknown-account",
            "unknown-account",
        )
        assert stranger in problem["detail"], (path, problem)

        r = await monitor.connector.post(
            f"{path}/bulk", json={"items": [{**body, "account_id": account}, body]}
        )
        problem = r.json()
        assert r.status_code == 422 and problem["code"] == "unknown-account", (path, problem)
        assert problem["errors"] == [
            {
                "index": 1,
                "location": "body.items.1.account_id",
                "code": "unknown-account",
                "message": ANY,
                "type": "unknown-account",
            }
        ]

    # An account known elsewhere is refused exactly as one that does not exist: the answer must not tell a
    # client outside its region that the account exists (as the review answers).
    county = monitor.client(
        monitor.token("luqiao", kind="client", scopes=["monitor:ingest"], region="331004")
    )
    r = await county.post("/v1/metrics/bulk", json={"items": [metric, {**metric, "account_id": outsider}]})
    assert r.status_code == 422 and r.json()["code"] == "unknown-account", r.text
    errors = r.json()["errors"]
    assert [(e["index"], e["code"]) for e in errors] == [(0, "unknown-account"), (1, "unknown-account")]
    assert errors[0]["message"].replace(stranger, "X") == errors[1]["message"].replace(outsider, "X")
    known_elsewhere = await county.post("/v1/metrics", json={**metric, "account_id": outsider})
    unknown = await county.post("/v1/metrics", json=metric)
    assert known_elsewhere.status_code == unknown.status_code == 422
    assert known_elsewhere.json()["detail"].replace(outsider, "X") == unknown.json()["detail"].replace(
        stranger, "X"
    )
    assert known_elsewhere.json()["code"] == "unknown-account"


async def test_an_office_dismisses_an_alert_with_a_reason_and_alerts_are_scoped_to_the_callers_subtree(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account(region="331004")
    await monitor.observe(account, "未经审核的内容。", post_id="wx-x")
    [alert] = await monitor.alerts(account)

    elsewhere = monitor.client(
        monitor.token("hz", roles=["office_staff"], scopes=["monitor:read"], region="330100")
    )
    assert (await elsewhere.get(f"/v1/alerts/{alert.id}")).status_code == 404
    assert (await elsewhere.get("/v1/alerts")).json()["items"] == []
    listed = (
        await monitor.office.get("/v1/alerts", params={"alert_class": "serious", "state": "open"})
    ).json()
    assert [a["id"] for a in listed["items"]] == [alert.id]

    r = await monitor.office.post(f"/v1/alerts/{alert.id}/dismissal", json={"reason": ""})
    assert r.status_code == 422
    r = await monitor.office.post(
        f"/v1/alerts/{alert.id}/dismissal", json={"reason": "平台重复抓取，已核实为已审内容"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["resolution"], r.json()["resolution_reason"]) == (
        "resolved",
        "dismissed",
        "平台重复抓取，已核实为已审内容",
    )
    again = await monitor.office.post(f"/v1/alerts/{alert.id}/dismissal", json={"reason": "再次"})
    assert again.status_code == 409
    async with monitor.sessions() as session:
        payloads = (
            (
                await session.execute(
                    select(outbox_table.c.payload).where(outbox_table.c.type == AlertResolved.event_type)
                )
            )
            .scalars()
            .all()
        )
        audit = (
            await session.execute(select(audit_table).where(audit_table.c.action == "alert.dismiss"))
        ).all()
    [resolved] = [AlertResolved.model_validate(p) for p in payloads]
    assert (resolved.resolution, resolved.reason) == ("dismissed", "平台重复抓取，已核实为已审内容")
    assert len(audit) == 1 and audit[0].detail["reason"] == "平台重复抓取，已核实为已审内容"


async def test_alert_raised_reaches_the_broker_as_a_cloudevent_keyed_by_the_account(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    r = await monitor.observe(account, "未经审核的内容。", post_id="wx-broker")
    assert r.json()["accepted"] == 1, r.text
    record = await monitor.from_broker(
        AlertRaised.topic, AlertRaised.event_type, lambda d: d.get("account_id") == account
    )
    h = record["headers"]
    assert h["ce_specversion"] == "1.0" and h["ce_source"] == "/govmedia/monitor"
    assert h["ce_type"] == "gov.monitor.alert.raised.v1" and h["ce_subject"] == account
    assert record["key"] == account.encode()
    event = AlertRaised.model_validate(record["data"])
    assert (event.rule, event.severity, event.period) == ("unreviewed_publication", "serious", "wx-broker")
