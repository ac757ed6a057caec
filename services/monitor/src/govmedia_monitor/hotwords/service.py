"""Hot words (热词挖掘): daily keyword extraction per region over its recent observed posts.

jieba's TF-IDF keyword extraction (``jieba.analyse.TFIDF``, the maintained Chinese segmenter) with the
shipped stop-word list (``data/stopwords_zh.txt``). A region's hot words read the posts of its whole subtree
published in the window of ``hot_words_window_days`` days ending on the day. Extraction is CPU work: it
runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

import jieba
import jieba.analyse
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_common.events import HotTerm, HotWordsExtracted
from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.alerts.service import add_events
from govmedia_monitor.models import HotWord, HotWordMining, ObservedPost
from govmedia_monitor.observations.service import SettingsCache, region_sections
from govmedia_monitor.rules.thresholds import MonitorSettings, ancestors

_TERM = re.compile(r"^[\w\u4e00-\u9fff]{2,}$")
_NUMBER = re.compile(r"^[\d.,%]+$")


@functools.cache
def stop_words() -> frozenset[str]:
    """The shipped stop-word list."""
    raw = resources.files("govmedia_monitor").joinpath("data/stopwords_zh.txt").read_text("utf-8")
    return frozenset(w.strip() for w in raw.splitlines() if w.strip() and not w.startswith("#"))


@functools.cache
def _extractor() -> jieba.analyse.TFIDF:
    jieba.setLogLevel(60)  # silence the dictionary-loading chatter
    extractor = jieba.analyse.TFIDF()
    extractor.stop_words = set(extractor.stop_words) | set(stop_words())
    return extractor


def extract(texts: list[str], top: int) -> list[tuple[str, float]]:
    """The ``top`` keywords of the texts with their TF-IDF weights; no stop words, numbers, 1-char terms."""
    if not texts:
        return []
    pairs = _extractor().extract_tags("\n".join(texts), topK=top * 3, withWeight=True)
    out = []
    for term, weight in pairs:
        if term in stop_words() or not _TERM.match(term) or _NUMBER.match(term):
            continue
        out.append((term, round(float(weight), 6)))
        if len(out) == top:
            break
    return out


def _day_bounds(day: date, window_days: int) -> tuple[datetime, datetime]:
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return end - timedelta(days=window_days), end


# Advisory lock keys of a day's mining: this base ("monh") plus the day's number since 2000.
_MINE_LOCK = 0x6D6F6E68 << 24


async def mine_day(
    session: AsyncSession,
    day: date,
    *,
    now: datetime,
    only_region: str | None = None,
    within: str = "",
    unless_mined_since: datetime | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """Extract and store the hot words of ``day`` for every region with posts (and its ancestors).

    ``only_region``: that region alone; ``within``: a region prefix (``Principal.region_prefix``), the
    regions of that subtree alone (a county admin's mining on demand never mines, nor counts, another's).

    ``unless_mined_since``: nothing is done (nor announced again) when the day was mined for every region at
    or after that instant, which another replica's daily job did while this one waited for the day's lock."""
    # One mining of a day at a time (clicked twice, or by hand while the daily mining runs): the next
    # waits and replaces the day's terms, instead of failing on the terms the first inserted.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MINE_LOCK + (day - date(2000, 1, 1)).days}
    )
    if unless_mined_since is not None:
        mined = select(HotWordMining.mined_at).where(HotWordMining.day == day)
        mined_at = (await session.execute(mined)).scalar_one_or_none()
        if mined_at is not None and mined_at >= unless_mined_since:
            return {}
    settings = SettingsCache(await region_sections(session))
    widest = max(settings.of(only_region).hot_words_window_days, 90) if only_region else 90
    start, end = _day_bounds(day, widest)
    stmt = select(
        ObservedPost.region_code, ObservedPost.title, ObservedPost.text, ObservedPost.published_at
    ).where(ObservedPost.published_at >= start, ObservedPost.published_at < end)
    scope = region_prefix(only_region) if only_region else within
    if scope:
        stmt = stmt.where(ObservedPost.region_code.startswith(scope, autoescape=True))
    posts = (await session.execute(stmt)).all()
    by_region: dict[str, list[Any]] = defaultdict(list)
    for p in posts:
        for code in ancestors(p.region_code):
            if (only_region is None or code == only_region) and code.startswith(within):
                by_region[code].append(p)
    results: dict[str, list[tuple[str, float]]] = {}
    events: list[HotWordsExtracted] = []
    for code, rows in sorted(by_region.items()):
        cfg = settings.of(code)
        since, _ = _day_bounds(day, cfg.hot_words_window_days)
        texts = [f"{r.title}\n{r.text}" for r in rows if r.published_at >= since]
        terms = await asyncio.to_thread(extract, texts, cfg.hot_words_top)
        results[code] = terms
        events.append(
            HotWordsExtracted(
                occurred_at=now,
                region_code=code,
                day=day,
                window_days=cfg.hot_words_window_days,
                posts=len(texts),
                terms=tuple(HotTerm(term=t, weight=w, rank=i + 1) for i, (t, w) in enumerate(terms)),
            )
        )
        await session.execute(delete(HotWord).where(HotWord.region_code == code, HotWord.day == day))
        if terms:
            await session.execute(
                insert(HotWord).values(
                    [
                        {
                            "region_code": code,
                            "day": day,
                            "term": t,
                            "weight": w,
                            "rank": i + 1,
                            "posts": len(texts),
                        }
                        for i, (t, w) in enumerate(terms)
                    ]
                )
            )
    await add_events(session, events)
    if only_region is None and not within:  # every region of the day is mined as of now
        await session.execute(
            insert(HotWordMining)
            .values(day=day, mined_at=now)
            .on_conflict_do_update(index_elements=["day"], set_={"mined_at": now})
        )
    return results


# How many days back the daily job looks for days not mined since they ended.
CATCH_UP_DAYS = 7


async def days_to_mine(session: AsyncSession, today: date) -> list[tuple[date, datetime]]:
    """The days the daily job mines on ``today``, oldest first, each with the instant it counts as mined
    from (:func:`mine_day`'s ``unless_mined_since``: another replica's mining since then is enough).

    The days of the last week not mined (for every region) since they ended, and today, from the posts in so
    far. A day mined at its first minute held none of its own posts, and a day the service was down for at
    its turn (killed across midnight) was never mined: each is mined again once it is over (counted from
    its end), and then no more. A day mined since it ended whose window (the widest of the regions'
    ``hot_words_window_days``) received posts observed after that mining (a connector catching up, a post
    edited on the platform) is mined again too, counted from the last of those posts: once, by the first
    replica that gets to it."""
    since = today - timedelta(days=CATCH_UP_DAYS)
    sections = await region_sections(session)
    cache = SettingsCache(sections)
    window = max(
        [MonitorSettings().hot_words_window_days, *(cache.of(c).hot_words_window_days for c in sections)]
    )
    mined = {
        row.day: row.late
        for row in await session.execute(
            _MINED_SINCE_ENDED, {"since": since, "today": today, "window": window}
        )
    }
    out = []
    for day in (since + timedelta(days=n) for n in range(CATCH_UP_DAYS)):
        ended = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        if day not in mined:
            out.append((day, ended))
        elif (late := mined[day]) is not None:
            out.append((day, late))
    return [*out, (today, datetime.combine(today, time(0), tzinfo=SHANGHAI))]


# The days of [since, today) mined after they ended (midnight of the next day, Shanghai), each with the last
# observation of a post of its window made after that mining (NULL: none, the day is done).
_MINED_SINCE_ENDED = text(
    """
    SELECT m.day,
           (SELECT max(o.observed_at) FROM observed_posts o
            WHERE o.observed_at > m.mined_at
              AND o.published_at
                  >= timezone('Asia/Shanghai', CAST(m.day + 1 - CAST(:window AS int) AS timestamp))
              AND o.published_at < timezone('Asia/Shanghai', CAST(m.day + 1 AS timestamp))) AS late
    FROM hot_word_minings m
    WHERE m.day >= :since AND m.day < :today
      AND m.mined_at >= timezone('Asia/Shanghai', CAST(m.day + 1 AS timestamp))
    """
)


async def top_terms(session: AsyncSession, region_code: str, day: date, limit: int) -> list[HotWord]:
    stmt = (
        select(HotWord)
        .where(HotWord.region_code == region_code, HotWord.day == day)
        .order_by(HotWord.rank)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def trend(
    session: AsyncSession, region_code: str, term: str, start: date, end: date
) -> list[dict[str, Any]]:
    """The term's weight and rank on each day from ``start`` to ``end`` (None on days it was not hot)."""
    rows = {
        r.day: r
        for r in (
            await session.execute(
                select(HotWord).where(
                    HotWord.region_code == region_code,
                    HotWord.term == term,
                    HotWord.day >= start,
                    HotWord.day <= end,
                )
            )
        ).scalars()
    }
    out = []
    day = start
    while day <= end:
        r = rows.get(day)
        out.append({"day": day, "weight": r.weight if r else None, "rank": r.rank if r else None})
        day += timedelta(days=1)
    return out


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first request."""
    jieba.initialize()
    _extractor()
