"""先审后发 over HTTP: check, three levels, separation of duties, overrides, resubmission, publication."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from govmedia_checks import load_starter_lexicons
from govmedia_common.events import PostOverridden
from govmedia_common.hashing import content_hash

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration

STARTER = {kind: doc["version"] for kind, doc in load_starter_lexicons().to_dict().items()}
CLEAN = "今天上午，区政务服务中心正常开放，市民可预约办理社保业务。"
BLOCKING = "中国人民共和国成立七十六周年，全区举行升旗仪式。"


async def test_a_post_is_checked_reviewed_at_three_levels_approved_and_published(review: ReviewKit) -> None:
    unit = review.unit("市场监管")
    account = await review.account(unit)

    r = await unit.editor.http.post(
        "/v1/posts",
        json={"account_id": account, "title": "通知", "body": CLEAN},
        headers={"Idempotency-Key": "p-1"},
    )
    assert r.status_code == 201, r.text
    post, etag = r.json(), r.headers["etag"]
    assert r.headers["location"] == f"/v1/posts/{post['id']}"
    assert (post["status"], post["revision"], post["current_level"], post["current_level_name"]) == (
        "in_review",
        1,
        1,
        "初审",
    )
    assert post["check"]["findings"] == [] and not post["blocking"]
    assert post["check"]["lexicon_versions"]["sensitive"] == f"starter-sensitive@{STARTER['sensitive']}"
    assert post["content_hash"] == content_hash("通知", CLEAN)
    replay = await unit.editor.http.post(
        "/v1/posts",
        json={"account_id": account, "title": "通知", "body": CLEAN},
        headers={"Idempotency-Key": "p-1"},
    )
    assert replay.json()["id"] == post["id"] and replay.headers["idempotent-replayed"] == "true"

    names = []
    for who, level_name in ((unit.r1, "初审"), (unit.r2, "复审"), (unit.boss, "终审")):
        current = (await who.http.get(f"/v1/posts/{post['id']}")).json()
        assert current["current_level_name"] == level_name
        r = await review.decide(who, post["id"], etag, reason="同意")
        assert r.status_code == 200, r.text
        etag = r.headers["etag"]
        names.append(who.name)
    approved = r.json()
    assert approved["status"] == "approved" and approved["approved_hash"] == post["content_hash"]
    assert [(x["level"], x["level_name"], x["reviewer_name"]) for x in approved["reviewers"]] == [
        (1, "初审", names[0]),
        (2, "复审", names[1]),
        (3, "终审", names[2]),
    ]

    r = await review.publish(unit.editor, post)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["publication"]["published_by"] == unit.editor.id

    events = await review.outbox(post["id"])
    assert [t for t, _ in events] == [
        "submitted",
        "checked",
        "reviewed",
        "reviewed",
        "reviewed",
        "approved",
        "published",
    ]
    by_type = dict(events)
    assert by_type["submitted"]["revision"] == 1 and by_type["submitted"]["review_levels"] == 3
    assert by_type["checked"]["blocking"] is False and by_type["checked"]["findings_total"] == 0
    assert (
        by_type["checked"]["lexicon_versions"]["expressions"]
        == f"starter-expressions@{STARTER['expressions']}"
    )
    assert by_type["approved"]["override"] is False and by_type["approved"]["text"] == CLEAN
    assert [x["reviewer_name"] for x in by_type["published"]["reviewers"]] == names
    assert [x["final"] for t, x in events if t == "reviewed"] == [False, False, True]
    assert [a["action"] for a in await review.audit() if a["target"] == post["id"]] == [
        "post.submit",
        "post.review.approve",
        "post.review.approve",
        "post.review.approve",
        "post.publish",
    ]


async def test_one_person_cannot_take_two_steps_and_stale_decisions_are_refused(review: ReviewKit) -> None:
    unit = review.unit("教育")
    both = review.person("全能审核", ["reviewer", "approver"], unit=unit.id)
    post, etag = await review.submit(unit.editor, await review.account(unit))

    assert (
        await both.http.post(f"/v1/posts/{post['id']}/reviews", json={"decision": "approve"})
    ).status_code == 428
    r = await review.decide(both, post["id"], etag)
    assert r.status_code == 200, r.text
    assert (await review.decide(unit.r2, post["id"], etag)).status_code == 412  # stale ETag
    etag = r.headers["etag"]
    r = await review.decide(both, post["id"], etag)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "one-step-per-person"
    refused = [a for a in await review.audit() if a["outcome"] == "refused"]
    assert refused[-1]["actor_id"] == both.id and refused[-1]["detail"]["reason"] == "one-step-per-person"

    r = await review.decide(unit.r2, post["id"], etag)
    assert r.status_code == 200
    r = await review.decide(both, post["id"], r.headers["etag"])  # the final level: still one step only
    assert r.json()["code"] == "one-step-per-person"


async def test_the_submitter_never_reviews_their_own_post(review: ReviewKit) -> None:
    unit = review.unit("卫健")
    writer_and_reviewer = review.person("兼职采编", ["editor", "reviewer"], unit=unit.id)
    post, etag = await review.submit(writer_and_reviewer, await review.account(unit))
    r = await review.decide(writer_and_reviewer, post["id"], etag)
    assert r.status_code == 403 and r.json()["code"] == "submitter-cannot-review"


async def test_a_reviewer_cannot_take_the_final_level(review: ReviewKit) -> None:
    unit = review.unit("民政")
    post, etag = await review.submit(unit.editor, await review.account(unit, levels=2))
    r = await review.decide(unit.r1, post["id"], etag)
    assert r.json()["current_level_name"] == "终审"
    r = await review.decide(unit.r2, post["id"], r.headers["etag"])
    assert r.status_code == 403 and r.json()["code"] == "final-approver-required"


async def test_blocking_findings_pass_only_by_referral_and_a_written_override_by_the_final_approver(
    review: ReviewKit,
) -> None:
    unit = review.unit("宣传")
    post, etag = await review.submit(unit.editor, await review.account(unit), body=BLOCKING)
    assert post["blocking"] and post["check"]["by_category"] == {"serious_expression_error": 1}
    finding = post["check"]["findings"][0]
    assert finding["severity"] == "block" and BLOCKING[finding["start"] : finding["end"]] == "中国人民共和国"

    r = await review.decide(unit.r1, post["id"], etag)  # a lower level cannot pass it
    assert r.status_code == 409 and r.json()["code"] == "blocking-findings"
    r = await review.decide(unit.r1, post["id"], etag, override_reason="误报")  # nor override it
    assert r.status_code == 409 and r.json()["code"] == "blocking-findings"
    r = await review.decide(unit.r1, post["id"], etag, "refer", reason="国名写错需领导定夺")
    assert r.status_code == 200 and r.json()["current_level"] == 2
    r = await review.decide(unit.r2, post["id"], r.headers["etag"], "refer", reason="同意上报")
    etag = r.headers["etag"]

    r = await review.decide(unit.boss, post["id"], etag)
    assert r.status_code == 422 and r.json()["code"] == "override-reason-required"
    r = await review.decide(unit.boss, post["id"], etag, override_reason="原文引用历史档案标题，需保留原貌")
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["override"]
    assert approved["override_reason"] == "原文引用历史档案标题，需保留原貌"

    [entry] = await review.audit("post.override")
    assert entry["actor_id"] == unit.boss.id and entry["target"] == post["id"]
    assert entry["detail"]["blocking_categories"] == ["serious_expression_error"]
    types = [t for t, _ in await review.outbox(post["id"])]
    assert types[-2:] == ["overridden", "approved"]

    record = await review.from_broker(PostOverridden, lambda data: data.get("post_id") == post["id"])
    assert record["headers"]["ce_subject"] == post["account_id"]
    assert record["data"]["approver_name"] == unit.boss.name
    assert record["data"]["blocking_categories"] == ["serious_expression_error"]
    assert record["data"]["content_hash"] == post["content_hash"]


async def test_a_returned_post_is_edited_rechecked_and_restarts_at_level_one(review: ReviewKit) -> None:
    unit = review.unit("交通")
    colleague = review.person("另一采编", ["editor"], unit=unit.id)
    post, etag = await review.submit(unit.editor, await review.account(unit), body=BLOCKING)
    r = await review.decide(unit.r1, post["id"], etag, "refer", reason="请复审")
    assert (await review.decide(unit.r2, post["id"], r.headers["etag"], "return")).json()[
        "code"
    ] == "reason-required"
    r = await review.decide(unit.r2, post["id"], r.headers["etag"], "return", reason="国名写错了")
    assert r.json()["status"] == "returned"
    etag = r.headers["etag"]

    fixed = BLOCKING.replace("中国人民共和国", "中华人民共和国")
    edit = {"title": "通知", "body": fixed}
    assert (
        await colleague.http.put(f"/v1/posts/{post['id']}", json=edit, headers={"If-Match": etag})
    ).json()["code"] == "not-the-submitter"
    r = await unit.editor.http.put(f"/v1/posts/{post['id']}", json=edit, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["revision"], edited["status"], edited["current_level"], edited["blocking"]) == (
        2,
        "in_review",
        1,
        False,
    )
    assert edited["content_hash"] == content_hash("通知", fixed)
    assert [x["blocking"] for x in edited["revisions"]] == [True, False]
    assert edited["reviewers"] == []

    # Whoever reviewed revision 1 may review revision 2 — once — and never the submitter.
    etag = r.headers["etag"]
    r = await review.decide(unit.r2, post["id"], etag)
    assert r.status_code == 200, r.text
    assert (await review.decide(unit.r2, post["id"], r.headers["etag"])).json()[
        "code"
    ] == "one-step-per-person"
    r = await review.decide(unit.r1, post["id"], r.headers["etag"])
    r = await review.decide(unit.boss, post["id"], r.headers["etag"])
    done = r.json()
    assert done["status"] == "approved" and not done["override"]
    assert [(x["revision"], x["level"], x["decision"]) for x in done["steps"]] == [
        (1, 1, "refer"),
        (1, 2, "return"),
        (2, 1, "approve"),
        (2, 2, "approve"),
        (2, 3, "approve"),
    ]
    assert [x["reviewer_id"] for x in done["reviewers"]] == [unit.r2.id, unit.r1.id, unit.boss.id]
    events = await review.outbox(post["id"])
    assert [x["revision"] for t, x in events if t == "submitted"] == [1, 2]
    assert [x["blocking"] for t, x in events if t == "checked"] == [True, False]
    assert "returned" in [t for t, _ in events]
    r = await unit.editor.http.put(
        f"/v1/posts/{post['id']}", json=edit, headers={"If-Match": r.headers["etag"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "illegal-transition"


async def test_publication_must_match_the_approved_content(review: ReviewKit) -> None:
    unit = review.unit("文旅")
    post, etag = await review.submit(unit.editor, await review.account(unit))
    r = await review.publish(unit.editor, post)
    assert r.status_code == 409 and r.json()["code"] == "illegal-transition"
    approved, _ = await review.approve_all(unit, post["id"], etag)

    r = await review.publish(unit.editor, post, digest=content_hash("通知", CLEAN + "（已修改）"))
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "content-differs-from-approved"
    assert problem["approved_hash"] == approved["approved_hash"]
    r = await review.publish(unit.r1, post)
    assert r.status_code == 403 and r.json()["code"] == "insufficient-scope"  # reviewers do not publish
    r = await review.publish(unit.editor, post)
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert [t for t, _ in await review.outbox(post["id"])][-1] == "published"


async def test_only_active_accounts_accept_posts(review: ReviewKit) -> None:
    unit = review.unit("水利")
    suspended = await review.account(unit, status="suspended")
    r = await unit.editor.http.post("/v1/posts", json={"account_id": suspended, "body": CLEAN})
    assert r.status_code == 409 and r.json()["code"] == "account-not-active"
    r = await unit.editor.http.post(
        "/v1/posts", json={"account_id": "00000000-0000-4000-8000-000000000000", "body": CLEAN}
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown-account"
