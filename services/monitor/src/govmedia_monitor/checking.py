"""The machine check on what was published: the SAME engine the review uses (``govmedia_checks``).

There is one check engine. The monitor builds it from the lexicon versions the review announces
(``lexicon_versions`` table, fed by events) and falls back to the library's starter set for a kind no
event has supplied yet, so a fresh installation checks with the same starter lexicons as the review.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import CheckEngine, LexiconError, LexiconSet, load_starter_lexicons
from govmedia_monitor.models import LexiconVersion, ObservedPost

log = logging.getLogger(__name__)


def _build(announced: dict[str, Any]) -> CheckEngine:
    docs = load_starter_lexicons().to_dict()
    docs.update(announced)
    try:
        lexicons = LexiconSet.from_dict(docs)
    except LexiconError:
        log.exception("announced lexicons are unusable; checking with the starter set")
        lexicons = load_starter_lexicons()
    return CheckEngine(lexicons)


class CheckerCache:
    """Check engines per set of active lexicon versions (a small LRU); building one is not cheap."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._engines: OrderedDict[tuple[tuple[str, str], ...], CheckEngine] = OrderedDict()
        self._lock = asyncio.Lock()

    async def engine(self, session: AsyncSession) -> CheckEngine:
        rows = (
            (
                await session.execute(
                    select(LexiconVersion).where(LexiconVersion.active).order_by(LexiconVersion.kind)
                )
            )
            .scalars()
            .all()
        )
        key = tuple((r.kind, r.version) for r in rows)
        if (engine := self._engines.get(key)) is not None:
            self._engines.move_to_end(key)
            return engine
        async with self._lock:
            if (engine := self._engines.get(key)) is not None:
                return engine
            engine = await asyncio.to_thread(_build, {r.kind: r.document for r in rows})
            self._engines[key] = engine
            while len(self._engines) > self.size:
                self._engines.popitem(last=False)
            return engine


async def check_observation(session: AsyncSession, checker: CheckerCache, obs: ObservedPost) -> None:
    """Run the machine check on an observed post and store the findings on it."""
    try:
        engine = await checker.engine(session)
    except Exception:  # never lose an observation because the check cannot run; it stays unchecked
        log.exception("the machine check is unavailable; observation stored unchecked")
        return
    result = engine.check(obs.text, title=obs.title)
    obs.check_blocking = result.blocking
    obs.check_findings = [f.to_dict() for f in result.findings]
    obs.check_lexicons = dict(result.lexicon_versions)
    await session.flush()
