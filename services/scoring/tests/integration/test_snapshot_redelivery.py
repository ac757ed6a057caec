"""Metric snapshots are applied without an inbox row (idempotent by their own keys): delivered twice, again
with another body under the same id, or again after newer ones, they leave posts and days exactly as one
delivery of each does. Real broker and PostgreSQL, through the running consumers."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.events.base import Event
from govmedia_common.events.monitor import MetricsObserved
from govmedia_common.events.review import PostPublished

from .conftest import ScoringKit, at

if TYPE_CHECKING:
    from .conftest import StartScoring

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 17)


async def _state(kit: ScoringKit, account: str) -> tuple[list[Any], list[Any]]:
    posts = await kit.sql(
        "SELECT platform_post_id, metrics_as_of, reads, watching, likes, shares, comments FROM posts "
        "WHERE account_id = :a ORDER BY 1",
        a=account,
    )
    days = await kit.sql(
        "SELECT day, posts, reads, likes, max_reads, lead_reads, followers FROM account_days "
        "WHERE account_id = :a ORDER BY 1",
        a=account,
    )
    return posts, days


async def test_snapshots_delivered_twice_or_replayed_with_another_body_change_nothing(
    start_scoring: StartScoring,
) -> None:
    account = str(uuid.uuid4())
    opened = ScoringKit.opened(account_id=account)
    review = ScoringKit.published(account, DAY)
    post = next(e for e in review if isinstance(e, PostPublished)).platform_post_id
    m = ScoringKit.metrics
    snapshots: list[Event] = [
        m(account, post, at(DAY, 10), reads=100, likes=3),
        m(account, post, at(DAY, 12), reads=250),  # likes left out: the 10:00 value stays
        m(account, None, at(DAY, 12), followers=5000),
        m(account, post, at(DAY + timedelta(days=1), 9), reads=400, likes=9),
    ]
    async with start_scoring(consumers=True, generation=random.randint(10**6, 10**9)) as kit:
        ids = await kit.publish([opened, *review, *snapshots[:2]])
        await kit.handled(ids)
        half = await _state(kit, account)
        assert half[0] == [(post, at(DAY, 12), 250, None, 3, None, None)], half
        # both snapshots again (a relay republishing), the newer one with another body under its id (a
        # replay of a changed record), each in a poll of its own: nothing changes
        snap_ids = ids[-2:]
        for event, event_id in (
            (snapshots[0], snap_ids[0]),
            (m(account, post, at(DAY, 12), reads=9), snap_ids[1]),
        ):
            await kit.handled(await kit.publish([event], ids=[event_id]))
            assert await _state(kit, account) == half
        snap_ids += await kit.publish(snapshots[2:])
        ids += snap_ids[2:]
        await kit.handled(ids)
        full = await _state(kit, account)
        assert full[0] == [(post, at(DAY + timedelta(days=1), 9), 400, None, 9, None, None)], full
        assert full[1] == [(DAY, 1, 400, 9, 400, 400, 5000)], full[1]  # a post counts on its day
        # everything once more in a single poll, snapshots older than the ones held among them
        await kit.handled(await kit.publish([opened, *review, *snapshots], ids=ids))
        assert await _state(kit, account) == full
        inbox_types = await kit.sql(
            "SELECT DISTINCT type FROM inbox WHERE event_id = ANY(CAST(:ids AS text[]))", ids=ids
        )
    assert MetricsObserved.event_type not in {t for (t,) in inbox_types}  # no inbox row for snapshots
