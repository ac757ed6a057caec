"""Lexicons are scoped data: a province's list applies to the whole province, a county's additions only to
that county; every change is a new version, audited and announced; each post records the versions it met."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from govmedia_checks import load_starter_lexicons
from govmedia_common.db import outbox_table
from govmedia_common.events import LexiconPublished

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration

# Gambling wording of the kind issue 9 used: blocking under the shipped list in every county.
GAMBLING = "本周末开业的赌博网站推出网上赌场优惠。"
LOCAL = "本周起开放线上预约，谨防帮办黄牛。"
START = str(load_starter_lexicons().to_dict()["sensitive"]["version"])  # the shipped version, whatever it is


def _blocking(check: dict[str, Any]) -> list[str]:
    return sorted(f["excerpt"] for f in check["findings"] if f["severity"] == "block")


async def _check(person: Any, body: str) -> dict[str, Any]:
    r = await person.http.post("/v1/check", json={"body": body})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _lexicon_events(review: ReviewKit) -> list[dict[str, Any]]:
    t = outbox_table
    async with review.sessions() as session:
        rows = (
            await session.execute(
                select(t.c.payload).where(t.c.type == LexiconPublished.event_type).order_by(t.c.seq)
            )
        ).all()
    return [dict(r.payload) for r in rows]


async def _put(person: Any, kind: str, entries: list[dict[str, Any]], **params: Any) -> Any:
    region = params.pop("region", None)
    query = {"region": region} if region else {}
    current = await person.http.get(f"/v1/lexicons/{kind}", params=query)
    assert current.status_code == 200, current.text
    return await person.http.put(
        f"/v1/lexicons/{kind}",
        params=query,
        headers={"If-Match": current.headers["etag"]},
        json={"entries": entries, **params},
    )


async def test_a_county_change_does_not_reach_a_sibling_county_and_the_province_change_reaches_both(
    review: ReviewKit,
) -> None:
    luqiao = review.unit("路桥区政务服务", region="331004")
    jiaojiang = review.unit("椒江区政务服务", region="331002")
    county_admin = review.person("路桥区管理员", ["office_admin"], unit=None, region="331004")
    province_admin = review.person("省管理员", ["office_admin"], unit=None, region="330000")

    before = {u.region: _blocking(await _check(u.editor, GAMBLING)) for u in (luqiao, jiaojiang)}
    assert before["331004"] == before["331002"] == ["网上赌场", "赌博网站"]

    # What issue 9 did: the county admin sends the sensitive list without the gambling terms. Now it only
    # stores the county's own additions (none of them gambling terms): nothing is removed, anywhere.
    emptied = [
        e
        for e in load_starter_lexicons().to_dict()["sensitive"]["entries"]
        if e["term"] not in {"赌博网站", "网上赌场"}
    ] + [{"term": "帮办黄牛", "category": "illegal", "severity": "block", "note": "有偿代办"}]
    r = await _put(county_admin, "sensitive", emptied, version="lq-1")
    assert r.status_code == 200, r.text
    assert (r.json()["scope_region"], r.json()["replaces_base"]) == ("331004", False)

    assert _blocking(await _check(jiaojiang.editor, GAMBLING)) == ["网上赌场", "赌博网站"]
    assert _blocking(await _check(luqiao.editor, GAMBLING)) == ["网上赌场", "赌博网站"]
    assert _blocking(await _check(luqiao.editor, LOCAL)) == ["帮办黄牛"]
    assert _blocking(await _check(jiaojiang.editor, LOCAL)) == []  # the county's term stays in its county

    # A list the engine could not use is refused when it is stored, not at the next check.
    unusable = [{"term": "赌坊", "category": "illegal", "severity": "block", "exceptions": ["赌场"]}]
    bad = await _put(county_admin, "sensitive", unusable)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid-lexicon"

    # A county cannot widen an allowlist, nor write outside its subtree or into the shipped default.
    refused = await _put(county_admin, "link_domains", [{"domain": "example.com"}])
    assert refused.status_code == 403 and refused.json()["code"] == "lexicon-kind-province-only"
    outside = await county_admin.http.put(
        "/v1/lexicons/sensitive",
        params={"region": "331002"},
        headers={"If-Match": 'W/"0"'},
        json={"entries": []},
    )
    assert outside.status_code == 404

    # The province's change applies to both counties (and the county's addition still applies in its own).
    province = [
        *load_starter_lexicons().to_dict()["sensitive"]["entries"],
        {"term": "线上预约", "category": "illegal", "severity": "block", "note": "test"},
    ]
    r = await _put(province_admin, "sensitive", province, version="zj-1")
    assert r.status_code == 200, r.text
    assert (r.json()["scope_region"], r.json()["replaces_base"]) == ("330000", True)
    assert _blocking(await _check(jiaojiang.editor, LOCAL)) == ["线上预约"]
    assert _blocking(await _check(luqiao.editor, LOCAL)) == ["帮办黄牛", "线上预约"]
    versions = (await _check(luqiao.editor, LOCAL))["lexicon_versions"]["sensitive"]
    assert versions.endswith("@zj-1+331004-sensitive@lq-1")

    # Every change is versioned, audited with its scope, and announced for the monitor.
    audit = await review.audit("lexicon.put")
    assert [(a["target"], a["detail"]["version"]) for a in audit] == [
        ("331004/sensitive", "lq-1"),
        ("330000/sensitive", "zj-1"),
    ]
    events = [e for e in await _lexicon_events(review) if e["scope_region_code"] != "000000"]
    assert [(e["lexicon_key"], e["version"], e["replaces_base"]) for e in events] == [
        ("331004/sensitive", "lq-1", False),
        ("330000/sensitive", "zj-1", True),
    ]
    assert events[0]["document"]["entries"][-1]["term"] == "帮办黄牛"
    assert events[0]["document_hash"].startswith("sha256:")


async def test_a_new_version_changes_the_check_and_posts_record_their_versions(review: ReviewKit) -> None:
    unit = review.unit("政务服务")
    admin = review.person("省管理员", ["office_admin"], unit=None, region="330000")
    account = await review.account(unit)

    check = await _check(unit.editor, LOCAL)
    assert check["findings"] == [] and check["lexicon_versions"]["sensitive"] == f"starter-sensitive@{START}"
    before, _ = await review.submit(unit.editor, account, body=LOCAL)

    r = await admin.http.get("/v1/lexicons/sensitive")
    current, etag = r.json(), r.headers["etag"]
    assert (current["version"], current["scope_region"]) == (START, "000000")  # inherited default
    entries = [
        *current["document"]["entries"],
        {"term": "帮办黄牛", "category": "illegal", "severity": "block", "note": "有偿代办"},
    ]
    assert (
        await unit.editor.http.put("/v1/lexicons/sensitive", json={"entries": entries})
    ).status_code == 403
    r = await admin.http.put("/v1/lexicons/sensitive", json={"version": "next", "entries": entries})
    assert r.status_code == 428
    bad = await admin.http.put(
        "/v1/lexicons/sensitive",
        headers={"If-Match": etag},
        json={"version": "next", "entries": [{"term": "x", "category": "typo"}]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid-lexicon"
    r = await admin.http.put(
        "/v1/lexicons/sensitive", headers={"If-Match": etag}, json={"version": "next", "entries": entries}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["entries"], r.json()["active"]) == ("next", len(entries), True)
    again = await admin.http.put(
        "/v1/lexicons/sensitive_terms",
        headers={"If-Match": r.headers["etag"]},
        json={"version": "next", "entries": entries},
    )
    assert again.status_code == 409 and again.json()["code"] == "lexicon-version-exists"
    stale = await admin.http.put(
        "/v1/lexicons/sensitive", headers={"If-Match": etag}, json={"version": "n2", "entries": entries}
    )
    assert stale.status_code == 412

    after, _ = await review.submit(unit.editor, account, body=LOCAL)
    # The province's own list now replaces the default for the whole province.
    assert after["blocking"] and after["check"]["lexicon_versions"]["sensitive"] == "330000-sensitive@next"
    stored = (await unit.r1.http.get(f"/v1/posts/{before['id']}")).json()
    assert not stored["blocking"]
    assert stored["check"]["lexicon_versions"]["sensitive"] == f"starter-sensitive@{START}"
    old = await unit.editor.http.get("/v1/lexicons/sensitive", params={"version": START, "region": "000000"})
    assert old.json()["active"] is True and len(old.json()["document"]["entries"]) == len(entries) - 1


async def test_a_county_loads_its_leaders_and_a_slip_of_a_name_is_a_serious_error(review: ReviewKit) -> None:
    luqiao = review.unit("路桥区", region="331004")
    jiaojiang = review.unit("椒江区", region="331002")
    county_admin = review.person("路桥区管理员", ["office_admin"], unit=None, region="331004")
    text = "王剑国区长到企业调研。"

    empty = await county_admin.http.get("/v1/lexicons/leaders")
    assert empty.status_code == 200 and empty.headers["etag"] == 'W/"0"' and empty.json()["entries"] == 0
    r = await _put(county_admin, "leaders", [{"name": "王建国", "title": "区长"}])
    assert r.status_code == 200, r.text

    check = await _check(luqiao.editor, text)
    serious = [f for f in check["findings"] if f["category"] == "serious_expression_error"]
    assert [(f["excerpt"], f["suggestion"]) for f in serious] == [("王剑国区长", "王建国区长")]
    assert check["blocking"]
    sibling = await _check(jiaojiang.editor, text)
    assert not sibling["blocking"] and sibling["findings"] == []  # the name list is the county's own

    # The monitor learns the new list from the broker (CloudEvents headers, keyed by scope and kind).
    record = await review.from_broker(LexiconPublished, lambda e: e["lexicon_key"] == "331004/leaders")
    assert record["headers"]["ce_type"] == "gov.review.lexicon.published.v1"
    assert record["data"]["document"]["entries"] == [{"name": "王建国", "title": "区长"}]

    # The near-miss policy belongs to the province's protected list; a county cannot loosen it.
    loosen = await _put(county_admin, "protected", [{"text": "数字政府建设"}], policy={"transposition": 9})
    assert loosen.status_code == 422 and loosen.json()["code"] == "lexicon-policy-not-here"

    listing = (await luqiao.editor.http.get("/v1/lexicons")).json()
    assert ("331004", "leaders") in {(x["scope_region"], x["kind"]) for x in listing}
    assert {x["kind"] for x in listing} >= set(load_starter_lexicons().to_dict())
