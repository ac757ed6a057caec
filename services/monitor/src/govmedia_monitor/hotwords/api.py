"""Hot words HTTP API: a region's top terms for a day, a term's trend, mining a day on demand."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.scoping import known_region
from govmedia_monitor import schemas as s
from govmedia_monitor.access import Reader, may_run_jobs
from govmedia_monitor.hotwords import service as hotwords

router = APIRouter()


# -------------------------------------------------------------------------------------------- hot words


@router.get(
    "/v1/hot-words", response_model=s.HotWordsOut, tags=["hot words"], summary="Top hot words of a region"
)
async def get_hot_words(
    session: SessionDep,
    principal: Reader,
    rt: RuntimeDep,
    region_code: Annotated[str, Query(pattern=r"^[0-9]{6}$")],
    day: s.Day | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> s.HotWordsOut:
    await known_region(session, principal, region_code)
    day = day or rt.clock.today()
    rows = await hotwords.top_terms(session, region_code, day, limit)
    return s.HotWordsOut(
        region_code=region_code,
        day=day,
        posts=rows[0].posts if rows else 0,
        terms=[s.HotWordOut.model_validate(r) for r in rows],
    )


@router.get(
    "/v1/hot-words/trend", response_model=s.TrendOut, tags=["hot words"], summary="A term's trend over days"
)
async def get_trend(
    session: SessionDep,
    principal: Reader,
    rt: RuntimeDep,
    region_code: Annotated[str, Query(pattern=r"^[0-9]{6}$")],
    term: Annotated[str, Query(min_length=1, max_length=50)],
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    end: s.Day | None = None,
) -> s.TrendOut:
    await known_region(session, principal, region_code)
    # Terms are stored as words, never with spaces: one pasted with a space around it matched none and
    # read as "never hot".
    term = term.strip()
    if not term:
        message = "the term is blank: name the word whose trend you want"
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "blank-term",
            f"The request is invalid at: query.term ({message}).",
            errors=[{"location": "query.term", "message": message, "type": "blank_term"}],
        )
    last = end or rt.clock.today()
    points = await hotwords.trend(session, region_code, term, last - timedelta(days=days - 1), last)
    return s.TrendOut(region_code=region_code, term=term, points=[s.TrendPoint(**p) for p in points])


@router.post(
    "/v1/hot-words/extraction",
    response_model=dict[str, int],
    tags=["hot words"],
    summary="Mine a day's hot words now",
)
async def extract_hot_words(
    body: s.ExtractIn, session: SessionDep, principal: Reader, rt: RuntimeDep
) -> dict[str, int]:
    if not may_run_jobs(principal):
        raise DomainError(
            ErrorKind.FORBIDDEN, "extract-forbidden", "Mining needs monitor:write or an office admin."
        )
    if body.region_code:
        await known_region(session, principal, body.region_code)
    today = rt.clock.today()
    day = body.day or today
    if day > today:
        # Its posts are not in yet: the day's hot words would be mined from none and announced.
        message = f"{day} has not come yet (today is {today}): hot words are mined for today or a past day"
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "day-in-future",
            message,
            errors=[{"location": "body.day", "message": message, "type": "day_in_future"}],
        )
    # The caller's subtree only: a county admin mines, and is told of, its own regions, never another's.
    result = await hotwords.mine_day(
        session, day, only_region=body.region_code, within=principal.region_prefix, now=rt.clock.now()
    )
    return {code: len(terms) for code, terms in result.items()}
