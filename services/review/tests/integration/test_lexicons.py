"""Lexicons are data: a new version changes the check at once, and each post records the versions it met."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from govmedia_checks import load_starter_lexicons

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration

TEXT = "本周起开放线上预约，详情咨询窗口工作人员，谨防帮办黄牛。"
START = str(load_starter_lexicons().to_dict()["sensitive"]["version"])  # the shipped version, whatever it is
NEW = "test-next"


async def test_a_new_lexicon_version_changes_the_check_and_posts_record_their_versions(
    review: ReviewKit,
) -> None:
    unit = review.unit("政务服务")
    admin = review.person("平台管理员", ["office_admin"], unit=None, region="331000")
    account = await review.account(unit)

    r = await unit.editor.http.post("/v1/check", json={"body": TEXT})
    assert r.status_code == 200, r.text
    assert (
        r.json()["findings"] == []
        and r.json()["lexicon_versions"]["sensitive"] == f"starter-sensitive@{START}"
    )
    before, _ = await review.submit(unit.editor, account, body=TEXT)

    listing = (await unit.editor.http.get("/v1/lexicons")).json()
    assert {x["kind"] for x in listing} == set(load_starter_lexicons().to_dict())  # every shipped kind
    r = await admin.http.get("/v1/lexicons/sensitive")
    current, etag = r.json(), r.headers["etag"]
    assert current["version"] == START and current["versions"] == [START]
    entries = [
        *current["document"]["entries"],
        {"term": "帮办黄牛", "category": "illegal", "severity": "block", "note": "有偿代办"},
    ]

    assert (
        await unit.editor.http.put("/v1/lexicons/sensitive", json={"entries": entries})
    ).status_code == 403
    r = await admin.http.put("/v1/lexicons/sensitive", json={"version": NEW, "entries": entries})
    assert r.status_code == 428
    bad = await admin.http.put(
        "/v1/lexicons/sensitive",
        headers={"If-Match": etag},
        json={"version": NEW, "entries": [{"term": "x", "category": "typo"}]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid-lexicon"
    r = await admin.http.put(
        "/v1/lexicons/sensitive", headers={"If-Match": etag}, json={"version": NEW, "entries": entries}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["entries"], r.json()["active"]) == (NEW, len(entries), True)
    assert r.json()["versions"] == [NEW, START]
    again = await admin.http.put(
        "/v1/lexicons/sensitive_terms",
        headers={"If-Match": r.headers["etag"]},
        json={"version": NEW, "entries": entries},
    )
    assert again.status_code == 409 and again.json()["code"] == "lexicon-version-exists"

    r = await unit.editor.http.post("/v1/check", json={"body": TEXT})
    check = r.json()
    assert check["blocking"] and check["lexicon_versions"]["sensitive"] == f"starter-sensitive@{NEW}"
    assert [(f["excerpt"], f["category"]) for f in check["findings"]] == [("帮办黄牛", "illegal_content")]
    after, _ = await review.submit(unit.editor, account, body=TEXT)
    assert after["blocking"] and after["check"]["lexicon_versions"]["sensitive"] == f"starter-sensitive@{NEW}"
    stored = (await unit.r1.http.get(f"/v1/posts/{before['id']}")).json()
    assert (
        not stored["blocking"]
        and stored["check"]["lexicon_versions"]["sensitive"] == f"starter-sensitive@{START}"
    )
    checked = dict(await review.outbox(after["id"]))["checked"]
    assert checked["lexicon_versions"]["sensitive"] == f"starter-sensitive@{NEW}"
    assert checked["by_category"] == {"illegal_content": 1}

    old = await unit.editor.http.get("/v1/lexicons/sensitive", params={"version": START})
    assert old.json()["active"] is False and len(old.json()["document"]["entries"]) == len(entries) - 1
    [entry] = await review.audit("lexicon.put")
    assert entry["detail"] == {"version": NEW, "previous": START, "entries": len(entries)}
