"""Steps the stories share: a score read or recomputed, a post made through review or without it, a quiet
fortnight that opens a case, and the dates they fall on."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from govmedia_common.workdays import SHANGHAI
from tests.e2e.stories_kit import Platform

CLEAN = "今天上午，区政务服务中心正常开放，市民可预约办理社保业务。"


async def score(p: Platform, account_id: str, kind: str, start: str) -> dict[str, Any] | None:
    r = await p.call(
        "scoring",
        "GET",
        f"/v1/accounts/{account_id}/scores",
        params={"period_kind": kind, "period_start": start},
    )
    return r.json() if r.status_code == 200 else None


async def recomputed_score(p: Platform, account_id: str, day: str) -> dict[str, Any] | None:
    await p.ok("scoring", "POST", "/v1/recompute", json={"period_kind": "day", "period_start": day})
    found = await score(p, account_id, "day", day)
    return found


async def unreviewed_post(p: Platform, account_id: str, n: int) -> None:
    at = p.clock.now()
    await p.observe(
        account_id, f"wx-unreviewed-{account_id[:8]}-{n}", f"未经审核的消息{n}", f"{CLEAN}（第{n}条）", at
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def week_score(p: Platform, account_id: str, monday: date) -> dict[str, Any] | None:
    if monday > p.clock.today():
        return None
    await p.ok(
        "scoring", "POST", "/v1/recompute", json={"period_kind": "week", "period_start": monday.isoformat()}
    )
    return await score(p, account_id, "week", monday.isoformat())


async def posted(p: Platform, unit: Any, account_id: str, tag: str) -> None:
    await p.publish_reviewed(unit, account_id, f"民政服务{tag}", f"{CLEAN}（{tag}）")


def evening(day: date, hour: int = 20) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def next_quarter(day: date) -> date:
    month = (day.month - 1) // 3 * 3 + 4
    return date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


async def silent_for_fourteen_days(p: Platform, unit: Any, account_id: str, since: date, tag: str) -> date:
    """Let the account be silent 14 days after ``since``: the sweep raises a violation and notify opens
    a case with its notice; the account then posts (the alert resolves). The day it posted again."""
    alerted = since + timedelta(days=14)
    p.clock.set(evening(alerted))
    await p.sweep(alerted)

    async def open_case() -> list[dict[str, Any]]:
        cases = [c for c in await p.cases(account_id) if c["rule"] == "not_updated"]
        return cases if any(c["opened_at"][:10] == alerted.isoformat() for c in cases) else []

    await p.wait_for(open_case, f"a not-updated case opened on {alerted}")
    p.clock.advance(hours=1)
    await posted(p, unit, account_id, tag)
    return p.clock.today()


async def monitor_holds(p: Platform, post_id: str) -> bool:
    from govmedia_monitor.models import ApprovedPost

    async with p.apps["monitor"].state.runtime.sessions() as session:
        return await session.get(ApprovedPost, post_id) is not None
