"""Every endpoint checks the token, the role or scope, and the caller's unit or region subtree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def test_callers_see_and_decide_only_what_their_unit_or_subtree_holds(review: ReviewKit) -> None:
    mine, other, far = review.unit("本单位"), review.unit("他单位"), review.unit("外县", "331002")
    post, etag = await review.submit(mine.editor, await review.account(mine))
    await review.submit(other.editor, await review.account(other))
    path = f"/v1/posts/{post['id']}"

    assert (await review.client().get(path)).status_code == 401
    r = await review.client("not-a-jwt").get(path)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert (await other.r1.http.get(path)).status_code == 404
    r = await review.decide(other.r1, post["id"], etag)
    assert r.status_code == 404 and r.json()["code"] == "not-found"
    r = await review.decide(mine.editor, post["id"], etag)
    assert r.status_code == 403 and r.json()["code"] == "insufficient-scope"
    liaison = review.person("联络员", ["liaison"], unit=mine.id)
    assert (await liaison.http.get(path)).json()["code"] == "insufficient-scope"

    county = review.person("区府办", ["office_staff"], unit=None, region="331004")
    city = review.person("市府办", ["office_admin"], unit=None, region="331000")
    neighbour = review.person("椒江区府办", ["office_staff"], unit=None, region="331002")
    assert (await county.http.get(path)).status_code == 200
    assert (await city.http.get(path)).status_code == 200
    assert (await neighbour.http.get(path)).status_code == 404
    assert (await review.decide(county, post["id"], etag)).json()["code"] == "insufficient-scope"

    assert [p["id"] for p in (await mine.r1.http.get("/v1/posts")).json()["items"]] == [post["id"]]
    assert len((await county.http.get("/v1/posts")).json()["items"]) == 2
    assert (await far.r1.http.get("/v1/posts")).json()["items"] == []
    page = (await county.http.get("/v1/posts", params={"limit": 1})).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (await county.http.get("/v1/posts", params={"limit": 1, "cursor": page["next_cursor"]})).json()
    assert rest["items"][0]["id"] == post["id"]
    listed = await county.http.get(
        "/v1/posts", params={"status": "in_review", "account_id": post["account_id"]}
    )
    assert [p["id"] for p in listed.json()["items"]] == [post["id"]]

    r = await other.editor.http.post(
        "/v1/posts", json={"account_id": post["account_id"], "body": "他人的账号"}
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown-account"
    r = await review.publish(other.editor, post)
    assert r.status_code == 404
    refused = [a for a in await review.audit() if a["outcome"] == "refused"]
    # Every refusal is on record (the app factory audits DomainError and Problem refusals alike).
    assert {a["status_code"] for a in refused} == {401, 403, 404, 422}
