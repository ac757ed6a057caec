"""``govmedia demo`` at a tiny scale against the five services in-process: it finishes, and what it prints
is true when checked through the APIs."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from rich.console import Console

from govmedia_common.workdays import SHANGHAI
from govmedia_platform.demo import DEMO_CITY, Demo
from govmedia_platform.demo_summary import print_summary
from govmedia_platform.launcher import Infrastructure
from tests.e2e.stories_kit import ADMIN_PASSWORD, Platform, running_platform

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def platform(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Platform]:
    async with running_platform(infra, "demo") as p:
        p.clock.set(datetime.now(SHANGHAI))  # the demo moves the services' clock up to today
        yield p


async def _pages(p: Platform, service: str, url: str, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        page = await p.ok(service, "GET", url, params={**params, **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def test_the_demo_at_a_tiny_scale_fills_every_service_and_prints_only_what_the_apis_confirm(
    platform: Platform,
) -> None:
    p = platform
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False)
    demo = Demo(
        p.http,
        admin_password=ADMIN_PASSWORD,
        scale=0.004,
        days=16,
        console=console,
        concurrency=4,
        clock=p.clock,
    )
    urls = {name: f"http://{name}" for name in p.http}
    summary = await demo.run(urls)
    print_summary(console, summary)
    printed = out.getvalue()

    ids = {a["id"] for a in demo.accounts}
    assert summary["units"] == 4 and summary["accounts"] == 12, summary
    statuses = Counter()
    for account_id in ids:
        statuses[(await p.ok("registry", "GET", f"/v1/accounts/{account_id}"))["status"]] += 1
    assert dict(statuses) == summary["account_status"]
    assert statuses["active"] == summary["monitored_accounts"] == 6, "the demo city's accounts went live"
    assert statuses["pending"] == 6, "the others, filed on the last day, wait for their units' decision"

    alerts = [a for a in await _pages(p, "monitor", "/v1/alerts", limit=500) if a["account_id"] in ids]
    assert dict(Counter(a["rule"] for a in alerts)) == summary["alerts_by_rule"]
    assert summary["alerts_by_rule"].get("not_updated", 0) >= 1, "the zombie and silent accounts were alerted"
    cases = [c for c in await _pages(p, "notify", "/v1/cases", limit=200) if c["account_id"] in ids]
    assert len(cases) == summary["cases"] >= 1
    posts = 0
    for account_id in ids:
        posts += len(await _pages(p, "monitor", f"/v1/accounts/{account_id}/observed-posts", limit=500))
    assert posts == summary["observed_posts"] > 0
    assert summary["reviewed_posts"] > 0 and not summary["refused"], summary["refused"]
    ranking = await p.ok(
        "scoring",
        "GET",
        "/v1/rankings",
        params={
            "period_kind": "month",
            "period_start": p.clock.today().replace(day=1).isoformat(),
            "region": DEMO_CITY,
        },
    )
    assert len([r for r in ranking if r["account_id"] in ids]) == summary["scored_accounts_this_month"] > 0
    for key in ("units", "accounts", "observed_posts", "cases", "interviews"):
        assert f"{key:<28} {summary[key]}" in printed, key
    for title, url in summary["urls"].items():
        service, path = url.removeprefix("http://").split("/", 1)
        r = await p.call(service, "GET", "/" + path)  # signed in as the admin (a bulletin is not public)
        assert r.status_code == 200, (title, url, r.status_code)
        assert url in printed
