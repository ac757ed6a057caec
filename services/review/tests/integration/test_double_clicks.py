"""The same review step twice at once (a double-click, a client retrying on a timeout): one effect, one event.

Each request runs in its own transaction at the same time; the losers get a problem saying why, never a
5xx, and the outbox holds one event per step.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def test_one_reviewer_approving_twice_at_once_decides_once(review: ReviewKit) -> None:
    unit = review.unit("双击")
    post, etag = await review.submit(unit.editor, await review.account(unit))
    answers = await asyncio.gather(*(review.decide(unit.r1, post["id"], etag) for _ in range(5)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses[200] == 1, [(a.status_code, a.text[:120]) for a in answers]
    for refused in (a for a in answers if a.status_code != 200):
        assert refused.status_code in (403, 409, 412), refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    reviewed = [t for t, _ in await review.outbox(post["id"])].count("reviewed")
    assert reviewed == 1, await review.outbox(post["id"])


async def test_publishing_twice_at_once_publishes_once(review: ReviewKit) -> None:
    unit = review.unit("双发")
    post, etag = await review.submit(unit.editor, await review.account(unit))
    await review.approve_all(unit, post["id"], etag)
    answers = await asyncio.gather(*(review.publish(unit.editor, post) for _ in range(5)))
    assert [a.status_code for a in answers].count(200) >= 1, [(a.status_code, a.text[:120]) for a in answers]
    for other in (a for a in answers if a.status_code != 200):
        assert other.status_code == 409, other.text
        assert other.headers["content-type"].startswith("application/problem+json")
    published = [t for t, _ in await review.outbox(post["id"])].count("published")
    assert published == 1, await review.outbox(post["id"])


async def test_one_idempotency_key_submitted_twice_at_once_makes_one_post(review: ReviewKit) -> None:
    unit = review.unit("双交")
    account = await review.account(unit)
    body = {"account_id": account, "title": "通知", "body": "今天上午，区政务服务中心正常开放。"}
    answers = await asyncio.gather(
        *(
            unit.editor.http.post("/v1/posts", json=body, headers={"Idempotency-Key": "double-submit-1"})
            for _ in range(5)
        )
    )
    assert {a.status_code for a in answers} == {201}, [(a.status_code, a.text[:120]) for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    listed = await unit.editor.http.get("/v1/posts", params={"account_id": account})
    assert len(listed.json()["items"]) == 1, listed.json()
