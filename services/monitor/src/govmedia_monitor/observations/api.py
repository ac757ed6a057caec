"""Observations HTTP API: ingest (single and bulk) and the observed posts of an account with their match."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.app import Runtime, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import IngestChannel
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.json_values import error_message
from govmedia_common.pagination import Page, encode_cursor
from govmedia_common.scoping import ensure_visible
from govmedia_monitor import schemas as s
from govmedia_monitor.access import Cursor, Ingester, Limit, Reader, after_seq
from govmedia_monitor.models import Account
from govmedia_monitor.observations import interactions, metrics
from govmedia_monitor.observations import service as observations
from govmedia_monitor.observations.checking import CheckerCache
from govmedia_monitor.observations.service import ITEM_REFUSED, Report

router = APIRouter()

M = TypeVar("M", bound=BaseModel)
IngestFn = Callable[..., Awaitable[Report]]


def checker(rt: Runtime) -> CheckerCache:
    return rt.component(CheckerCache)


@functools.cache
def _list_of(model: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _parse_bulk(model: type[M], body: s.Bulk) -> list[M]:
    """Every item valid, or a 422 naming each bad item: a bulk request is all or nothing."""
    try:
        # One call validates the whole list (no Python frame per item); its errors say the item's index.
        return _list_of(model).validate_python(body.items)
    except ValidationError as exc:
        errors = [
            {
                "location": ".".join(map(str, ("body.items", *e["loc"]))),
                "index": e["loc"][0],
                "field": ".".join(map(str, e["loc"][1:])),
                "message": error_message(e),
            }
            for e in exc.errors()
        ]
    raise DomainError(
        ErrorKind.UNPROCESSABLE,
        "invalid-items",
        f"{len({e['index'] for e in errors})} of {len(body.items)} items are invalid; nothing was stored.",
        errors=errors[:100],
    )


async def _ingest(
    fn: IngestFn,
    session: AsyncSession,
    principal: Principal,
    rt: Runtime,
    items: Sequence[Any],
    *,
    bulk: bool = False,
    key: str | None = None,
    route: str = "",
    body: BaseModel | None = None,
    **extra: Any,
) -> Response:
    """Ingest ``items`` and answer with the report; with an Idempotency-Key, once per key: a retry of the
    same request (after a timeout) gets the first report (``accepted`` as first counted, not ``duplicates``),
    replayed, and the same key with another body is a 422 (govmedia_common.idempotency, as the registry)."""

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        report = await _report(fn, session, principal, rt, items, bulk=bulk, **extra)
        return report.model_dump(mode="json"), {}

    return await idempotent_create(
        session, principal=principal.subject, key=key, route=route, payload=body, make=make, status=200
    )


async def _report(
    fn: IngestFn,
    session: AsyncSession,
    principal: Principal,
    rt: Runtime,
    items: Sequence[Any],
    *,
    bulk: bool = False,
    **extra: Any,
) -> s.IngestReport:
    report = await fn(
        session,
        items,
        channel=IngestChannel.INGEST_API,
        now=rt.clock.now(),
        may_see=principal.can_see_region,
        **extra,
    )
    if report.rejected and not bulk:
        index, reason = report.rejected[0]
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            report.code(index),
            reason,
            errors=[_refused(report, index, reason, "body")],
        )
    if report.rejected:
        # All or nothing: the transaction rolls back with the error. Every item refused for the same cause
        # with its own problem type (an unknown account) gives the request that type.
        codes = {report.code(i) for i, _ in report.rejected}
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            codes.pop() if len(codes) == 1 and ITEM_REFUSED not in codes else "items-refused",
            f"{len(report.rejected)} of {len(items)} items were refused; nothing was stored. The first, item "
            f"{report.rejected[0][0]}: {report.rejected[0][1]}.",
            errors=[
                {"index": i, **_refused(report, i, r, f"body.items.{i}")} for i, r in report.rejected[:100]
            ],
        )
    return report.out()


def _refused(report: Report, index: int, reason: str, at: str) -> dict[str, Any]:
    """One refused item as an entry of a problem's ``errors``: where (the field when it is about one)."""
    field = report.field_of(index)
    return {
        "location": f"{at}.{field}" if field else at,
        "code": report.code(index),
        "message": reason,
        "type": report.code(index),
    }


# ------------------------------------------------------------------------------------------------ ingest


@router.post(
    "/v1/observed-posts", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one observed post"
)
async def post_observed(
    body: s.ObservedPostIn,
    session: SessionDep,
    principal: Ingester,
    rt: RuntimeDep,
    key: IdempotencyKey = None,
) -> Response:
    return await _ingest(
        observations.ingest_posts,
        session,
        principal,
        rt,
        [body],
        checker=checker(rt),
        key=key,
        route="POST /v1/observed-posts",
        body=body,
    )


@router.post(
    "/v1/observed-posts/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest observed posts"
)
async def post_observed_bulk(
    body: s.PostsBulk, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    items = _parse_bulk(s.ObservedPostIn, body)
    return await _ingest(
        observations.ingest_posts,
        session,
        principal,
        rt,
        items,
        bulk=True,
        checker=checker(rt),
        key=key,
        route="POST /v1/observed-posts/bulk",
        body=body,
    )


@router.post(
    "/v1/metrics", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one metric snapshot"
)
async def post_metrics(
    body: s.MetricSnapshotIn,
    session: SessionDep,
    principal: Ingester,
    rt: RuntimeDep,
    key: IdempotencyKey = None,
) -> Response:
    return await _ingest(
        metrics.ingest_metrics, session, principal, rt, [body], key=key, route="POST /v1/metrics", body=body
    )


@router.post(
    "/v1/metrics/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest metric snapshots"
)
async def post_metrics_bulk(
    body: s.MetricsBulk, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    items = _parse_bulk(s.MetricSnapshotIn, body)
    return await _ingest(
        metrics.ingest_metrics,
        session,
        principal,
        rt,
        items,
        bulk=True,
        key=key,
        route="POST /v1/metrics/bulk",
        body=body,
    )


@router.post(
    "/v1/messages", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one public message"
)
async def post_message(
    body: s.MessageIn, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    return await _ingest(
        interactions.ingest_messages,
        session,
        principal,
        rt,
        [body],
        key=key,
        route="POST /v1/messages",
        body=body,
    )


@router.post(
    "/v1/messages/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest public messages"
)
async def post_messages_bulk(
    body: s.MessagesBulk, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    items = _parse_bulk(s.MessageIn, body)
    return await _ingest(
        interactions.ingest_messages,
        session,
        principal,
        rt,
        items,
        bulk=True,
        key=key,
        route="POST /v1/messages/bulk",
        body=body,
    )


@router.post(
    "/v1/replies", response_model=s.IngestReport, tags=["ingest"], summary="Ingest one answer to a message"
)
async def post_reply(
    body: s.ReplyIn, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    return await _ingest(
        interactions.ingest_replies,
        session,
        principal,
        rt,
        [body],
        key=key,
        route="POST /v1/replies",
        body=body,
    )


@router.post("/v1/replies/bulk", response_model=s.IngestReport, tags=["ingest"], summary="Ingest answers")
async def post_replies_bulk(
    body: s.RepliesBulk, session: SessionDep, principal: Ingester, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    items = _parse_bulk(s.ReplyIn, body)
    return await _ingest(
        interactions.ingest_replies,
        session,
        principal,
        rt,
        items,
        bulk=True,
        key=key,
        route="POST /v1/replies/bulk",
        body=body,
    )


@router.post(
    "/v1/interaction", response_model=s.IngestReport, tags=["ingest"], summary="Interaction seen on or off"
)
async def post_interaction(
    body: s.InteractionIn,
    session: SessionDep,
    principal: Ingester,
    rt: RuntimeDep,
    key: IdempotencyKey = None,
) -> Response:
    return await _ingest(
        interactions.ingest_interaction,
        session,
        principal,
        rt,
        [body],
        key=key,
        route="POST /v1/interaction",
        body=body,
    )


# ---------------------------------------------------------------------------------------------- reading


async def _visible_account(session: AsyncSession, principal: Principal, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise not_found("account", account_id)
    ensure_visible(principal, account.region_code, account.unit_id, "account", account_id)
    return account


@router.get(
    "/v1/accounts/{account_id}",
    response_model=s.AccountOut,
    tags=["observations"],
    summary="The monitor's view of an account (status from the registry, last observed post)",
)
async def get_account(account_id: str, session: SessionDep, principal: Reader) -> s.AccountOut:
    account = await _visible_account(session, principal, account_id)
    out = s.AccountOut.model_validate(account)
    out.last_post_at = await observations.last_post_at(session, account_id)
    return out


@router.get(
    "/v1/accounts/{account_id}/observed-posts",
    description=(
        "Order: newest recorded first, by the monitor's sequence number of the observation (unique); "
        "observations recorded during a walk come before its first page and are not in it, none that existed"
        " is missed or repeated."
    ),
    response_model=Page[s.ObservationOut],
    tags=["observations"],
    summary="Observed posts of an account with their match and score",
)
async def list_observed(
    account_id: str, session: SessionDep, principal: Reader, limit: Limit = 50, cursor: Cursor = None
) -> Page[s.ObservationOut]:
    await _visible_account(session, principal, account_id)
    of = f"/v1/accounts/{account_id}/observed-posts"  # another account's cursor is no place in this list
    rows = await observations.observations_of(
        session, account_id, limit=limit + 1, before_seq=after_seq(cursor, of)
    )
    page = [s.ObservationOut.model_validate(r) for r in rows[:limit]]
    return Page(
        items=page, next_cursor=encode_cursor([rows[limit - 1].seq], of=of) if len(rows) > limit else None
    )
