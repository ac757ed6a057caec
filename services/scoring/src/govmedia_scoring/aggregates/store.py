"""Set-based writes of the facts scoring keeps, and the refresh of the daily aggregates they touch.

Every function takes a list of rows (one polled batch, already reduced to one row per key) and issues one
statement, ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE``; the rows a batch touched are then
re-aggregated into ``account_days`` by :func:`refresh_days` in one more statement. Re-aggregating from the
facts (rather than adding increments) makes every write idempotent and order-independent. Metric snapshots
of posts, the bulk of the traffic, are logged and folded later (:mod:`govmedia_scoring.aggregates.snapshots`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DayKey = tuple[str, date]


def _cols(rows: Sequence[Sequence[Any]], n: int) -> list[list[Any]]:
    return [[r[i] for r in rows] for i in range(n)]


# Accounts are locked by bucket: a poll of thousands of accounts then takes at most LOCK_BUCKETS entries of
# PostgreSQL's shared lock table (max_locks_per_transaction x max_connections, shared by every database of the
# server), instead of one per account, which could fail any transaction of the server with "out of shared
# memory". Two accounts of one bucket wait for each other; the writers of a bucket are short transactions.
LOCK_BUCKETS = 256
# The first key of the two-key advisory locks (a key space of its own: no other lock of the database uses it).
LOCK_NAMESPACE = 0x5C0_2E


async def lock_accounts(session: AsyncSession, account_ids: Iterable[str]) -> None:
    """Transaction-level advisory locks on the accounts' buckets, taken in one fixed order (no deadlocks)."""
    ids = sorted(set(account_ids))
    if ids:
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:ns, b) FROM (SELECT DISTINCT hashtext(x) & :mask AS b "
                "FROM unnest(CAST(:ids AS text[])) AS x ORDER BY 1) AS s"
            ),
            {"ids": ids, "ns": LOCK_NAMESPACE, "mask": LOCK_BUCKETS - 1},
        )


async def upsert_accounts(session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> None:
    """(account_id, name, unit_id, unit_name, region, platform, status, high, interaction, opened_on,
    closed_on, as_of): a snapshot older than the one held changes nothing; open/close days are kept."""
    if not rows:
        return
    await session.execute(
        text(
            """
            INSERT INTO accounts AS a (account_id, name, unit_id, unit_name, region_code, platform, status,
                                       high_attention, interaction_enabled, opened_on, closed_on, as_of)
            SELECT * FROM unnest(CAST(:id AS text[]), CAST(:name AS text[]), CAST(:unit AS text[]),
                                 CAST(:unit_name AS text[]), CAST(:region AS text[]),
                                 CAST(:platform AS text[]),
                                 CAST(:status AS text[]), CAST(:high AS boolean[]), CAST(:inter AS boolean[]),
                                 CAST(:opened AS date[]), CAST(:closed AS date[]),
                                 CAST(:as_of AS timestamptz[]))
            ON CONFLICT (account_id) DO UPDATE SET
                name = CASE WHEN excluded.as_of >= a.as_of THEN excluded.name ELSE a.name END,
                unit_id = CASE WHEN excluded.as_of >= a.as_of THEN excluded.unit_id ELSE a.unit_id END,
                unit_name = CASE WHEN excluded.as_of >= a.as_of THEN excluded.unit_name ELSE a.unit_name END,
                region_code = CASE WHEN excluded.as_of >= a.as_of THEN excluded.region_code
                                   ELSE a.region_code END,
                platform = CASE WHEN excluded.as_of >= a.as_of THEN excluded.platform ELSE a.platform END,
                status = CASE WHEN excluded.as_of >= a.as_of THEN excluded.status ELSE a.status END,
                high_attention = CASE WHEN excluded.as_of >= a.as_of THEN excluded.high_attention
                                      ELSE a.high_attention END,
                interaction_enabled = CASE WHEN excluded.as_of >= a.as_of THEN excluded.interaction_enabled
                                           ELSE a.interaction_enabled END,
                opened_on = COALESCE(LEAST(a.opened_on, excluded.opened_on), a.opened_on, excluded.opened_on),
                closed_on = CASE WHEN excluded.as_of >= a.as_of
                                 THEN COALESCE(excluded.closed_on, CASE WHEN excluded.status = 'active'
                                                                        THEN NULL ELSE a.closed_on END)
                                 ELSE a.closed_on END,
                as_of = GREATEST(a.as_of, excluded.as_of)
            """
        ),
        dict(
            zip(
                (
                    "id",
                    "name",
                    "unit",
                    "unit_name",
                    "region",
                    "platform",
                    "status",
                    "high",
                    "inter",
                    "opened",
                    "closed",
                    "as_of",
                ),
                _cols(rows, 12),
                strict=True,
            )
        ),
    )


async def upsert_region_settings(
    session: AsyncSession, rows: Sequence[tuple[str, str, int, datetime]]
) -> None:
    """(region_code, scoring section as JSON text, version, changed_at): the highest version wins."""
    if not rows:
        return
    await session.execute(
        text(
            """
            INSERT INTO region_settings AS s (region_code, settings, version, changed_at)
            SELECT code, CAST(doc AS jsonb), v, at
            FROM unnest(CAST(:code AS text[]), CAST(:doc AS text[]), CAST(:v AS int[]),
                        CAST(:at AS timestamptz[])) AS t(code, doc, v, at)
            ON CONFLICT (region_code) DO UPDATE SET settings = excluded.settings, version = excluded.version,
                changed_at = excluded.changed_at
            WHERE excluded.version > s.version
            """
        ),
        dict(zip(("code", "doc", "v", "at"), _cols(rows, 4), strict=True)),
    )
    # Every computed period may now be out of date: the schedule recomputes the stale ones.
    await session.execute(text("UPDATE score_runs SET stale = true WHERE NOT stale"))


async def upsert_review_posts(session: AsyncSession, rows: Sequence[tuple[str, str, bool]]) -> list[DayKey]:
    """(post_id, account_id, original) from submissions; a resubmission may change the kind.

    A post already published (its submission read after the publication: a replay) takes the kind too;
    returns the days of the posts that changed."""
    if not rows:
        return []
    result = await session.execute(
        text(
            """
            WITH t AS (
                SELECT * FROM unnest(CAST(:p AS text[]), CAST(:a AS text[]), CAST(:o AS boolean[]))
                         AS t(post_id, account_id, original)
            ), up AS (
                INSERT INTO review_posts AS r (post_id, account_id, original)
                SELECT * FROM t
                ON CONFLICT (post_id) DO UPDATE SET original = excluded.original
            )
            UPDATE posts p SET original = t.original
            FROM t WHERE p.account_id = t.account_id AND p.post_id = t.post_id AND p.original <> t.original
            RETURNING p.account_id, p.day
            """
        ),
        dict(zip(("p", "a", "o"), _cols(rows, 3), strict=True)),
    )
    return [(r[0], r[1]) for r in result if r[1] is not None]


async def upsert_checks(
    session: AsyncSession, rows: Sequence[tuple[str, str, str, int, int]]
) -> list[DayKey]:
    """(post_id, account_id, content_hash, serious, ordinary) of machine checks.

    A post already published in the version checked (the check read after the publication: a replay) takes
    the findings too; returns the days of the posts that changed."""
    if not rows:
        return []
    result = await session.execute(
        text(
            """
            WITH t AS (
                SELECT * FROM unnest(CAST(:p AS text[]), CAST(:a AS text[]), CAST(:h AS text[]),
                                     CAST(:s AS int[]), CAST(:o AS int[]))
                         AS t(post_id, account_id, content_hash, serious, ordinary)
            ), up AS (
                INSERT INTO post_checks (post_id, content_hash, serious, ordinary)
                SELECT post_id, content_hash, serious, ordinary FROM t
                ON CONFLICT (post_id, content_hash) DO UPDATE SET serious = excluded.serious,
                    ordinary = excluded.ordinary
            )
            UPDATE posts p SET errors_serious = t.serious, errors_ordinary = t.ordinary
            FROM t
            WHERE p.account_id = t.account_id AND p.post_id = t.post_id AND p.content_hash = t.content_hash
              AND (p.errors_serious, p.errors_ordinary) <> (t.serious, t.ordinary)
            RETURNING p.account_id, p.day
            """
        ),
        dict(zip(("p", "a", "h", "s", "o"), _cols(rows, 5), strict=True)),
    )
    return [(r[0], r[1]) for r in result if r[1] is not None]


async def upsert_publications(
    session: AsyncSession, rows: Sequence[tuple[str, str, str | None, datetime, date, str | None, bool]]
) -> list[DayKey]:
    """(account, platform_post_id, post_id, published_at, day, content_hash, from_review): review or monitor.

    The earliest publication time wins; the review's post id, kind and the findings of the published
    version are attached. The review's publication decides them whenever it is read: a monitor observation
    of the post (another version, edited on the platform) only fills them in while the review's is unknown,
    so the result does not depend on which consumer read its event first. Returns the days touched (the
    post's day before and after).
    """
    if not rows:
        return []
    result = await session.execute(
        text(
            """
            WITH incoming AS (
                SELECT t.account_id, t.platform_post_id, t.post_id, t.published_at, t.day,
                       COALESCE(rp.original, false) AS original,
                       COALESCE(c.serious, 0) AS serious, COALESCE(c.ordinary, 0) AS ordinary,
                       CASE WHEN t.from_review THEN t.content_hash END AS review_hash
                FROM unnest(CAST(:a AS text[]), CAST(:pp AS text[]), CAST(:p AS text[]),
                            CAST(:at AS timestamptz[]), CAST(:day AS date[]), CAST(:h AS text[]),
                            CAST(:r AS boolean[]))
                     AS t(account_id, platform_post_id, post_id, published_at, day, content_hash, from_review)
                LEFT JOIN review_posts rp ON rp.post_id = t.post_id
                LEFT JOIN post_checks c ON c.post_id = t.post_id AND c.content_hash = t.content_hash
            ), old AS (
                SELECT p.account_id, p.day FROM posts p JOIN incoming i USING (account_id, platform_post_id)
                WHERE p.day IS NOT NULL
            ), up AS (
                INSERT INTO posts AS p (account_id, platform_post_id, post_id, published_at, day, original,
                                        errors_serious, errors_ordinary, content_hash)
                SELECT account_id, platform_post_id, post_id, published_at, day, original, serious, ordinary,
                       review_hash
                FROM incoming
                ON CONFLICT (account_id, platform_post_id) DO UPDATE SET
                    -- excluded.content_hash is set only by the review's publication
                    post_id = CASE WHEN excluded.content_hash IS NOT NULL THEN excluded.post_id
                                   ELSE COALESCE(p.post_id, excluded.post_id) END,
                    content_hash = COALESCE(excluded.content_hash, p.content_hash),
                    original = CASE WHEN excluded.content_hash IS NOT NULL
                                      OR (p.content_hash IS NULL AND excluded.post_id IS NOT NULL)
                                    THEN excluded.original ELSE p.original END,
                    errors_serious = CASE WHEN excluded.content_hash IS NOT NULL
                                            OR (p.content_hash IS NULL AND excluded.post_id IS NOT NULL)
                                          THEN excluded.errors_serious ELSE p.errors_serious END,
                    errors_ordinary = CASE WHEN excluded.content_hash IS NOT NULL
                                             OR (p.content_hash IS NULL AND excluded.post_id IS NOT NULL)
                                           THEN excluded.errors_ordinary ELSE p.errors_ordinary END,
                    published_at = LEAST(COALESCE(p.published_at, excluded.published_at),
                                         excluded.published_at),
                    day = CASE WHEN p.published_at IS NULL OR excluded.published_at < p.published_at
                               THEN excluded.day ELSE p.day END
                RETURNING p.account_id, p.day
            )
            SELECT account_id, day FROM up UNION SELECT account_id, day FROM old
            """
        ),
        dict(zip(("a", "pp", "p", "at", "day", "h", "r"), _cols(rows, 7), strict=True)),
    )
    return [(r[0], r[1]) for r in result if r[1] is not None]


async def upsert_followers(session: AsyncSession, rows: Sequence[tuple[str, date, int, datetime]]) -> None:
    """(account, day, followers, as_of): the latest account-level snapshot of each day."""
    if not rows:
        return
    await session.execute(
        text(
            """
            INSERT INTO account_days AS d (account_id, day, followers, followers_as_of)
            SELECT * FROM unnest(CAST(:a AS text[]), CAST(:d AS date[]), CAST(:f AS bigint[]),
                                 CAST(:at AS timestamptz[]))
            ON CONFLICT (account_id, day) DO UPDATE SET followers = excluded.followers,
                followers_as_of = excluded.followers_as_of
            WHERE d.followers_as_of IS NULL OR excluded.followers_as_of > d.followers_as_of
            """
        ),
        dict(zip(("a", "d", "f", "at"), _cols(rows, 4), strict=True)),
    )


async def insert_alerts(
    session: AsyncSession, rows: Sequence[tuple[str, str, date, str, str, str]]
) -> list[DayKey]:
    """(alert_id, account, day, rule, severity, class); an alert is raised once. A resolution read before
    the alert (``alert_resolutions``, see :func:`resolve_alerts`) is taken over by it and removed."""
    if not rows:
        return []
    await session.execute(
        text(
            """
            WITH t AS (
                SELECT * FROM unnest(CAST(:id AS text[]), CAST(:a AS text[]), CAST(:d AS date[]),
                                     CAST(:r AS text[]), CAST(:s AS text[]), CAST(:c AS text[]))
                         AS t(alert_id, account_id, day, rule, severity, alert_class)
            ), early AS (
                DELETE FROM alert_resolutions r USING t WHERE r.alert_id = t.alert_id
                RETURNING r.alert_id, r.dismissed
            )
            INSERT INTO alerts (alert_id, account_id, day, rule, severity, alert_class, resolved, dismissed)
            SELECT t.*, early.alert_id IS NOT NULL, COALESCE(early.dismissed, false)
            FROM t LEFT JOIN early USING (alert_id)
            ON CONFLICT (alert_id) DO NOTHING
            """
        ),
        dict(zip(("id", "a", "d", "r", "s", "c"), _cols(rows, 6), strict=True)),
    )
    return [(r[1], r[2]) for r in rows]


async def resolve_alerts(session: AsyncSession, rows: Sequence[tuple[str, bool]]) -> list[DayKey]:
    """(alert_id, dismissed): resolved alerts count as fixed; dismissed ones (false alarms) stop counting.

    The resolution of an alert not read yet (its raise dead-lettered and replayed later, a republish: Kafka
    orders a partition, not a replay) is kept in ``alert_resolutions`` until the alert arrives
    (:func:`insert_alerts`), so the facts do not depend on which of the two was read first."""
    if not rows:
        return []
    result = await session.execute(
        text(
            """
            WITH t AS (
                SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:dis AS boolean[])) AS t(alert_id, dismissed)
            ), up AS (
                UPDATE alerts a SET resolved = true, dismissed = a.dismissed OR t.dismissed
                FROM t WHERE a.alert_id = t.alert_id
                RETURNING a.alert_id, a.account_id, a.day
            ), early AS (
                INSERT INTO alert_resolutions AS r (alert_id, dismissed)
                SELECT t.alert_id, t.dismissed FROM t WHERE t.alert_id NOT IN (SELECT alert_id FROM up)
                ON CONFLICT (alert_id) DO UPDATE SET dismissed = r.dismissed OR excluded.dismissed
            )
            SELECT account_id, day FROM up
            """
        ),
        {"ids": [r[0] for r in rows], "dis": [r[1] for r in rows]},
    )
    return [(r[0], r[1]) for r in result]


async def upsert_targets(
    session: AsyncSession,
    rows: Sequence[tuple[str, str, date, datetime | None, bool | None]],
) -> list[DayKey]:
    """(campaign, account, deadline_day, completed_at, on_time); a completion is never undone."""
    if not rows:
        return []
    await session.execute(
        text(
            """
            INSERT INTO campaign_targets AS t (campaign_id, account_id, deadline_day, completed_at, on_time)
            SELECT * FROM unnest(CAST(:c AS text[]), CAST(:a AS text[]), CAST(:d AS date[]),
                                 CAST(:at AS timestamptz[]), CAST(:ot AS boolean[]))
            ON CONFLICT (campaign_id, account_id) DO UPDATE SET
                deadline_day = COALESCE(t.deadline_day, excluded.deadline_day),
                completed_at = COALESCE(t.completed_at, excluded.completed_at),
                on_time = COALESCE(t.on_time, excluded.on_time)
            """
        ),
        dict(zip(("c", "a", "d", "at", "ot"), _cols(rows, 5), strict=True)),
    )
    return [(r[1], r[2]) for r in rows]


async def upsert_cases(
    session: AsyncSession,
    rows: Sequence[
        tuple[str, str, str | None, date | None, date | None, date | None, str | None, bool | None]
    ],
) -> None:
    """(case, account, alert, notified_day, rectify_by, closed_day, outcome, closed_on_time): facts merge."""
    if not rows:
        return
    await session.execute(
        text(
            """
            INSERT INTO cases AS c (case_id, account_id, alert_id, notified_day, rectify_by, closed_day,
                                    outcome, closed_on_time)
            SELECT * FROM unnest(CAST(:c AS text[]), CAST(:a AS text[]), CAST(:al AS text[]),
                                 CAST(:n AS date[]), CAST(:r AS date[]), CAST(:cd AS date[]),
                                 CAST(:o AS text[]), CAST(:t AS boolean[]))
            ON CONFLICT (case_id) DO UPDATE SET
                alert_id = COALESCE(c.alert_id, excluded.alert_id),
                notified_day = COALESCE(c.notified_day, excluded.notified_day),
                rectify_by = COALESCE(c.rectify_by, excluded.rectify_by),
                closed_day = COALESCE(c.closed_day, excluded.closed_day),
                outcome = COALESCE(c.outcome, excluded.outcome),
                closed_on_time = COALESCE(c.closed_on_time, excluded.closed_on_time)
            """
        ),
        dict(zip(("c", "a", "al", "n", "r", "cd", "o", "t"), _cols(rows, 8), strict=True)),
    )


async def refresh_days(session: AsyncSession, keys: Iterable[DayKey]) -> int:
    """Re-aggregate ``account_days`` for the (account, day) pairs given, from the facts; one statement."""
    unique = sorted(set(keys))
    if not unique:
        return 0
    await session.execute(
        text(
            """
            WITH k AS (
                SELECT * FROM unnest(CAST(:a AS text[]), CAST(:d AS date[])) AS k(account_id, day)
            ), p AS (
                SELECT p.account_id, p.day, count(*) AS posts, count(*) FILTER (WHERE p.original) AS orig,
                       sum(COALESCE(reads, 0)) AS reads, sum(COALESCE(watching, 0)) AS watching,
                       sum(COALESCE(likes, 0)) AS likes, sum(COALESCE(shares, 0)) AS shares,
                       sum(COALESCE(comments, 0)) AS comments,
                       max(COALESCE(reads, 0)) AS mr, max(COALESCE(watching, 0)) AS mz,
                       max(COALESCE(likes, 0)) AS ml, max(COALESCE(shares, 0)) AS ms,
                       max(COALESCE(comments, 0)) AS mc,
                       sum(errors_serious) AS es, sum(errors_ordinary) AS eo
                FROM posts p JOIN k USING (account_id, day) GROUP BY p.account_id, p.day
            ), lead AS (
                SELECT DISTINCT ON (p.account_id, p.day) p.account_id, p.day, COALESCE(reads, 0) AS r,
                       COALESCE(watching, 0) AS z, COALESCE(likes, 0) AS l, COALESCE(shares, 0) AS s
                FROM posts p JOIN k USING (account_id, day)
                ORDER BY p.account_id, p.day, p.published_at, p.platform_post_id
            ), al AS (
                SELECT a.account_id, a.day,
                       count(*) FILTER (WHERE severity IN ('serious', 'violation')) AS violations,
                       count(*) FILTER (WHERE rule = 'not_updated' AND severity IN ('serious', 'violation'))
                           AS not_updated,
                       count(*) FILTER (WHERE rule = 'interaction_off'
                                          AND severity IN ('serious', 'violation'))
                           AS interaction_off,
                       count(*) FILTER (WHERE alert_class = 'serious' AND severity = 'serious') AS serious,
                       count(*) FILTER (WHERE alert_class IN ('expression', 'serious')
                                          AND severity IN ('serious', 'violation')) AS es,
                       count(*) FILTER (WHERE alert_class = 'expression'
                                          AND severity IN ('warning', 'minor')) AS eo
                FROM alerts a JOIN k USING (account_id, day) WHERE NOT a.dismissed
                GROUP BY a.account_id, a.day
            ), ct AS (
                SELECT t.account_id, t.deadline_day AS day, count(*) AS assigned,
                       count(t.completed_at) AS done, count(*) FILTER (WHERE t.on_time) AS on_time
                FROM campaign_targets t JOIN k ON k.account_id = t.account_id AND k.day = t.deadline_day
                GROUP BY t.account_id, t.deadline_day
            )
            INSERT INTO account_days AS d (
                account_id, day, posts, original_posts, reads, watching, likes, shares, comments,
                lead_reads, lead_watching, lead_likes, lead_shares,
                max_reads, max_watching, max_likes, max_shares, max_comments,
                errors_serious, errors_ordinary, pushes_assigned, pushes_done, pushes_on_time,
                violations, not_updated_alerts, interaction_off_alerts, serious_alerts)
            SELECT k.account_id, k.day, COALESCE(p.posts, 0), COALESCE(p.orig, 0),
                   COALESCE(p.reads, 0), COALESCE(p.watching, 0), COALESCE(p.likes, 0),
                   COALESCE(p.shares, 0), COALESCE(p.comments, 0),
                   COALESCE(lead.r, 0), COALESCE(lead.z, 0), COALESCE(lead.l, 0), COALESCE(lead.s, 0),
                   COALESCE(p.mr, 0), COALESCE(p.mz, 0), COALESCE(p.ml, 0), COALESCE(p.ms, 0),
                   COALESCE(p.mc, 0),
                   COALESCE(p.es, 0) + COALESCE(al.es, 0), COALESCE(p.eo, 0) + COALESCE(al.eo, 0),
                   COALESCE(ct.assigned, 0), COALESCE(ct.done, 0), COALESCE(ct.on_time, 0),
                   COALESCE(al.violations, 0), COALESCE(al.not_updated, 0), COALESCE(al.interaction_off, 0),
                   COALESCE(al.serious, 0)
            FROM k LEFT JOIN p USING (account_id, day) LEFT JOIN lead USING (account_id, day)
                   LEFT JOIN al USING (account_id, day) LEFT JOIN ct USING (account_id, day)
            ON CONFLICT (account_id, day) DO UPDATE SET
                posts = excluded.posts, original_posts = excluded.original_posts, reads = excluded.reads,
                watching = excluded.watching, likes = excluded.likes, shares = excluded.shares,
                comments = excluded.comments, lead_reads = excluded.lead_reads,
                lead_watching = excluded.lead_watching, lead_likes = excluded.lead_likes,
                lead_shares = excluded.lead_shares, max_reads = excluded.max_reads,
                max_watching = excluded.max_watching, max_likes = excluded.max_likes,
                max_shares = excluded.max_shares, max_comments = excluded.max_comments,
                errors_serious = excluded.errors_serious, errors_ordinary = excluded.errors_ordinary,
                pushes_assigned = excluded.pushes_assigned, pushes_done = excluded.pushes_done,
                pushes_on_time = excluded.pushes_on_time, violations = excluded.violations,
                not_updated_alerts = excluded.not_updated_alerts,
                interaction_off_alerts = excluded.interaction_off_alerts,
                serious_alerts = excluded.serious_alerts
            """
        ),
        {"a": [k[0] for k in unique], "d": [k[1] for k in unique]},
    )
    return len(unique)
