"""Public announcements (公示) are public: a paginated feed per region and an Atom feed, without a token."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from services.registry.tests.integration.factory import (
    START,
    Registry,
    Taizhou,
    assert_problem,
    open_body,
)

pytestmark = pytest.mark.integration
ATOM = "{http://www.w3.org/2005/Atom}"


async def test_running_announcements_are_listed_per_region_paginated_and_as_atom_without_a_token(
    registry: Registry,
) -> None:
    registry.clock.set(START)
    tz = await Taizhou.build(registry)
    hu = await tz.host_unit()
    approved = []
    for platform in ("wechat", "weibo"):
        filing = await tz.file(hu, open_body(hu.id, "路桥市场监管", platform))
        approved.append(await tz.approve_all(hu, filing["id"]))
    anonymous = await registry.as_(None)

    r = await anonymous.get("/v1/public/announcements", params={"region": "331000", "limit": 1})
    assert r.status_code == 200, r.text
    first = r.json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    r = await anonymous.get(
        "/v1/public/announcements", params={"region": "331000", "limit": 1, "cursor": first["next_cursor"]}
    )
    second = r.json()
    items = first["items"] + second["items"]
    assert sorted(i["filing_id"] for i in items) == sorted(f["id"] for f in approved)
    item = items[0]
    assert (item["account_name"], item["unit_name"], item["filing_type"]) == (
        "路桥市场监管",
        hu.unit["name"],
        "open",
    )
    assert (item["starts_on"], item["ends_on"]) == (
        approved[0]["announcement_starts_on"],
        approved[0]["announcement_ends_on"],
    )
    # A sibling county's feed does not list Luqiao's announcements.
    other = await anonymous.get("/v1/public/announcements", params={"region": "331002"})
    assert other.json()["items"] == []

    feed = await anonymous.get("/v1/public/announcements.atom", params={"region": "331004"})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert sorted(e.findtext(f"{ATOM}id", "") for e in entries) == sorted(
        f"urn:govmedia:filing:{f['id']}" for f in approved
    )
    assert approved[0]["announcement_ends_on"] in (entries[0].findtext(f"{ATOM}summary") or "")

    # Once the announcement has run and the filing took effect, it is no longer listed.
    await tz.apply_after(approved[0])
    r = await anonymous.get("/v1/public/announcements", params={"region": "331000"})
    assert r.json()["items"] == []

    assert_problem(
        await anonymous.get("/v1/public/announcements", params={"region": "999999"}), 404, "not-found"
    )
    assert_problem(await anonymous.get("/v1/public/announcements", params={"region": "abc"}), 422)
