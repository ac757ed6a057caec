"""Joint pushes (联动推送): targets resolved from the projection, each republished through its own review."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import ReviewKit, Unit

pytestmark = pytest.mark.integration

PUSH = "国庆假期全区政务服务中心开放时间安排：10月1日至8日休息，自助服务区24小时开放。"


async def _republish(review: ReviewKit, unit: Unit, account: str, campaign_id: str) -> dict[str, Any]:
    post, etag = await review.submit(
        unit.editor, account, body=PUSH, title="国庆安排", campaign_id=campaign_id
    )
    post, _ = await review.approve_all(unit, post["id"], etag)
    r = await review.publish(unit.editor, post)
    assert r.status_code == 200, r.text
    return post


async def test_targets_complete_on_time_or_late_and_the_completion_rate_follows(review: ReviewKit) -> None:
    luqiao_a, luqiao_b, jiaojiang = (
        review.unit("路桥甲"),
        review.unit("路桥乙"),
        review.unit("椒江", "331002"),
    )
    office = review.person("区府办", ["office_staff"], unit=None, region="331004")
    a = await review.account(luqiao_a, name="路桥甲")
    b = await review.account(luqiao_b, name="路桥乙")
    await review.account(luqiao_b, platform="weibo", name="路桥乙微博")
    await review.account(luqiao_a, status="suspended", name="已关停")
    elsewhere = await review.account(jiaojiang, name="椒江发布")
    deadline = review.clock.now() + timedelta(days=1)

    assert (
        await luqiao_a.editor.http.post(
            "/v1/campaigns",
            json={
                "title": "国庆安排",
                "body": PUSH,
                "deadline": deadline.isoformat(),
                "region_code": "331004",
            },
        )
    ).status_code == 403
    r = await office.http.post(
        "/v1/campaigns",
        json={
            "title": "国庆安排",
            "body": PUSH,
            "deadline": deadline.isoformat(),
            "account_ids": [a, elsewhere],
        },
    )
    assert r.status_code == 422 and r.json()["account_ids"] == [elsewhere]
    r = await office.http.post(
        "/v1/campaigns",
        json={"title": "国庆安排", "body": PUSH, "deadline": deadline.isoformat(), "region_code": "331000"},
    )
    # as every region parameter answers (a region elsewhere and one that does not exist alike)
    assert r.status_code == 404 and r.json()["code"] == "not-found"
    r = await office.http.post(
        "/v1/campaigns",
        headers={"Idempotency-Key": "push-1"},
        json={
            "title": "国庆安排",
            "body": PUSH,
            "deadline": deadline.isoformat(),
            "region_code": "331004",
            "platform": "wechat",
        },
    )
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert sorted(t["account_id"] for t in campaign["targets"]) == sorted([a, b])
    assert (campaign["total"], campaign["pending"], campaign["completion_rate"]) == (2, 2, 0.0)
    [(kind, issued)] = await review.outbox(campaign["id"])
    assert kind == "issued" and sorted(issued["target_account_ids"]) == sorted([a, b])

    r = await jiaojiang.editor.http.post(
        "/v1/posts", json={"account_id": elsewhere, "body": PUSH, "campaign_id": campaign["id"]}
    )
    assert r.status_code == 422 and r.json()["code"] == "not-a-campaign-target"

    post_a = await _republish(review, luqiao_a, a, campaign["id"])
    review.clock.advance(days=2)
    view = (await office.http.get(f"/v1/campaigns/{campaign['id']}")).json()
    pending = {t["account_id"]: t for t in view["targets"]}[b]
    assert pending["state"] == "pending" and pending["overdue"]
    post_b = await _republish(review, luqiao_b, b, campaign["id"])

    view = (await office.http.get(f"/v1/campaigns/{campaign['id']}")).json()
    states = {t["account_id"]: (t["state"], t["post_id"]) for t in view["targets"]}
    assert states == {a: ("on_time", post_a["id"]), b: ("late", post_b["id"])}
    assert (view["completed"], view["on_time"], view["late"], view["pending"]) == (2, 1, 1, 0)
    assert (view["completion_rate"], view["on_time_rate"]) == (1.0, 0.5)
    completed = [x for t, x in await review.outbox(campaign["id"]) if t == "target_completed"]
    assert [(x["account_id"], x["on_time"]) for x in completed] == [(a, True), (b, False)]
    published = dict(await review.outbox(post_a["id"]))["published"]
    assert published["campaign_id"] == campaign["id"]

    mine = (await luqiao_a.r1.http.get(f"/v1/campaigns/{campaign['id']}")).json()
    assert [t["account_id"] for t in mine["targets"]] == [a]  # a unit sees its own targets only
    assert (await jiaojiang.r1.http.get(f"/v1/campaigns/{campaign['id']}")).status_code == 404
    r = await luqiao_a.editor.http.post(
        "/v1/posts", json={"account_id": a, "body": PUSH, "campaign_id": campaign["id"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "campaign-target-completed"
    listed = (await office.http.get("/v1/campaigns")).json()["items"]
    assert [c["id"] for c in listed] == [campaign["id"]]
