"""Scoring HTTP API: explained scores, rankings, the public leaderboard, distributions, the statistics form,
recomputation and the rules in force. Parse, authorise, call, shape."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.scoring import PeriodKind
from govmedia_common.events.types import Platform
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.json_values import iso_date
from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.problems import Problem
from govmedia_common.scoping import known_region, region_named, require_province, unknown_region
from govmedia_scoring import indices as ix
from govmedia_scoring import repository as repo
from govmedia_scoring import schemas as s
from govmedia_scoring.engine import compute, sql
from govmedia_scoring.periods import Period
from govmedia_scoring.rules import ScoringRules, region_level

router = APIRouter()

Reader = Annotated[Principal, Depends(Authorize("scoring:read"))]
Admin = Annotated[Principal, Depends(Authorize("scoring:read", roles=("office_admin",)))]
Kind = Annotated[PeriodKind, Query(description="day, week, month, quarter or year")]
Start = Annotated[
    date,
    Query(description="First day of the period", ge=date(2000, 1, 1), le=date(2100, 1, 1)),
    BeforeValidator(iso_date),  # ISO 8601, never digits read as seconds since 1970
]
REGION_PATTERN = r"^[0-9]{6}$"
Region = Annotated[
    str | None, Query(description="Region code (GB/T 2260); default: your own", pattern=REGION_PATTERN)
]
Level = Annotated[
    Literal["province", "city", "county"] | None, Query(description="Level of the account's region")
]
PlatformQ = Annotated[Platform | None, Query(description="Only this platform")]
Limit = Annotated[int, Query(ge=1, le=500)]
RANKINGS = "/v1/rankings"
PUBLIC_LIMIT = 100


def _period(kind: PeriodKind, start: date, at: Literal["query", "body"] = "query") -> Period:
    """The period, or the 422 naming the parameter whose day does not start it."""
    try:
        return Period(kind, start)
    except DomainError as exc:
        where = f"{at}.period_start"
        raise DomainError(
            exc.kind,
            exc.code,
            f"The request is invalid at: {where}. {exc.detail}",
            errors=[{"location": where, "message": exc.detail, "type": "bad_period_start"}],
        ) from None


async def _region(session: AsyncSession, principal: Principal, region: str | None) -> str:
    """The region asked (default the caller's own): 404 outside the caller's subtree, 404 unknown-region
    for one no event of the registry named (govmedia_common.scoping.known_region, as the monitor)."""
    return await known_region(session, principal, region or principal.region_code)


def explain(row: Any) -> s.ExplainedScore:
    """A stored score with its parts recomputed from its inputs and rules (the reference formulas)."""
    rules = ScoringRules.model_validate(row.rules)
    stored = sql.inputs_of(row.platform, row.inputs)
    inputs = sql.stored_inputs(row.platform, row.inputs)
    scored = ix.score(
        inputs, rules, effect=row.effect, previous_base=row.previous_base, year_ago_base=row.year_ago_base
    )
    formula = ix.FORMULA_NAMES[scored.parts["effect"]["formula"]]
    return s.ExplainedScore(
        account_id=row.account_id,
        name=row.name,
        unit_id=row.unit_id,
        region_code=row.region_code,
        level=row.level,
        platform=row.platform,
        period_kind=row.period_kind,
        period_start=row.period_start,
        period_end=row.period_end,
        diligence=row.diligence,
        effect=row.effect,
        content=row.content,
        cluster=row.cluster,
        growth=row.growth,
        composite=row.composite,
        passed=row.passed,
        veto_reasons=list(row.veto_reasons),
        effect_raw=row.effect_raw,
        effect_formula=formula,
        inputs=stored,
        parts=scored.parts,
        weights=rules.weights(),
        vetoes=[s.VetoOut(code=v.code, rule=v.rule, count=v.count) for v in scored.vetoes],
        rules=rules.model_dump(),
        rules_digest=row.rules_digest,
        computed_at=row.computed_at,
    )


@router.get(
    "/v1/accounts/{account_id}/scores",
    response_model=s.ExplainedScore,
    tags=["scores"],
    summary="One account's scores for a period, with inputs, parts, weights and the rule behind each veto",
)
async def account_score(
    account_id: Annotated[str, Path(max_length=64)],
    period_kind: Kind,
    period_start: Start,
    session: SessionDep,
    principal: Reader,
) -> s.ExplainedScore:
    row = await repo.score(session, account_id, _period(period_kind, period_start))
    if row is None or not principal.can_see_region(row.region_code):
        raise not_found("score of account", account_id)
    return explain(row)


RANKING_CHANGED = (
    "`ranking-changed`: the ranking changed since the walk began (a computation of the period moved an "
    "account or added one): its pages no longer fit together; start the walk again without `cursor`."
)


@router.get(
    "/v1/rankings",
    response_model=list[s.ScoreRow],
    tags=["rankings"],
    summary="Accounts of a region ranked by composite, within level and platform",
    description="Order: by composite, highest first, then by account id. When more follow, the answer's "
    '`Link: <…>; rel="next"` header names the next page (a cursor after the last row, holding the ranking '
    "as it was): a walk by it reads each ranked account once, or, when a computation of the period changed "
    "the ranking meanwhile (an account's composite, an account added), is answered 410 `ranking-changed` "
    "and starts again without `cursor`, so that no account is skipped or read twice. A computation that "
    "moves nothing in this ranking does not stop the walk. `offset` still pages by position, with no such "
    "check (a computation during such a walk moves rows between pages); not with `cursor`.",
    responses={410: {"description": RANKING_CHANGED}},
)
async def rankings(
    period_kind: Kind,
    period_start: Start,
    session: SessionDep,
    principal: Reader,
    request: Request,
    response: Response,
    region: Region = None,
    level: Level = None,
    platform: PlatformQ = None,
    limit: Limit = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description='From the `Link: <…>; rel="next"` header of the previous page.'),
    ] = None,
) -> list[s.ScoreRow]:
    after = decode_cursor(cursor, float, str, str, of=RANKINGS)
    if after is not None and offset:
        message = "a page is named by its cursor or its offset, not both; drop offset"
        raise Problem(
            422,
            "validation-error",
            f"The request is invalid at: query.offset ({message}).",
            errors=[{"location": "query.offset", "message": message, "type": "cursor_and_offset"}],
        )
    code = await _region(session, principal, region)
    period = _period(period_kind, period_start)
    platform_name = platform.value if platform else None
    rows = await repo.ranking(
        session,
        period,
        region_code=code,
        level=level,
        platform=platform_name,
        limit=limit + 1,
        offset=offset,
        after=(after[0], after[1]) if after is not None else None,
    )
    if after is not None:  # the walk's pages fit together only while the ranking is the one it began on
        digest = (
            rows[0].ranking_digest
            if rows
            else await repo.ranking_digest(
                session, period, region_code=code, level=level, platform=platform_name
            )
        )
        if digest != after[2]:
            raise Problem(
                410,
                "ranking-changed",
                f"The ranking of {period.label()} changed since this walk began: the period was computed "
                "again and an account's composite changed, or an account was added, so the pages read so far "
                "and the next ones no longer fit together. Start the walk again without cursor.",
            )
    if len(rows) > limit:  # more follow: the answer stays a list, the next page is named in a Link header
        last = rows[limit - 1]
        following = request.url.remove_query_params("offset").include_query_params(
            cursor=encode_cursor([float(last.composite), last.account_id, last.ranking_digest], of=RANKINGS)
        )
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return [s.ScoreRow.model_validate(r._mapping) for r in rows[:limit]]


@router.get("/v1/public/leaderboard", response_model=s.PublicBoard, tags=["public"],
            summary="晾晒台: the public leaderboard of a closed period (no sign-in)")  # fmt: skip
async def leaderboard(
    period_kind: Kind,
    period_start: Start,
    region: Annotated[str, Query(min_length=6, max_length=6, pattern="^[0-9]{6}$")],
    session: SessionDep,
    rt: RuntimeDep,
    platform: PlatformQ = None,
    limit: Annotated[int, Query(ge=1, le=PUBLIC_LIMIT)] = 50,
) -> s.PublicBoard:
    period = _period(period_kind, period_start)
    if not await region_named(session, region):
        raise unknown_region(region)
    if period.end >= rt.clock.today():
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "period-not-closed",
            f"The public leaderboard shows closed periods only; {period.label()} ends {period.end}.",
        )
    rows = await repo.ranking(
        session,
        period,
        region_code=region,
        level=None,
        platform=platform.value if platform else None,
        limit=limit,
    )
    entries = [
        s.PublicEntry(
            rank=r.rank,
            account_name=r.name or "",
            unit_name=r.unit_name or "",
            platform=r.platform,
            region_code=r.region_code,
            composite=round(r.composite, 1),
            diligence=round(r.diligence, 1),
            effect=round(r.effect, 1),
            content=round(r.content, 1),
            cluster=round(r.cluster, 1),
            growth=round(r.growth, 1),
            passed=r.passed,
            veto_reasons=list(r.veto_reasons),
        )
        for r in rows
    ]
    regions = await repo.by_region(session, period, region, platform.value if platform else None)
    return s.PublicBoard(
        period_kind=period.kind.value,
        period_start=period.start,
        period_end=period.end,
        region_code=region,
        entries=entries,
        regions=[s.PublicRegion.model_validate(r._mapping) for r in regions],
    )


@router.get("/v1/distribution", response_model=s.DistributionOut, tags=["reports"],
            summary="Distribution of every index over a region and period (Grafana, bulletins)")  # fmt: skip
async def distribution(
    period_kind: Kind, period_start: Start, session: SessionDep, principal: Reader, region: Region = None
) -> s.DistributionOut:
    code = await _region(session, principal, region)
    d = await repo.distribution(session, _period(period_kind, period_start), code)
    row = d["row"]
    indices = {}
    for c in repo.INDEX_COLUMNS:
        hist = [0] * 10
        for idx, band, n in d["bands"]:
            if idx == c:
                hist[int(band)] = int(n)
        q = row[f"{c}_q"] or [None, None, None]
        indices[c] = s.IndexDistribution(
            count=row["accounts"],
            mean=row[f"{c}_mean"],
            min=row[f"{c}_min"],
            p25=q[0],
            median=q[1],
            p75=q[2],
            max=row[f"{c}_max"],
            histogram=hist,
        )
    return s.DistributionOut(
        region_code=code,
        period_kind=period_kind.value,
        period_start=period_start,
        accounts=row["accounts"],
        passed=row["passed"],
        pass_rate=row["passed"] / row["accounts"] if row["accounts"] else None,
        indices=indices,
        by_platform={p.pop("platform"): p for p in d["by_platform"]},
    )


FORM_COLUMNS = {"weibo": "weibo", "wechat": "wechat", "app": "app"}


@router.get("/v1/statistics", response_model=s.StatisticsOut, tags=["reports"],
            summary="Monitoring and scoring rows of the statistics form for a region and period")  # fmt: skip
async def statistics(
    period_kind: Kind, period_start: Start, session: SessionDep, principal: Reader, region: Region = None
) -> s.StatisticsOut:
    code = await _region(session, principal, region)
    period = _period(period_kind, period_start)
    rows = await repo.statistics(session, period, code)
    keys = ("accounts_open", "accounts_with_problems", "accounts_fixed", "accounts_with_interaction", "posts",
            "notices", "rectified_on_time", "scored", "passed")  # fmt: skip
    columns: dict[str, dict[str, Any]] = {
        c: dict.fromkeys(keys, 0) | {"_sum": 0.0} for c in (*FORM_COLUMNS, "other", "total")
    }
    for r in rows:
        for col in (FORM_COLUMNS.get(r.platform, "other"), "total"):
            for k in keys:
                columns[col][k] += int(getattr(r, k) or 0)
            columns[col]["_sum"] += float(r.mean_composite or 0) * int(r.scored or 0)
    out = {}
    for col, v in columns.items():
        total = v.pop("_sum")
        out[col] = s.StatisticsColumn(**v, mean_composite=total / v["scored"] if v["scored"] else None)
    return s.StatisticsOut(
        region_code=code,
        period_kind=period.kind.value,
        period_start=period.start,
        period_end=period.end,
        columns=out,
    )


RECOMPUTE_WAIT_SECONDS = 10.0
"""How long ``POST /v1/recompute`` waits for a running computation of its period (the schedule's, another
request's): a month of 500,000 accounts takes about a minute, longer than a client or a proxy waits."""
RETRY_AFTER_SECONDS = 30


async def _wait_for_period(session: AsyncSession, period: Period) -> None:
    """Take the period's computation lock, waiting at most ``RECOMPUTE_WAIT_SECONDS`` (compute_period takes
    it again: advisory locks nest within a transaction); 503 ``period-being-computed`` with Retry-After when
    another computation holds it longer, nothing done (it used to wait with no bound)."""
    key = compute._period_lock(period)
    deadline = time.monotonic() + RECOMPUTE_WAIT_SECONDS
    while not (await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})).scalar_one():
        if time.monotonic() >= deadline:
            raise Problem(
                503,
                "period-being-computed",
                f"The {period.kind.value} starting {period.start} is being computed by the schedule or "
                f"another request (waited {RECOMPUTE_WAIT_SECONDS:g} s); this request recomputed nothing. "
                "Send it again after Retry-After seconds (with the same Idempotency-Key, a finished first "
                "answer is replayed).",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                period_kind=period.kind.value,
                period_start=period.start.isoformat(),
            )
        await asyncio.sleep(0.2)


BUSY = (
    "The period is being computed by the schedule or another request (period-being-computed, problem+json, "
    "Retry-After): nothing was recomputed"
)


@router.post("/v1/recompute", response_model=s.RecomputeOut, tags=["scores"],
             summary="Recompute a period from the stored aggregates with the settings in force",
             responses={503: {"description": BUSY}})  # fmt: skip
async def recompute(
    body: s.RecomputeIn, session: SessionDep, principal: Admin, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    # Every region's scores at once, and their counts: the province's (a county's would disclose others').
    require_province(principal, "POST /v1/recompute")
    period = _period(body.period_kind, body.period_start, "body")
    if period.start > rt.clock.today():
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "period-in-future", f"{period.label()} has not started yet."
        )
    await _wait_for_period(session, period)

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        result = await compute.compute_period(session, period, now=rt.clock.now())
        out = s.RecomputeOut(
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            accounts=result.accounts,
            changed=result.changed,
        )
        return out.model_dump(mode="json"), {}

    # A retry with the key (after a timeout) gets the first answer, not "changed 0" of a second computation.
    return await idempotent_create(
        session,
        principal=principal.subject,
        key=key,
        route="POST /v1/recompute",
        payload=body,
        make=make,
        status=200,
    )


@router.get("/v1/rules/{region_code}", response_model=s.RulesOut, tags=["scores"],
            summary="The scoring settings in force for a region and where each comes from")  # fmt: skip
async def rules_in_force(
    region_code: Annotated[str, Path(pattern=REGION_PATTERN, description="Region code (GB/T 2260)")],
    session: SessionDep,
    principal: Reader,
) -> s.RulesOut:
    code = await _region(session, principal, region_code)
    region_level(code)
    res = (await compute.resolve_regions(session, [code]))[code]
    return s.RulesOut(
        region_code=code, rules=res.rules.model_dump(), sources=res.sources, notes=list(res.notes)
    )
