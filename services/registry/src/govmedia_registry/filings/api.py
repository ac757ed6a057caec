"""HTTP routes of filings: file, list, read, decide, resubmit, withdraw; applying due filings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from govmedia_common import audit
from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.idempotency import idempotent_create
from govmedia_common.pagination import Page, decode_cursor
from govmedia_common.scoping import require_province
from govmedia_registry.deps import (
    Admin,
    Approver,
    Cursor,
    Filer,
    IdempotencyKey,
    IfMatch,
    Limit,
    Reader,
    page,
)
from govmedia_registry.filings import effects, service
from govmedia_registry.filings import repository as repo
from govmedia_registry.filings.domain import FilingStatus
from govmedia_registry.filings.mapping import filing_from_rows
from govmedia_registry.filings.schemas import DecisionIn, FilingIn, FilingOut, ResubmitIn
from govmedia_registry.regions.service import registry_rules

router = APIRouter()


@router.post(
    "/v1/filings",
    status_code=201,
    response_model=FilingOut,
    tags=["filings"],
    summary="File an opening, change, merge, suspension or deregistration (备案)",
)
async def create_filing(
    body: FilingIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        flow = await service.submit_filing(session, principal, body, rt.clock)
        out = FilingOut.model_validate(flow).model_dump(mode="json")
        return out, {"ETag": etag(flow.version), "Location": f"/v1/filings/{flow.filing_id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="filings",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get(
    "/v1/filings",
    description=(
        "Order: by id (ascending; ids are random, so a filing made during a walk lands anywhere in it), none"
        " that existed when the walk began is missed or repeated."
    ),
    response_model=Page[FilingOut],
    tags=["filings"],
)
async def list_filings(
    session: SessionDep,
    principal: Reader,
    status: FilingStatus | None = None,
    account_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_filings(
        session,
        principal,
        limit=limit,
        cursor=decode_cursor(cursor, str, of="/v1/filings"),
        status=status,
        account_id=account_id,
    )
    items = [
        FilingOut.model_validate(
            filing_from_rows(
                r, await repo.decisions_of(session, r.id), await registry_rules(session, r.region_code)
            )
        )
        for r in rows
    ]
    return page(items, limit, lambda f: f.id, of="/v1/filings")


@router.get("/v1/filings/{filing_id}", response_model=FilingOut, tags=["filings"])
async def get_filing(filing_id: str, session: SessionDep, principal: Reader, response: Response) -> FilingOut:
    flow = await service.visible_filing(session, principal, filing_id)
    response.headers["ETag"] = etag(flow.version)
    return FilingOut.model_validate(flow)


@router.post(
    "/v1/filings/{filing_id}/decisions",
    response_model=FilingOut,
    tags=["filings"],
    summary="Approve, return for amendment, or reject at the level the filing waits at",
)
async def decide(
    filing_id: str,
    body: DecisionIn,
    session: SessionDep,
    principal: Approver,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> FilingOut:
    flow = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, flow.version)
    flow = await service.decide(session, principal, flow, body.decision, body.reason, rt.clock)
    response.headers["ETag"] = etag(flow.version)
    return FilingOut.model_validate(flow)


@router.post(
    "/v1/filings/{filing_id}/resubmit",
    response_model=FilingOut,
    tags=["filings"],
    summary="Send a returned filing again after amendment",
)
async def resubmit(
    filing_id: str,
    body: ResubmitIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> FilingOut:
    flow = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, flow.version)
    flow = await service.resubmit(session, principal, flow, body.changes, body.event_date, rt.clock)
    response.headers["ETag"] = etag(flow.version)
    return FilingOut.model_validate(flow)


@router.post("/v1/filings/{filing_id}/withdraw", response_model=FilingOut, tags=["filings"])
async def withdraw(
    filing_id: str, session: SessionDep, principal: Filer, rt: RuntimeDep, if_match: IfMatch = None
) -> FilingOut:
    flow = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, flow.version)
    return FilingOut.model_validate(await service.withdraw(session, principal, flow, rt.clock))


@router.post(
    "/v1/admin/apply-due",
    tags=["operations"],
    summary="Apply approved filings whose announcement has ended (runs every minute anyway)",
)
async def apply_due(session: SessionDep, principal: Admin, rt: RuntimeDep) -> dict[str, int]:
    # Every region's due filings at once, and their count: the province's (a county's would disclose others').
    require_province(principal, "POST /v1/admin/apply-due")
    count = await effects.apply_due(session, rt.clock)
    await audit.record(session, principal=principal, action="admin.apply_due", detail={"applied": count})
    return {"applied": count}
