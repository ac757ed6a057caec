"""A lexicon list too large to travel inline reaches the monitor's machine check: the review announces it by
reference, the monitor fetches it with its own machine client's token and checks published posts with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govmedia_common.db import outbox_table
from govmedia_common.events import LexiconPublished
from govmedia_monitor.models import LexiconList
from govmedia_platform.launcher import Infrastructure
from tests.e2e.stories_boot import running_platform
from tests.e2e.stories_kit import COUNTY, Platform

pytestmark = pytest.mark.integration

# 4,000 entries: about 400 kB of JSON, beyond the review's 256 KiB inline limit.
TERMS = [f"超大词库测试词{i:05d}" for i in range(4000)]


@pytest.fixture(scope="module")
async def platform(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Platform]:
    async with running_platform(infra, prefix="lexfetch") as p:
        yield p


async def test_a_province_list_announced_by_reference_is_fetched_and_used_by_the_monitors_check(
    platform: Platform,
) -> None:
    p = platform
    entries = [{"term": t, "category": "illegal", "severity": "block", "note": "测试"} for t in TERMS]
    current = await p.call("review", "GET", "/v1/lexicons/sensitive", params={"region": "330000"})
    assert current.status_code == 200, current.text
    r = await p.call(
        "review",
        "PUT",
        "/v1/lexicons/sensitive",
        params={"region": "330000"},
        headers={"If-Match": current.headers["etag"]},
        json={"version": "big-1", "entries": entries},
    )
    assert r.status_code == 200, r.text

    async with p.apps["review"].state.runtime.sessions() as session:
        payloads = (
            (
                await session.execute(
                    select(outbox_table.c.payload).where(outbox_table.c.type == LexiconPublished.event_type)
                )
            )
            .scalars()
            .all()
        )
    [announced] = [e for e in payloads if e["version"] == "big-1"]
    assert announced["document"] is None, "the list travelled by reference, not inline"

    async def fetched() -> dict[str, Any] | None:
        async with p.apps["monitor"].state.runtime.sessions() as session:
            row = await session.get(LexiconList, ("330000", "sensitive"))
            return row.document if row is not None and row.version == "big-1" and row.document else None

    document = await p.wait_for(fetched, "the monitor fetched the large list", within=90)
    assert len(document["entries"]) == len(TERMS)

    unit = await p.unit(COUNTY, "词库")
    account_id = await p.open_account(unit, "路桥词库测试发布")
    at = p.clock.now() - timedelta(minutes=5)
    observed = await p.observe(account_id, "wx-lexfetch-1", "通知", f"本文提到{TERMS[-1]}。", at)
    assert observed["accepted"] == 1
    rules = {a["rule"] for a in await p.alerts(account_id)}
    assert "check_failed" in rules, "the term from the fetched list blocks the published post"
