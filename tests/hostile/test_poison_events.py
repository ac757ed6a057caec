"""Poison events: valid CloudEvents, valid against their schemas, whose data no database column can hold — a
count beyond 64 bits (the schemas bound counts below, not above), a NUL character in a text — put on the real
broker between valid events for scoring (a batch handler), notify and monitor (per-message handlers).

Each is dead-lettered after its retries with a reason an operator can act on, naming the field; the events
around it take effect; nothing of the poison is written. The reason named no field before (found by this
round): the driver's "value out of int64 range" or "invalid byte sequence for encoding UTF8: 0x00", with the
statement and its parameters, left the operator to search the record for it.

Counts each within 64 bits whose sum is not (5·10^18 reads on two posts of a day) were taken by scoring and
stopped every later computation for every account (found by this round): scoring now refuses a count above
10^12 as it arrives.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from govmedia_common.events.monitor import IngestChannel, MetricsObserved
from govmedia_common.events.review import PostApproved, PostPublished, ReviewerSignature
from govmedia_common.events.types import Platform
from govmedia_platform.launcher import Infrastructure
from tests.hostile.consumer_kit import HASH, NOW, dead_letters, opened, raised, running

pytestmark = pytest.mark.integration


async def eventually(probe: Callable[[], Awaitable[bool]], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"not within {within:.0f}s: {what}")


def snapshot(account_id: str, post: str, reads: int) -> MetricsObserved:
    return MetricsObserved(
        occurred_at=NOW, account_id=account_id, platform_post_id=post, reads=reads, as_of=NOW,
        ingest_channel=IngestChannel.CONNECTOR,
    )  # fmt: skip


def review_post_published(account_id: str, platform_post_id: str) -> PostPublished:
    signatures = tuple(
        ReviewerSignature(level=n, reviewer_id=str(uuid.uuid4()), reviewer_name=name, reviewed_at=NOW)
        for n, name in ((1, "甲"), (2, "乙"))
    )
    return PostPublished(
        occurred_at=NOW, account_id=account_id, post_id=str(uuid.uuid4()), platform=Platform.WECHAT,
        platform_post_id=platform_post_id, url=None, content_hash=HASH, published_at=NOW,
        reviewers=signatures,
    )  # fmt: skip


async def test_scoring_dead_letters_unstorable_snapshots_naming_the_field_and_keeps_their_neighbours(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    huge, nul = snapshot(account, "wx-2", 2**63), snapshot(account, "wx-\x003", 5)
    events = [opened(account), snapshot(account, "wx-1", 5), huge, nul, snapshot(account, "wx-4", 7)]
    async with running(infra, "scoring") as scoring:
        ids = await scoring.publish(events)
        poison = {ids[2]: "reads: 9223372036854775808 is beyond a 64-bit integer", ids[3]: "platform_post_id"}
        letters: dict[str, dict[str, str]] = {}

        async def dead_lettered() -> bool:
            letters.update(await dead_letters(infra.kafka_bootstrap, MetricsObserved.topic, list(poison)))
            return len(letters) == 2

        await scoring.handled([ids[0], ids[1], ids[4]])
        await eventually(dead_lettered, "both poison snapshots in the dead-letter topic")
        for event_id, field in poison.items():
            reason = letters[event_id]["dlt_error"]
            assert reason.startswith("the event cannot be stored: ") and field in reason, reason
        assert await scoring.sql(INBOX_OF, ids=list(poison)) == [(0,)]
        posts = await scoring.sql(
            "SELECT platform_post_id, reads FROM posts WHERE account_id = :a", a=account
        )
        assert sorted(posts) == [("wx-1", 5), ("wx-4", 7)]
        assert await scoring.sql(
            "SELECT count(*) FROM metric_snapshots WHERE account_id = :a", a=account
        ) == [(0,)]


INBOX_OF = "SELECT count(*) FROM inbox WHERE event_id = ANY(CAST(:ids AS text[]))"


async def test_notify_dead_letters_an_alert_it_cannot_store_and_opens_the_next_case(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    poison = raised(account).model_copy(update={"period": "2026-11-18\x00"})
    good = raised(account)
    async with running(infra, "notify") as notify:
        ids = await notify.publish([poison, good])
        await notify.handled([ids[1]])
        letters: dict[str, dict[str, str]] = {}

        async def dead_lettered() -> bool:
            letters.update(await dead_letters(infra.kafka_bootstrap, good.topic, [ids[0]]))
            return bool(letters)

        await eventually(dead_lettered, "the poison alert in the dead-letter topic")
        reason = letters[ids[0]]["dlt_error"]
        assert reason.startswith("the event cannot be stored: period: a NUL character"), reason
        cases = await notify.sql("SELECT alert_id FROM cases WHERE account_id = :a", a=account)
        assert cases == [(good.alert_id,)]  # nothing of the poison: no case, no notice, no ladder count
        notices = await notify.sql(
            "SELECT count(*) FROM deliveries WHERE kind = 'notice' AND payload->>'account_id' = :a", a=account
        )
        assert notices == [(1,)]


async def test_monitor_dead_letters_an_approval_it_cannot_store_and_keeps_the_next(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    signatures = tuple(
        ReviewerSignature(level=n, reviewer_id=str(uuid.uuid4()), reviewer_name=name, reviewed_at=NOW)
        for n, name in ((1, "甲"), (2, "乙"))
    )

    def approval(text: str) -> PostApproved:
        return PostApproved(
            occurred_at=NOW + timedelta(minutes=1), account_id=account, post_id=str(uuid.uuid4()),
            title="通知", text=text, content_hash=HASH, reviewers=signatures, override=False,
            override_reason=None,
        )  # fmt: skip

    poison, good = approval("正文\x00"), approval("正文")
    async with running(infra, "monitor") as monitor:
        ids = await monitor.publish([opened(account), poison, good])
        await monitor.handled([ids[0], ids[2]])
        letters: dict[str, dict[str, str]] = {}

        async def dead_lettered() -> bool:
            letters.update(await dead_letters(infra.kafka_bootstrap, good.topic, [ids[1]]))
            return bool(letters)

        await eventually(dead_lettered, "the poison approval in the dead-letter topic")
        reason = letters[ids[1]]["dlt_error"]
        assert reason.startswith("the event cannot be stored: text: a NUL character"), reason
        kept = await monitor.sql("SELECT post_id FROM approved_posts WHERE account_id = :a", a=account)
        assert kept == [(good.post_id,)]


async def test_scoring_refuses_metrics_no_sum_can_hold_so_they_cannot_stop_every_computation(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Reads of 5·10^18 on each of two posts of a day: each fits a 64-bit count, their day's sum does not. In
    a backlog poll (200 snapshots or more) scoring only logs snapshots; the computation folding them then
    failed with 'bigint out of range', and so did every later one, for every account (the log kept them).
    Such values are refused as they arrive (the batch fails, its records go one by one, these two are
    dead-lettered naming the metric), and the computation goes on."""
    from govmedia_common.events.scoring import PeriodKind
    from govmedia_scoring.aggregates.handlers import apply_batch
    from govmedia_scoring.engine.compute import compute_period
    from govmedia_scoring.periods import Period

    account = str(uuid.uuid4())
    first, second = (review_post_published(account, f"wx-big-{i}") for i in range(2))
    huge = [snapshot(account, p.platform_post_id, 5 * 10**18) for p in (first, second)]
    backlog = [snapshot(str(uuid.uuid4()), f"wx-{i}", 10) for i in range(250)]
    async with running(infra, "scoring") as scoring:
        async with scoring.sessions() as session, session.begin():
            await apply_batch(session, [opened(account), first, second])
        with pytest.raises(Exception, match="reads"):
            async with scoring.sessions() as session, session.begin():
                await apply_batch(session, [*backlog[:100], *huge, *backlog[100:]])
        async with scoring.sessions() as session, session.begin():
            await apply_batch(session, backlog)  # the rest of the poll, one by one in the runner
        async with scoring.sessions() as session, session.begin():
            await compute_period(session, Period(PeriodKind.DAY, NOW.date()), now=NOW)
        assert await scoring.sql("SELECT count(*) FROM metric_snapshots") == [(0,)]  # all folded
        constraints = await scoring.sql(
            "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'ck_metric_snapshots_%_plausible'"
        )
        assert constraints == [(5,)]

        # On the broker: dead-lettered with the metric named, the neighbours taken.
        ids = await scoring.publish([huge[0], snapshot(account, first.platform_post_id, 12)])
        await scoring.handled([ids[1]])
        letters: dict[str, dict[str, str]] = {}

        async def dead_lettered() -> bool:
            letters.update(await dead_letters(infra.kafka_bootstrap, MetricsObserved.topic, [ids[0]]))
            return bool(letters)

        await eventually(dead_lettered, "the implausible snapshot in the dead-letter topic")
        assert "reads" in letters[ids[0]]["dlt_error"], letters[ids[0]]["dlt_error"]
