"""Monitor HTTP API: parse, authorise, call the service, shape the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.app import Authorize, Runtime, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import AlertClass, AlertRule, IngestChannel
from govmedia_common.pagination import Page, decode_cursor, encode_cursor
from govmedia_monitor import alerts, hotwords, interactions, observations, sweeps
from govmedia_monitor import schemas as s
from govmedia_monitor.checking import CheckerCache
from govmedia_monitor.models import Account
from govmedia_monitor.observations import Report, region_sections
from govmedia_monitor.thresholds import effective

router = APIRouter()

Ingester = Annotated[Principal, Depends(Authorize("monitor:ingest"))]
Reader = Annotated[
    Principal, Depends(Authorize(any_scope=("monitor:read", "monitor:write", "monitor:ingest")))
]
Office = Annotated[Principal, Depends(Authorize("monitor:read", roles=("office_staff", "office_admin")))]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=200, description="Opaque cursor from next_cursor")]

M = TypeVar("M", bound=BaseModel)
IngestFn = Callable[..., Awaitable[Report]]


def checker(rt: Runtime) -> CheckerCache:
    return rt.component(CheckerCache)


def _parse_bulk(model: type[M], body: s.Bulk) -> list[M]:
    """Every item valid, or a 422 naming each bad item: a bulk request is all or nothing."""
    items: list[M] = []
    errors: list[dict[str, Any]] = []
    for i, raw in enumerate(body.items):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            errors.extend(
                {"index": i, "field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
            )
    if errors:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "invalid-items",
            f"{len({e['index'] for e in errors})} of {len(body.items)} items are invalid; "
            "nothing was stored.",
            errors=errors[:100],
        )
    return items


async def _ingest(
    fn: IngestFn, session: AsyncSession, principal: Principal, rt: Runtime, items: Sequence[Any], **extra: Any
) -> s.IngestReport:
    report = await fn(
        session,
        items,
        channel=IngestChannel.INGEST_API,
        now=rt.clock.now(),
        may_see=principal.can_see_region,
        **extra,
    )
    if report.rejected and len(items) == 1:
        _, reason = report.rejected[0]
        raise DomainError(ErrorKind.UNPROCESSABLE, "item-refused", reason)
    if report.rejected:
        # All or nothing: the transaction rolls back with the error.
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "items-refused",
            f"{len(report.rejected)} of {len(items)} items were refused; nothing was stored.",
            errors=[{"index": i, "message": r} for i, r in report.rejected[:100]],
        )
    return report.out()


# ------------------------------------------------------------------------------------------------ ingest


@router.post(
    "/v1/observed-posts", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one observed post"
)
async def post_observed(
    body: s.ObservedPostIn, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(observations.ingest_posts, session, principal, rt, [body], checker=checker(rt))


@router.post(
    "/v1/observed-posts/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest observed posts"
)
async def post_observed_bulk(
    body: s.Bulk, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    items = _parse_bulk(s.ObservedPostIn, body)
    return await _ingest(observations.ingest_posts, session, principal, rt, items, checker=checker(rt))


@router.post(
    "/v1/metrics", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one metric snapshot"
)
async def post_metrics(
    body: s.MetricSnapshotIn, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(observations.ingest_metrics, session, principal, rt, [body])


@router.post(
    "/v1/metrics/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest metric snapshots"
)
async def post_metrics_bulk(
    body: s.Bulk, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(
        observations.ingest_metrics, session, principal, rt, _parse_bulk(s.MetricSnapshotIn, body)
    )


@router.post(
    "/v1/messages", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one public message"
)
async def post_message(
    body: s.MessageIn, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(interactions.ingest_messages, session, principal, rt, [body])


@router.post(
    "/v1/messages/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest public messages"
)
async def post_messages_bulk(
    body: s.Bulk, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(interactions.ingest_messages, session, principal, rt, _parse_bulk(s.MessageIn, body))


@router.post(
    "/v1/replies", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one answer to a message"
)
async def post_reply(
    body: s.ReplyIn, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(interactions.ingest_replies, session, principal, rt, [body])


@router.post("/v1/replies/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest answers")
async def post_replies_bulk(
    body: s.Bulk, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(interactions.ingest_replies, session, principal, rt, _parse_bulk(s.ReplyIn, body))


@router.post(
    "/v1/interaction", response_model=s.IngestReport, tags=["ingest"], summary="Interaction seen on or off"
)
async def post_interaction(
    body: s.InteractionIn, session: SessionDep, principal: Ingester, rt: RuntimeDep
) -> s.IngestReport:
    return await _ingest(interactions.ingest_interaction, session, principal, rt, [body])


# ---------------------------------------------------------------------------------------------- reading


def _after_seq(cursor: str | None) -> int | None:
    """The sequence number a cursor of these lists holds (a forged one is a 400, never a database error)."""
    after = decode_cursor(cursor, int)
    if not after:
        return None
    value = int(after[0])
    if not 0 <= value < 2**63:
        raise DomainError(ErrorKind.BAD_REQUEST, "invalid-cursor", "The cursor is not one this API returned.")
    return value


async def _visible_account(session: AsyncSession, principal: Principal, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None or not principal.can_see_region(account.region_code):
        raise not_found("account", account_id)
    return account


@router.get(
    "/v1/accounts/{account_id}/observed-posts",
    response_model=Page[s.ObservationOut],
    tags=["observations"],
    summary="Observed posts of an account with their match and score",
)
async def list_observed(
    account_id: str, session: SessionDep, principal: Reader, limit: Limit = 50, cursor: Cursor = None
) -> Page[s.ObservationOut]:
    await _visible_account(session, principal, account_id)
    rows = await observations.observations_of(
        session, account_id, limit=limit + 1, before_seq=_after_seq(cursor)
    )
    page = [s.ObservationOut.model_validate(r) for r in rows[:limit]]
    return Page(items=page, next_cursor=encode_cursor([rows[limit - 1].seq]) if len(rows) > limit else None)


@router.get("/v1/alerts", response_model=Page[s.AlertOut], tags=["alerts"], summary="Alerts in your region")
async def list_alerts(
    session: SessionDep,
    principal: Reader,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    alert_class: AlertClass | None = None,
    rule: AlertRule | None = None,
    state: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[s.AlertOut]:
    after_seq = _after_seq(cursor)
    rows = await alerts.list_alerts(
        session,
        principal,
        region_code=region_code,
        unit_id=unit_id,
        account_id=account_id,
        alert_class=alert_class,
        rule=rule,
        state=state,
        after_seq=after_seq,
        limit=limit + 1,
    )
    page = [s.AlertOut.model_validate(r) for r in rows[:limit]]
    return Page(items=page, next_cursor=encode_cursor([rows[limit - 1].seq]) if len(rows) > limit else None)


@router.get("/v1/alerts/{alert_id}", response_model=s.AlertOut, tags=["alerts"], summary="One alert")
async def get_alert(alert_id: str, session: SessionDep, principal: Reader) -> s.AlertOut:
    return s.AlertOut.model_validate(await alerts.get_visible(session, principal, alert_id))


@router.post(
    "/v1/alerts/{alert_id}/dismissal",
    response_model=s.AlertOut,
    tags=["alerts"],
    summary="Dismiss an open alert as a false positive, with a reason (competent office; audited)",
)
async def dismiss_alert(
    alert_id: str, body: s.DismissIn, session: SessionDep, principal: Office, rt: RuntimeDep
) -> s.AlertOut:
    row = await alerts.dismiss(session, principal, alert_id, reason=body.reason, at=rt.clock.now())
    return s.AlertOut.model_validate(row)


# ---------------------------------------------------------------------------------------------- sweeps


@router.post(
    "/v1/sweeps",
    response_model=s.SweepOut,
    tags=["rules"],
    summary="Run the time-based rules now, for today or any as_of day",
)
async def run_sweep(body: s.SweepIn, session: SessionDep, principal: Reader, rt: RuntimeDep) -> s.SweepOut:
    if "monitor:write" not in principal.scopes and not principal.has_role("office_admin"):
        raise DomainError(
            ErrorKind.FORBIDDEN, "sweep-forbidden", "Running sweeps needs monitor:write or an office admin."
        )
    as_of = body.as_of or rt.clock.today()
    result = await sweeps.run(session, as_of=as_of, now=rt.clock.now())
    return s.SweepOut(
        as_of=result.as_of,
        raised=dict(result.raised),
        escalated=dict(result.escalated),
        resolved=dict(result.resolved),
    )


@router.get(
    "/v1/settings/{region_code}",
    response_model=s.EffectiveSettingsOut,
    tags=["rules"],
    summary="Thresholds that apply in a region (tightest along the chain) and ignored loosenings",
)
async def effective_settings(
    region_code: str, session: SessionDep, principal: Reader
) -> s.EffectiveSettingsOut:
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise DomainError(ErrorKind.UNPROCESSABLE, "invalid-region-code", "A region code is six digits.")
    if not principal.can_see_region(region_code):
        raise not_found("region", region_code)
    eff = effective(region_code, await region_sections(session))
    return s.EffectiveSettingsOut(
        region_code=region_code, settings=eff.settings.model_dump(), set_by=eff.set_by, ignored=eff.ignored
    )


# -------------------------------------------------------------------------------------------- hot words


def _region_visible(principal: Principal, region_code: str) -> None:
    if not principal.can_see_region(region_code):
        raise not_found("region", region_code)


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
    _region_visible(principal, region_code)
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
    _region_visible(principal, region_code)
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
    if "monitor:write" not in principal.scopes and not principal.has_role("office_admin"):
        raise DomainError(
            ErrorKind.FORBIDDEN, "extract-forbidden", "Mining needs monitor:write or an office admin."
        )
    if body.region_code:
        _region_visible(principal, body.region_code)
    result = await hotwords.mine_day(
        session, body.day or rt.clock.today(), only_region=body.region_code, now=rt.clock.now()
    )
    return {code: len(terms) for code, terms in result.items()}
