"""Metric snapshots take a short path to the daily aggregates: it must end where a full refresh ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from govmedia_scoring.aggregates import store

pytestmark = pytest.mark.integration

DAY_ROWS = "SELECT * FROM account_days ORDER BY account_id, day"


async def test_metric_snapshots_leave_the_days_exactly_as_a_full_refresh_from_the_facts_would(
    scoring: Any,
) -> None:
    ids, events = scoring.week_events()
    await scoring.apply(events)
    posts = {
        a: [r.platform_post_id for r in await scoring.sql(
            "SELECT platform_post_id FROM posts WHERE account_id = :a AND day IS NOT NULL "
            "ORDER BY published_at, platform_post_id", a=a)]
        for a in (ids["busy"], ids["weibo"], ids["new"])
    }  # fmt: skip
    snap = scoring.clock.now() + timedelta(hours=1)
    late = scoring.published(ids["new"], scoring.clock.now().date(), hour=8)
    await scoring.apply(
        [
            scoring.metrics(ids["busy"], posts[ids["busy"]][0], snap, reads=5000, likes=70),  # the lead post
            scoring.metrics(ids["busy"], posts[ids["busy"]][1], snap - timedelta(days=9), reads=1),  # older
            scoring.metrics(ids["busy"], posts[ids["busy"]][1], snap, comments=12),  # keeps its reads
            scoring.metrics(ids["quiet"], "not-seen-yet", snap, reads=77),  # a post without a day yet
            scoring.metrics(ids["weibo"], posts[ids["weibo"]][0], snap, shares=99, comments=1),
            *late,  # a publication and its metrics in one batch
            scoring.metrics(ids["new"], late[-1].platform_post_id, snap, reads=640, watching=3),
            scoring.metrics(ids["new"], posts[ids["new"]][0], snap, reads=41),
        ]
    )
    short = await scoring.sql(DAY_ROWS)
    busy_day = next(r for r in short if r.account_id == ids["busy"] and r.reads >= 5000)
    assert (busy_day.lead_reads, busy_day.lead_likes, busy_day.max_reads) == (5000, 70, 5000)
    async with scoring.sessions() as session, session.begin():
        await store.refresh_days(session, [(r.account_id, r.day) for r in short])
    assert await scoring.sql(DAY_ROWS) == short
