"""The stories' platform itself: what one service publishes while the platform starts reaches the services
started after it.

Each service's consumer groups are placed past what earlier tests of the session left on the broker. They
were placed at the end as it was when *that* service started, so a later service skipped what the earlier
ones of the same platform had published meanwhile (the review's starter lexicons for the monitor), and
whether it did depended on timing: stories then waited in
vain on state that arrived only with the next event, or never.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from govmedia_platform.launcher import Infrastructure
from tests.e2e.stories_kit import running_platform

pytestmark = pytest.mark.integration


async def _ids(p: Any, service: str, sql: str) -> set[str]:
    async with p.apps[service].state.runtime.sessions() as session:
        return {str(r[0]) for r in await session.execute(text(sql))}


async def test_services_started_later_consume_what_earlier_ones_published_while_the_platform_started(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with running_platform(infra, prefix="startup") as p:
        starter = await _ids(p, "review", "SELECT id FROM outbox WHERE type LIKE 'gov.review.lexicon.%'")
        assert starter, "the review seeds its starter lexicons on a fresh database"

        async def handled() -> bool:
            return starter <= await _ids(p, "monitor", "SELECT event_id FROM inbox")

        await p.wait_for(
            handled,
            "the monitor to handle the starter lexicons the review published as it started",
            explain=lambda: p.describe_groups(("monitor", "lexicons")),
        )
