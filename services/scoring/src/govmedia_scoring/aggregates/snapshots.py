"""Metric snapshots of posts: appended as they arrive, folded into posts and days before a computation.

Metric snapshots are most of the traffic scoring reads, and a post gets many of them. A consumer batch
appends its snapshots to ``metric_snapshots`` (:func:`append`: one binary ``COPY``). A small batch (a
consumer keeping up) then folds its accounts' snapshots at once (:func:`fold_accounts`); a large one (a
backlog) leaves them there — no lock, nothing read — for the next small batch of those accounts or for
:func:`fold_pending`, which the computation calls first (``engine.compute.compute_period``), so every score
reads folded days. A fold writes each post's effective snapshots into ``posts`` and re-aggregates the metric
columns of the posts' days in ``account_days``. Each post's snapshots are
folded as if applied one by one in the order they arrived: a snapshot counts only when it is newer than
every snapshot of the post before it (and than the one held), and a metric a snapshot leaves out (null)
keeps the last value reported. Folding many snapshots of a post at once costs one row update of the post
and one of its day, where applying each batch had cost one of each per batch.

Concurrency: a fold takes the accounts' advisory locks (as every writer of ``account_days`` does, see
``handlers.apply_batch``) in short transactions of its own, a chunk of accounts at a time, and deletes only
the snapshots its statement sees; a snapshot committed meanwhile stays for the next fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import attrgetter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govmedia_common.events.monitor import MetricsObserved
from govmedia_scoring.aggregates import store

METRICS = ("reads", "watching", "likes", "shares", "comments")
ACCOUNTS_PER_FOLD = 1000  # accounts locked and folded per transaction
# A poll with at least this many snapshots of posts is a backlog: they stay in the log (see apply_batch).
LOG_ONLY_FROM = 200

_COLUMNS = ("account_id", "platform_post_id", "as_of", *METRICS)
_ROW = attrgetter(*_COLUMNS)  # a snapshot's row, in the order of _COLUMNS


async def append(session: AsyncSession, events: Sequence[MetricsObserved]) -> None:
    """Append snapshots of posts (``platform_post_id`` set) to the log in arrival order: one binary COPY.

    COPY on the session's own connection, inside its transaction: asyncpg encodes the rows in its C
    codecs, where array parameters of an ``INSERT … SELECT FROM unnest`` cost several times as much in
    Python per snapshot (bench: ``make bench``, scoring).
    """
    if not events:
        return
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():  # SQLAlchemy's asyncpg adapter opens it with the first statement
        await session.execute(text("SELECT 1"))
    await driver.copy_records_to_table(
        "metric_snapshots",
        columns=_COLUMNS,
        # lazily, in C: each row tuple is freed once sent, so a batch does not wake the cyclic GC
        records=map(_ROW, events),
    )


def _fold_sql() -> str:
    latest = ", ".join(
        f"(array_agg({m} ORDER BY seq DESC) FILTER (WHERE {m} IS NOT NULL))[1] AS {m}" for m in METRICS
    )
    cols = ", ".join(METRICS)
    kept = ",\n".join(f"{m} = COALESCE(excluded.{m}, p.{m})" for m in METRICS)
    returned = ", ".join(f"p.{m}" for m in METRICS)
    coalesced = ", ".join(f"COALESCE({m}, 0) AS {m}" for m in METRICS)
    sums = ", ".join(f"sum({m}) AS {m}, max({m}) AS max_{m}" for m in METRICS)
    sets = ", ".join(f"{m} = agg.{m}, max_{m} = agg.max_{m}" for m in METRICS)
    return f"""
    WITH gone AS (
        DELETE FROM metric_snapshots WHERE account_id = ANY(CAST(:ids AS text[]))
        RETURNING account_id, seq, platform_post_id, as_of, {cols}
    ), arrived AS (
        SELECT g.*, max(g.as_of) OVER (PARTITION BY g.account_id, g.platform_post_id ORDER BY g.seq
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newest_before
        FROM gone g
    ), taken AS (
        SELECT a.* FROM arrived a
        LEFT JOIN posts p ON p.account_id = a.account_id AND p.platform_post_id = a.platform_post_id
        WHERE (a.newest_before IS NULL OR a.as_of > a.newest_before)
          AND (p.metrics_as_of IS NULL OR a.as_of > p.metrics_as_of)
    ), latest AS (
        SELECT account_id, platform_post_id, max(as_of) AS as_of, {latest}
        FROM taken GROUP BY account_id, platform_post_id
    ), up AS (
        INSERT INTO posts AS p (account_id, platform_post_id, metrics_as_of, {cols})
        SELECT account_id, platform_post_id, as_of, {cols} FROM latest
        ON CONFLICT (account_id, platform_post_id) DO UPDATE SET
            metrics_as_of = excluded.metrics_as_of,
            {kept}
        WHERE p.metrics_as_of IS NULL OR excluded.metrics_as_of > p.metrics_as_of
        RETURNING p.account_id, p.platform_post_id, p.day, p.published_at, {returned}
    ), k AS (
        SELECT DISTINCT account_id, day FROM up WHERE day IS NOT NULL
    ), day_posts AS (
        SELECT account_id, platform_post_id, day, published_at, {coalesced}
        FROM up WHERE day IS NOT NULL
        UNION ALL
        SELECT p.account_id, p.platform_post_id, p.day, p.published_at, {coalesced}
        FROM posts p JOIN k USING (account_id, day)
        WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.account_id = p.account_id
                                             AND up.platform_post_id = p.platform_post_id)
    ), agg AS (
        SELECT account_id, day, {sums}
        FROM day_posts GROUP BY account_id, day
    ), lead AS (
        SELECT DISTINCT ON (account_id, day) account_id, day, reads, watching, likes, shares
        FROM day_posts ORDER BY account_id, day, published_at, platform_post_id
    ), done AS (
        UPDATE account_days d SET
            {sets},
            lead_reads = lead.reads, lead_watching = lead.watching, lead_likes = lead.likes,
            lead_shares = lead.shares
        FROM agg JOIN lead USING (account_id, day)
        WHERE d.account_id = agg.account_id AND d.day = agg.day
        RETURNING d.account_id, d.day
    ), missing AS (
        SELECT k.account_id, k.day FROM k LEFT JOIN done USING (account_id, day) WHERE done.day IS NULL
    )
    SELECT (SELECT count(*) FROM gone), (SELECT array_agg(account_id) FROM missing),
           (SELECT array_agg(day) FROM missing)
    """


_FOLD = text(_fold_sql())
_PENDING = text("SELECT DISTINCT account_id FROM metric_snapshots ORDER BY 1")


async def fold_accounts(session: AsyncSession, account_ids: Sequence[str], *, lock: bool = True) -> int:
    """Fold the logged snapshots of these accounts in the caller's transaction; how many.

    The accounts are locked first unless the caller holds their locks already (``lock=False``).
    """
    if not account_ids:
        return 0
    if lock:
        await store.lock_accounts(session, account_ids)
    n, accounts, days = (await session.execute(_FOLD, {"ids": list(account_ids)})).one()
    missing: list[tuple[str, date]] = list(zip(accounts or (), days or (), strict=True))
    await store.refresh_days(session, missing)  # days that had no aggregate row yet: a full refresh
    return int(n)


async def fold_pending(session: AsyncSession, *, accounts_per_fold: int = ACCOUNTS_PER_FOLD) -> int:
    """Fold every logged snapshot; returns how many were folded.

    With a session on an engine (the usual case) each chunk of accounts is folded and committed in a
    transaction of its own on another connection, so the accounts' locks are held briefly and ``session``'s
    transaction (e.g. the computation that follows) reads the folded days. Call it before ``session``'s
    transaction writes ``posts`` or ``account_days`` (the fold would wait for those rows on its own
    connection while this one waits for it). A session bound to a single connection folds inside its own
    transaction instead.
    """
    bind = session.bind
    if isinstance(bind, AsyncEngine):
        sessions = async_sessionmaker(bind, expire_on_commit=False)
        async with sessions() as s:
            pending = [r[0] for r in await s.execute(_PENDING)]
        folded = 0
        for i in range(0, len(pending), accounts_per_fold):
            async with sessions() as s, s.begin():
                folded += await fold_accounts(s, pending[i : i + accounts_per_fold])
        return folded
    pending = [r[0] for r in await session.execute(_PENDING)]
    return sum(
        [
            await fold_accounts(session, pending[i : i + accounts_per_fold])
            for i in range(0, len(pending), accounts_per_fold)
        ]
    )
