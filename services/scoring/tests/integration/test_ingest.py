"""Metric snapshots take a short path to the daily aggregates: it must end where a full refresh ends."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, text

from govmedia_common.events.review import PostPublished
from govmedia_scoring.aggregates import snapshots, store
from govmedia_scoring.aggregates.handlers import apply_batch

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration

DAY_ROWS = "SELECT * FROM account_days ORDER BY account_id, day"


async def test_metric_snapshots_leave_the_days_exactly_as_a_full_refresh_from_the_facts_would(
    scoring: ScoringKit,
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
    late_post = late[-1]
    assert isinstance(late_post, PostPublished)
    await scoring.apply(
        [
            scoring.metrics(ids["busy"], posts[ids["busy"]][0], snap, reads=5000, likes=70),  # the lead post
            scoring.metrics(ids["busy"], posts[ids["busy"]][1], snap - timedelta(days=9), reads=1),  # older
            scoring.metrics(ids["busy"], posts[ids["busy"]][1], snap, comments=12),  # keeps its reads
            scoring.metrics(ids["quiet"], "not-seen-yet", snap, reads=77),  # a post without a day yet
            scoring.metrics(ids["weibo"], posts[ids["weibo"]][0], snap, shares=99, comments=1),
            *late,  # a publication and its metrics in one batch
            scoring.metrics(ids["new"], late_post.platform_post_id, snap, reads=640, watching=3),
            scoring.metrics(ids["new"], posts[ids["new"]][0], snap, reads=41),
        ]
    )
    short = await scoring.sql(DAY_ROWS)  # a small batch: folded at once, no computation needed
    busy_day = next(r for r in short if r.account_id == ids["busy"] and r.reads >= 5000)
    assert (busy_day.lead_reads, busy_day.lead_likes, busy_day.max_reads) == (5000, 70, 5000)
    async with scoring.sessions() as session, session.begin():
        await store.refresh_days(session, [(r.account_id, r.day) for r in short])
    assert await scoring.sql(DAY_ROWS) == short


@pytest.mark.parametrize("backlog", [False, True], ids=["folded-at-once", "logged-then-folded"])
async def test_a_metric_a_later_snapshot_leaves_out_keeps_what_an_earlier_one_of_the_same_batch_said(
    scoring: ScoringKit, backlog: bool
) -> None:
    account = str(uuid.uuid4())
    others = [str(uuid.uuid4()) for _ in range(snapshots.LOG_ONLY_FROM if backlog else 0)]
    pub = scoring.observed(account, scoring.clock.now().date(), "p-1")
    await scoring.apply([pub])
    t = scoring.clock.now()
    # one poll: reads and likes at 10:00, then a snapshot at 11:00 that reports only likes
    await scoring.apply(
        [
            scoring.metrics(account, "p-1", t, reads=10, likes=1),
            scoring.metrics(account, "p-1", t + timedelta(hours=1), likes=3),
            scoring.metrics(account, "p-1", t - timedelta(hours=1), reads=999, shares=5),  # older: ignored
            *(scoring.metrics(a, "p-1", t, reads=1) for a in others),  # a large poll stays in the log
        ]
    )
    late = [scoring.metrics(account, "p-1", t + timedelta(minutes=30), shares=7)]
    await scoring.apply(late + [scoring.metrics(a, "p-2", t, reads=1) for a in others])
    if backlog:
        assert await scoring.sql("SELECT reads FROM posts WHERE account_id = :a", a=account) == [(None,)]
        async with scoring.sessions() as session:
            assert await snapshots.fold_pending(session) >= 4 + 2 * len(others)
    post = await scoring.sql("SELECT reads, likes, shares FROM posts WHERE account_id = :a", a=account)
    assert tuple(post[0]) == (10, 3, None)
    day = await scoring.sql("SELECT reads, likes, shares FROM account_days WHERE account_id = :a", a=account)
    assert tuple(day[0]) == (10, 3, 0)


async def test_a_batch_of_metric_snapshots_is_only_appended_to_the_log_without_any_lock(
    scoring: ScoringKit,
) -> None:
    accounts = [str(uuid.uuid4()) for _ in range(50)]
    t = scoring.clock.now()
    batch = [
        scoring.metrics(a, f"p-{i}", t + timedelta(seconds=i), reads=i) for a in accounts for i in range(4)
    ]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with scoring.sessions() as session, session.begin():
        conn = (await session.connection()).sync_connection  # this transaction's statements only
        event.listen(conn, "before_cursor_execute", seen)
        try:
            await apply_batch(session, batch)
        finally:
            event.remove(conn, "before_cursor_execute", seen)
        locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        assert (await session.execute(text(locks))).scalar_one() == 0
        logged = "SELECT count(*) FROM metric_snapshots WHERE account_id = ANY(:a)"
        assert (await session.execute(text(logged), {"a": accounts})).scalar_one() == len(batch)
    # nothing but the COPY (and the statement that opens the transaction when it is the first one)
    assert set(statements) <= {"SELECT 1"}
    assert await scoring.sql("SELECT count(*) FROM posts WHERE account_id = ANY(:a)", a=accounts) == [(0,)]
    # the posts and days follow once the snapshots are folded in (the computation does it first)
    async with scoring.sessions() as session:
        assert await snapshots.fold_pending(session) == len(batch)
    rows = await scoring.sql("SELECT count(*), sum(reads) FROM posts WHERE account_id = ANY(:a)", a=accounts)
    assert tuple(rows[0]) == (200, 50 * (0 + 1 + 2 + 3))


async def test_snapshots_appended_by_a_batch_that_rolls_back_are_not_in_the_log(scoring: ScoringKit) -> None:
    account = str(uuid.uuid4())
    t = scoring.clock.now()

    class Boom(Exception):
        pass

    for first in (False, True):  # after the inbox statement, as in the runner; or as the first statement
        with pytest.raises(Boom):
            async with scoring.sessions() as session, session.begin():
                if not first:
                    await session.execute(text("SELECT 1"))
                await apply_batch(session, [scoring.metrics(account, "p-1", t, reads=1)])
                raise Boom
    assert await scoring.sql("SELECT count(*) FROM metric_snapshots WHERE account_id = :a", a=account) == [
        (0,)
    ]


async def test_a_small_batch_of_snapshots_is_in_posts_and_days_when_its_transaction_commits(
    scoring: ScoringKit,
) -> None:
    account = str(uuid.uuid4())
    await scoring.apply([scoring.observed(account, scoring.clock.now().date(), "p-1")])
    t = scoring.clock.now()
    await scoring.apply([scoring.metrics(account, "p-1", t, reads=40, likes=4)])
    assert await scoring.sql("SELECT reads, likes FROM posts WHERE account_id = :a", a=account) == [(40, 4)]
    days = await scoring.sql("SELECT reads, likes FROM account_days WHERE account_id = :a", a=account)
    assert days == [(40, 4)]
    assert await scoring.sql("SELECT count(*) FROM metric_snapshots WHERE account_id = :a", a=account) == [
        (0,)
    ]


async def test_a_fold_leaves_the_snapshots_of_a_batch_not_yet_committed_for_the_next_fold(
    scoring: ScoringKit,
) -> None:
    accounts = [str(uuid.uuid4()) for _ in range(snapshots.LOG_ONLY_FROM)]
    t = scoring.clock.now()
    await scoring.apply([scoring.observed(a, t.date(), "p-1") for a in accounts[:3]])
    batch = [scoring.metrics(a, "p-1", t, reads=7) for a in accounts]  # a large poll: logged only
    async with scoring.sessions() as session, session.begin():
        await apply_batch(session, batch)
        async with scoring.sessions() as other:
            await snapshots.fold_pending(other)  # while the batch's transaction is open
        assert await scoring.sql("SELECT reads FROM posts WHERE account_id = :a", a=accounts[0]) == [(None,)]
    logged = "SELECT count(*) FROM metric_snapshots WHERE account_id = ANY(:a)"
    assert await scoring.sql(logged, a=accounts) == [(len(batch),)]
    async with scoring.sessions() as session:
        assert await snapshots.fold_pending(session) >= len(batch)
    assert await scoring.sql(logged, a=accounts) == [(0,)]
    days = "SELECT sum(reads) FROM account_days WHERE account_id = ANY(:a)"
    assert await scoring.sql(days, a=accounts[:3]) == [(21,)]


async def test_locking_a_whole_poll_of_accounts_takes_a_bounded_number_of_lock_table_entries(
    scoring: ScoringKit,
) -> None:
    """A poll of 5,000 records may touch 5,000 accounts; one advisory lock each would take as many entries of
    PostgreSQL's shared lock table (about 64 per connection, shared by every database of the server) and fail
    other services' transactions with 'out of shared memory'. The locks are taken on buckets of accounts."""
    accounts = [str(uuid.uuid4()) for _ in range(5000)]
    locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    async with scoring.sessions() as session, session.begin():
        await store.lock_accounts(session, accounts)
        held = (await session.execute(text(locks))).scalar_one()
    assert 0 < held <= store.LOCK_BUCKETS < 1000
    # the same account always maps to the same bucket: a second transaction on it waits for the first
    async with scoring.sessions() as first, first.begin():
        await store.lock_accounts(first, accounts[:1])
        async with scoring.sessions() as second, second.begin():
            await second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(Exception, match="lock timeout"):
                await store.lock_accounts(second, accounts[:1])
