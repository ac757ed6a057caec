"""Two working-day schedules stored by the monitor at once (two years loaded in the registry back to back,
read by two replicas' consumers; or a replica starting and storing the package's years meanwhile).

``workdays.ordinal`` numbers the working days of every stored year in one sequence: unanswered-message
deadlines are differences of it. Each store renumbers the whole table; a store that commits while another
renumbers must not leave numbers counted without its days.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime

import asyncpg
import pytest

from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.rules import calendar
from govmedia_platform.launcher import Infrastructure
from tests.fault.jobs_kit import dsn, quiet

pytestmark = pytest.mark.integration

# Days whose ordinal is not the count of working days up to them.
MISCOUNTED = """
SELECT count(*) FROM (
    SELECT ordinal, sum(CASE WHEN is_workday THEN 1 ELSE 0 END) OVER (ORDER BY day) AS counted FROM workdays
) w WHERE ordinal <> counted
"""


async def test_two_years_stored_at_once_leave_every_day_counted(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with quiet(infra, "monitor") as monitor:
        watcher = await asyncpg.connect(dsn(monitor.app.state.runtime.settings.database_url))
        try:
            # 2026 corrected: 2 March a day off. Its renumbering is held uncommitted while 2027 is stored.
            async with monitor.sessions() as first, first.begin():
                loaded = await calendar.store_loaded_year(
                    first,
                    2026,
                    {date(2026, 3, 2)},
                    set(),
                    loaded_at=datetime(2026, 11, 20, 9, tzinfo=SHANGHAI),
                )
                assert loaded

                async def second() -> None:
                    async with monitor.sessions() as session, session.begin():
                        await calendar.store_loaded_year(
                            session, 2027, {date(2027, 1, 1)}, set(),
                            loaded_at=datetime(2026, 11, 20, 9, 1, tzinfo=SHANGHAI),
                        )  # fmt: skip

                other = asyncio.create_task(second())
                deadline = time.monotonic() + 30
                while not other.done() and not await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ):  # until the second store is done, or waits for the first
                    assert time.monotonic() < deadline, "the second store neither ended nor waited"
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(other, timeout=30)
            assert await watcher.fetchval(MISCOUNTED) == 0
        finally:
            await watcher.close()
