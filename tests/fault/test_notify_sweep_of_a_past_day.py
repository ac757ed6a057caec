"""Notify's sweep run as of an instant in the past, after newer sweeps (catching up a day it was down for).

``POST /v1/sweeps {"as_of": …}`` is there for catch-up: the office's daily digest of that day is sent late.
It must tell that day: the cases open then, opened and closed in the day before it, not those of every day
since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from govmedia_common.workdays import SHANGHAI
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.fault.jobs_kit import client, open_cases, quiet

pytestmark = pytest.mark.integration

DIGESTS = (
    "SELECT payload FROM deliveries WHERE kind = 'digest' AND channel = 'inbox' ORDER BY payload->>'day'"
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


async def test_a_digest_of_a_past_day_counts_the_cases_of_that_day(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_notify", "notify")
    await open_cases(infra, url, [at(12, 10), at(17, 10), at(20, 8)])  # a Thursday, Tuesday and today
    async with quiet(infra, "notify", url=url) as notify:
        async with client(notify, scopes=["notify:read", "notify:write"]) as http:
            for as_of in (at(20, 9), at(17, 9), at(11, 9)):  # today's sweep, then two days caught up
                r = await http.post("/v1/sweeps", json={"as_of": as_of.isoformat()})
                assert r.status_code == 200, r.text
        digests: dict[str, Any] = {p["day"]: p for (p,) in await notify.sql(DIGESTS)}
    counts = {day: (p["open"], p["opened"], p["closed"]) for day, p in digests.items()}
    assert counts == {
        "2026-11-11": (0, 0, 0),  # before any case
        "2026-11-17": (1, 0, 0),  # the case of the 12th open; the 17th's opened at 10:00, after 09:00
        "2026-11-20": (3, 1, 0),  # all three open; in the day before 09:00: the one of 08:00
    }, counts
