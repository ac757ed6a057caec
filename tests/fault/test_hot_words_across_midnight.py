"""The daily job of the monitor across midnight (Asia/Shanghai), and across a night it was down for.

At the first look at a new day the job sweeps it and mines hot words. A day's hot words are mined from the
posts of the window ending with that day; mined at the day's first minute, they held none of its own posts,
and nothing mined the day again once it was over. A monitor killed before midnight and back two days later
left the days it was down for without hot words for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from govmedia_common.events import HotWordsExtracted
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_monitor import handlers
from govmedia_monitor.main import daily_sweeps
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.fault.jobs_kit import client, quiet
from tests.hostile.consumer_kit import Running, opened

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 18)
POSTS = [
    "城乡居民医保参保缴费即将截止，请尚未参保的居民尽快通过浙里办完成医保缴费。",
    "医保电子凭证可在定点医院直接结算，医保报销更加便捷。",
    "台风即将登陆，全区启动防汛应急响应，请市民做好防汛准备。",
]
MINED = "SELECT max(posts) FROM hot_words WHERE region_code = '331004' AND day = :d"


@contextlib.asynccontextmanager
async def daily_job(monitor: Running) -> AsyncIterator[None]:
    """The monitor's daily job, looking at the service clock every 50 ms."""
    task = asyncio.create_task(daily_sweeps(monitor.app.state.runtime, 0.05))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def turns_counter() -> Callable[[int], Awaitable[None]]:
    """Waits until the daily job has done ``n`` more successful turns than when it was made."""

    def done() -> float:
        labels = {"service": "monitor", "task": "daily-sweep", "outcome": "ok"}
        return REGISTRY.get_sample_value("govmedia_task_runs_total", labels) or 0.0

    before = done()

    async def wait(n: int) -> None:
        deadline = time.monotonic() + 60
        while done() < before + n:
            assert time.monotonic() < deadline, "the daily job did not turn"
            await asyncio.sleep(0.05)

    return wait


async def mined(monitor: Running, day: date, *, posts: int, within: float = 60) -> None:
    """Until the hot words of Luqiao on ``day`` are mined from ``posts`` posts."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await monitor.sql(MINED, d=day)) == [(posts,)]:
            return
        await asyncio.sleep(0.1)
    found = await monitor.sql("SELECT day, max(posts) FROM hot_words GROUP BY day ORDER BY day")
    raise AssertionError(f"the hot words of {day} were not mined from {posts} posts: {found}")


async def post_on(monitor: Running, day: date, *, posts: int = 3) -> None:
    """An account of Luqiao posting ``posts`` times (up to 3) on ``day`` (the clock reads that evening)."""
    account = str(uuid.uuid4())
    async with monitor.sessions() as session, session.begin():
        await handlers.on_account_event(opened(account), None, session)
    async with client(monitor, scopes=["monitor:ingest"], roles=()) as http:
        items = [
            {"account_id": account, "platform_post_id": f"p-{i}", "title": "", "text": text,
             "published_at": datetime(day.year, day.month, day.day, 9 + i, tzinfo=SHANGHAI).isoformat()}
            for i, text in enumerate(POSTS[:posts])
        ]  # fmt: skip
        r = await http.post("/v1/observed-posts/bulk", json={"items": items})
        assert r.status_code == 200 and r.json()["accepted"] == posts, r.text


async def test_a_day_is_mined_with_its_own_posts_once_midnight_has_passed(
    infra: Infrastructure, kafka_topics: None
) -> None:
    clock = FixedClock(datetime(2026, 11, 18, 0, 0, 30, tzinfo=SHANGHAI))
    turns = turns_counter()
    async with quiet(infra, "monitor", clock=clock) as monitor, daily_job(monitor):
        await turns(1)  # the turn of the day's first minute
        clock.set(datetime(2026, 11, 18, 20, tzinfo=SHANGHAI))
        await post_on(monitor, DAY)
        clock.set(datetime(2026, 11, 19, 0, 0, 30, tzinfo=SHANGHAI))  # midnight passes
        await mined(monitor, DAY, posts=3)
        await mined(monitor, DAY + timedelta(days=1), posts=3)  # the window of the day just begun


async def test_the_days_a_killed_monitor_was_down_for_are_mined_when_it_is_back(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_monitor", "monitor")
    clock = FixedClock(datetime(2026, 11, 17, 20, tzinfo=SHANGHAI))
    turns = turns_counter()
    async with quiet(infra, "monitor", url=url, clock=clock) as monitor:
        await post_on(monitor, DAY - timedelta(days=1), posts=1)
        clock.set(datetime(2026, 11, 18, 0, 0, 30, tzinfo=SHANGHAI))
        async with daily_job(monitor):
            await turns(1)  # the turn of the day's first minute: the day mined from yesterday's post
        await mined(monitor, DAY, posts=1)
        clock.set(datetime(2026, 11, 18, 20, tzinfo=SHANGHAI))
        await post_on(monitor, DAY)  # and the monitor is killed at 20:00, down until Friday morning
    clock.set(datetime(2026, 11, 20, 8, tzinfo=SHANGHAI))
    async with quiet(infra, "monitor", url=url, clock=clock) as monitor, daily_job(monitor):
        await mined(monitor, DAY + timedelta(days=2), posts=4)
        await mined(monitor, DAY, posts=4)
        await mined(monitor, DAY + timedelta(days=1), posts=4)


async def test_two_replicas_reaching_a_new_day_mine_each_day_once(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_monitor", "monitor")
    clock = FixedClock(datetime(2026, 11, 18, 20, tzinfo=SHANGHAI))
    announced = (
        "SELECT payload->>'day', count(*) FROM outbox WHERE type = :t AND payload->>'region_code' = '331004' "
        "GROUP BY 1 ORDER BY 1"
    )
    turns = turns_counter()
    async with (
        quiet(infra, "monitor", url=url, clock=clock) as one,
        quiet(infra, "monitor", url=url, clock=clock) as two,
    ):
        await post_on(one, DAY)
        clock.set(datetime(2026, 11, 19, 0, 0, 30, tzinfo=SHANGHAI))
        async with daily_job(one), daily_job(two):
            await turns(2)  # each replica's turn of the new day
        found = await one.sql(announced, t=HotWordsExtracted.event_type)
    # the day that ended and the day begun, each announced once (the later replica found them mined)
    assert found == [("2026-11-18", 1), ("2026-11-19", 1)], found


async def test_late_posts_of_a_mined_day_have_it_mined_again_by_the_next_turn_once_across_replicas(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_monitor", "monitor")
    clock = FixedClock(datetime(2026, 11, 18, 20, tzinfo=SHANGHAI))
    announced = (
        "SELECT payload->>'day', count(*) FROM outbox WHERE type = :t AND payload->>'region_code' = '331004' "
        "GROUP BY 1 ORDER BY 1"
    )
    turns = turns_counter()
    async with (
        quiet(infra, "monitor", url=url, clock=clock) as one,
        quiet(infra, "monitor", url=url, clock=clock) as two,
    ):
        await post_on(one, DAY, posts=1)
        clock.set(datetime(2026, 11, 19, 0, 0, 30, tzinfo=SHANGHAI))
        async with daily_job(one), daily_job(two):
            await turns(2)  # the day that ended is mined from its one post
            await mined(one, DAY, posts=1)
            # A connector back from an outage sends two more posts of that day, the next morning.
            clock.set(datetime(2026, 11, 19, 10, tzinfo=SHANGHAI))
            await post_on(two, DAY, posts=2)
            clock.set(datetime(2026, 11, 20, 0, 0, 30, tzinfo=SHANGHAI))
            await turns(4)  # each replica's turn of the next day
            await mined(one, DAY, posts=3)
        found = await one.sql(announced, t=HotWordsExtracted.event_type)
    # 18 November: when it ended, and again with its late posts (by one replica); 19 November: as it began
    # and when it ended; 20 November as it began.
    assert found == [("2026-11-18", 2), ("2026-11-19", 2), ("2026-11-20", 1)], found
