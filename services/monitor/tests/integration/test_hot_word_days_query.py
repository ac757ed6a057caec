"""The daily job's look for days to mine again reads the posts observed since each mining through an index,
not every post of the table.

Found by the outside-testing round (left in the last round): hotwords.days_to_mine asks, for each day of the
last week, for the posts of its window observed after that day's mining; observed_posts had no index leading
by observed_at or published_at, so PostgreSQL read the whole of ix_observed_posts_region_published (every
post the monitor ever observed) once per day, every day. Here a year of posts (a few hundred a day over a
hundred regions, each observed within the hour) and a week of minings, analysed as autovacuum would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.hotwords.service import _MINED_SINCE_ENDED, CATCH_UP_DAYS

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 20)
_A_YEAR_OF_POSTS = """
INSERT INTO observed_posts (account_id, platform_post_id, platform, region_code, title, text, text_truncated,
    content_hash, published_at, observed_at, ingest_channel, match_kind)
SELECT 'acc-' || (n % 500), 'p-' || n, 'wechat', (330100 + (n % 500) / 5)::text, '', '医保缴费', false, 'h',
       CAST(:today AS timestamptz) - n * interval '3 minutes',
       CAST(:today AS timestamptz) - n * interval '3 minutes' + interval '40 minutes',
       'api', 'unmatched'
FROM generate_series(1, 175000) n
"""


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_the_days_to_mine_again_are_found_through_an_index_by_observation(monitor: MonitorKit) -> None:
    midnight = datetime.combine(TODAY, time(0), tzinfo=SHANGHAI)
    async with monitor.sessions() as session, session.begin():
        await session.execute(text(_A_YEAR_OF_POSTS), {"today": midnight})
        for n in range(1, CATCH_UP_DAYS + 1):  # each day of the week mined a minute after it ended
            day = TODAY - timedelta(days=n)
            mined = datetime.combine(day + timedelta(days=1), time(0, 1), tzinfo=SHANGHAI)
            await session.execute(
                text("INSERT INTO hot_word_minings (day, mined_at) VALUES (:d, :m)"), {"d": day, "m": mined}
            )
    async with monitor.sessions() as session:
        connection = await session.connection()
        await connection.exec_driver_sql("COMMIT")  # VACUUM runs outside a transaction
        await connection.exec_driver_sql("VACUUM ANALYZE observed_posts")
    params = {"since": TODAY - timedelta(days=CATCH_UP_DAYS), "today": TODAY, "window": 90}
    async with monitor.sessions() as session:
        [plan] = (
            await session.execute(text(f"EXPLAIN (FORMAT JSON) {_MINED_SINCE_ENDED.text}"), params)
        ).scalar_one()
    reads = [n for n in _nodes(plan["Plan"]) if n.get("Relation Name") == "observed_posts"]
    assert reads, plan
    assert all(n.get("Index Name") == "ix_observed_posts_observed_published" for n in reads), [
        (n["Node Type"], n.get("Index Name"), n.get("Index Cond")) for n in _nodes(plan["Plan"])
    ]
    assert all("observed_at" in n.get("Index Cond", "") for n in reads), reads
