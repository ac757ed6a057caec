"""Every read query of the scoring service: scores, rankings, distributions, the statistics form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_scoring.periods import Period

INDEX_COLUMNS = ("diligence", "effect", "content", "cluster", "growth", "composite")


def _scope(region_code: str) -> str:
    """LIKE pattern of a region's subtree (its code prefix)."""
    return region_prefix(region_code) + "%"


async def score(session: AsyncSession, account_id: str, period: Period) -> Row[Any] | None:
    """One account's score for a period, with its account name and the rules it was computed with."""
    result = await session.execute(
        text(
            """
            SELECT s.*, a.name, r.rules FROM scores s
            LEFT JOIN accounts a USING (account_id)
            JOIN rules_snapshots r ON r.digest = s.rules_digest
            WHERE s.account_id = :a AND s.period_kind = :k AND s.period_start = :s
            """
        ),
        {"a": account_id, "k": period.kind.value, "s": period.start},
    )
    return result.first()


# The scores a ranking holds: a region's subtree in a period, within a level and a platform if given.
_RANKED = """
    FROM scores s LEFT JOIN accounts a USING (account_id)
    WHERE s.period_kind = :k AND s.period_start = :s AND s.region_code LIKE :scope
      AND (CAST(:level AS text) IS NULL OR s.level = :level)
      AND (CAST(:platform AS text) IS NULL OR s.platform = :platform)
"""
# What fixes the ranking's order: each ranked account with its composite, as one digest (order-free: a sum of
# 64-bit hashes, with the count). A computation that moves no account, or leaves this ranking alone (another
# region, platform or level), keeps it; one that changes a composite here, or adds an account, changes it.
_DIGEST = (
    "md5(count(*) OVER () || ':' || sum(hashtextextended(s.account_id || '/' || s.composite, 0)) OVER ())"
)


async def ranking(
    session: AsyncSession,
    period: Period,
    *,
    region_code: str,
    level: str | None,
    platform: str | None,
    limit: int,
    offset: int = 0,
    after: tuple[float, str] | None = None,
) -> list[Row[Any]]:
    """Scores of a region's subtree for a period, ranked by composite within the filters given (ties by
    account id); ``after`` is the (composite, account id) of the last row seen, the rank still counted
    over the whole ranking. Each row carries ``ranking_digest``, what the whole ranking's order is
    computed from (:func:`ranking_digest`)."""
    result = await session.execute(
        text(
            f"""
            SELECT * FROM (
                SELECT s.*, a.name, a.unit_name,
                       rank() OVER (ORDER BY s.composite DESC) AS rank, {_DIGEST} AS ranking_digest
                {_RANKED}
            ) ranked
            WHERE CAST(:after_c AS double precision) IS NULL
               OR ranked.composite < :after_c
               OR (ranked.composite = :after_c AND ranked.account_id > :after_id)
            ORDER BY ranked.composite DESC, ranked.account_id
            LIMIT :limit OFFSET :offset
            """
        ),
        {
            **_ranking_params(period, region_code, level, platform),
            "limit": limit,
            "offset": offset,
            "after_c": after[0] if after else None,
            "after_id": after[1] if after else None,
        },
    )
    return list(result)


async def ranking_digest(
    session: AsyncSession, period: Period, *, region_code: str, level: str | None, platform: str | None
) -> str | None:
    """The digest of a ranking's order as it stands (None: nothing ranked), as :func:`ranking`'s rows
    carry it; for a page after which no row follows."""
    result = await session.execute(
        text(f"SELECT {_DIGEST} {_RANKED} LIMIT 1"), _ranking_params(period, region_code, level, platform)
    )
    return result.scalar_one_or_none()


def _ranking_params(
    period: Period, region_code: str, level: str | None, platform: str | None
) -> dict[str, Any]:
    return {
        "k": period.kind.value,
        "s": period.start,
        "scope": _scope(region_code),
        "level": level,
        "platform": platform,
    }


async def by_region(
    session: AsyncSession, period: Period, region_code: str, platform: str | None
) -> list[Row[Any]]:
    """Accounts, passed and mean composite of every region of a subtree, best mean first."""
    result = await session.execute(
        text(
            """
            SELECT region_code, count(*) AS accounts, count(*) FILTER (WHERE passed) AS passed,
                   round(avg(composite)::numeric, 1)::float8 AS mean_composite
            FROM scores WHERE period_kind = :k AND period_start = :s AND region_code LIKE :scope
              AND (CAST(:platform AS text) IS NULL OR platform = :platform)
            GROUP BY region_code ORDER BY mean_composite DESC, region_code
            """
        ),
        {"k": period.kind.value, "s": period.start, "scope": _scope(region_code), "platform": platform},
    )
    return list(result)


async def distribution(session: AsyncSession, period: Period, region_code: str) -> dict[str, Any]:
    """Count, mean, quartiles, extremes and ten-band histogram of each index over a region's subtree."""
    params = {"k": period.kind.value, "s": period.start, "scope": _scope(region_code)}
    where = "period_kind = :k AND period_start = :s AND region_code LIKE :scope"
    stats = ", ".join(
        f"avg({c}) AS {c}_mean, min({c}) AS {c}_min, max({c}) AS {c}_max, "
        f"percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY {c}) AS {c}_q"
        for c in INDEX_COLUMNS
    )
    row = (
        await session.execute(
            text(
                f"SELECT count(*) AS accounts, count(*) FILTER (WHERE passed) AS passed, {stats} "
                f"FROM scores WHERE {where}"
            ),
            params,
        )
    ).one()
    values = ", ".join(f"('{c}', {c})" for c in INDEX_COLUMNS)
    bands = await session.execute(
        text(
            f"""
            SELECT u.idx, LEAST(floor(u.v / 10), 9)::int AS band, count(*) AS n
            FROM scores, LATERAL (VALUES {values}) AS u(idx, v)
            WHERE {where} GROUP BY u.idx, band
            """
        ),
        params,
    )
    by_platform = await session.execute(
        text(
            f"""
            SELECT platform, count(*) AS accounts, count(*) FILTER (WHERE passed) AS passed,
                   avg(composite) AS mean_composite
            FROM scores WHERE {where} GROUP BY platform ORDER BY platform
            """
        ),
        params,
    )
    return {
        "row": dict(row._mapping),
        "bands": [(r.idx, r.band, r.n) for r in bands],
        "by_platform": [dict(r._mapping) for r in by_platform],
    }


async def statistics(session: AsyncSession, period: Period, region_code: str) -> list[Row[Any]]:
    """Per platform: accounts open, with problems, fixed, with interaction, posts, scored, passed, mean."""
    result = await session.execute(
        text(
            """
            WITH acc AS (
                SELECT * FROM accounts
                WHERE region_code LIKE :scope AND status IN ('active', 'suspended', 'merged', 'deregistered')
                  AND COALESCE(opened_on, :s) <= :e AND COALESCE(closed_on, :e) >= :s
            ), al AS (
                SELECT account_id, bool_and(resolved) AS fixed FROM alerts
                WHERE day BETWEEN :s AND :e AND NOT dismissed AND severity IN ('serious', 'violation')
                GROUP BY account_id
            ), cs AS (
                SELECT account_id, count(*) AS notices,
                       count(*) FILTER (WHERE outcome = 'rectified' AND closed_on_time) AS rectified_on_time,
                       bool_and(outcome IS NOT NULL) AS all_closed
                FROM cases WHERE notified_day BETWEEN :s AND :e GROUP BY account_id
            ), p AS (
                SELECT account_id, sum(posts) AS posts FROM account_days WHERE day BETWEEN :s AND :e
                GROUP BY account_id
            ), sc AS (
                SELECT account_id, passed, composite FROM scores WHERE period_kind = :k AND period_start = :s
            )
            SELECT acc.platform, count(*) AS accounts_open, count(al.account_id) AS accounts_with_problems,
                   count(*) FILTER (WHERE al.fixed OR (al.account_id IS NOT NULL AND cs.all_closed))
                       AS accounts_fixed,
                   COALESCE(sum(cs.notices), 0) AS notices,
                   COALESCE(sum(cs.rectified_on_time), 0) AS rectified_on_time,
                   count(*) FILTER (WHERE acc.interaction_enabled) AS accounts_with_interaction,
                   COALESCE(sum(p.posts), 0) AS posts, count(sc.account_id) AS scored,
                   count(*) FILTER (WHERE sc.passed) AS passed, avg(sc.composite) AS mean_composite
            FROM acc LEFT JOIN al USING (account_id) LEFT JOIN cs USING (account_id)
                     LEFT JOIN p USING (account_id)
                     LEFT JOIN sc USING (account_id)
            GROUP BY acc.platform
            """
        ),
        {
            "scope": _scope(region_code),
            "s": period.start,
            "e": period.end,
            "k": period.kind.value,
        },
    )
    return list(result)
