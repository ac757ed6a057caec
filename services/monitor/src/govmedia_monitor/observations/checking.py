"""The machine check on what was published: the SAME engine the review uses (``govmedia_checks``).

There is one check engine. The review announces every lexicon version (``LexiconPublished``); the monitor
keeps the latest version of each (scope, kind) list (``lexicon_lists``) and builds, for a post's region,
exactly the combination the review builds (``govmedia_checks.combine_scoped`` over ``scope_chain``): the
province's list or the shipped default, plus the city's and county's additions. Until the review has
announced a default list of a kind, the library's starter set stands in for it, as it does in the review.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import (
    DEFAULT_SCOPE,
    CheckEngine,
    LexiconError,
    combine_scoped,
    load_starter_lexicons,
    scope_chain,
)
from govmedia_monitor.models import LexiconList, ObservedPost

log = logging.getLogger(__name__)

Lists = list[tuple[str, str, dict[str, Any]]]


def _build(announced: Lists) -> CheckEngine:
    have_default = {kind for scope, kind, _ in announced if scope == DEFAULT_SCOPE}
    starter = [
        (DEFAULT_SCOPE, kind, doc)
        for kind, doc in load_starter_lexicons().to_dict().items()
        if kind not in have_default
    ]
    try:
        lexicons = combine_scoped([*starter, *announced])
    except LexiconError:
        log.exception("announced lexicons are unusable; checking with the starter set")
        lexicons = combine_scoped(starter)
    return CheckEngine(lexicons)


class CheckerCache:
    """Check engines per combination of lists (a small LRU); building one is not cheap."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._engines: OrderedDict[tuple[tuple[str, str, int], ...], CheckEngine] = OrderedDict()
        self._lock = asyncio.Lock()

    async def engine(self, session: AsyncSession, region_code: str) -> CheckEngine:
        """The engine for content published in ``region_code``."""
        rows = (
            (
                await session.execute(
                    select(LexiconList)
                    .where(LexiconList.scope_region_code.in_(scope_chain(region_code)))
                    .order_by(LexiconList.scope_region_code, LexiconList.kind)
                )
            )
            .scalars()
            .all()
        )
        usable = [r for r in rows if r.document is not None]
        key = tuple((r.scope_region_code, r.kind, r.seq) for r in usable)
        if (engine := self._engines.get(key)) is not None:
            self._engines.move_to_end(key)
            return engine
        async with self._lock:
            if (engine := self._engines.get(key)) is not None:
                return engine
            lists: Lists = [(r.scope_region_code, r.kind, dict(r.document or {})) for r in usable]
            engine = await asyncio.to_thread(_build, lists)
            self._engines[key] = engine
            while len(self._engines) > self.size:
                self._engines.popitem(last=False)
            return engine


async def check_observation(
    session: AsyncSession,
    checker: CheckerCache,
    obs: ObservedPost,
    engines: dict[str, CheckEngine] | None = None,
) -> None:
    """Run the machine check on an observed post and set the findings on it (the caller's flush writes them).

    ``engines``: the engines of one batch by region, so the lists are read once per region and batch (read
    per post, a batch of 2,000 posts spent 4 s reading the same lists 4,000 times)."""
    try:
        engine = engines.get(obs.region_code) if engines is not None else None
        if engine is None:
            engine = await checker.engine(session, obs.region_code)
            if engines is not None:
                engines[obs.region_code] = engine
    except Exception:  # never lose an observation because the check cannot run; it stays unchecked
        log.exception("the machine check is unavailable; observation stored unchecked")
        return
    result = engine.check(obs.text, title=obs.title)
    obs.check_blocking = result.blocking
    obs.check_findings = [f.to_dict() for f in result.findings]
    obs.check_lexicons = dict(result.lexicon_versions)  # written by the caller's flush (once a batch)
