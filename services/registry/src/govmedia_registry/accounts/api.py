"""HTTP routes of accounts: list, read, edit without a filing, stop-update notice, certification, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.events import AccountStatus, Platform
from govmedia_common.pagination import Page, decode_cursor
from govmedia_registry.accounts import repository as repo
from govmedia_registry.accounts import service
from govmedia_registry.accounts.schemas import (
    AccountOut,
    AccountPatch,
    CertificationIn,
    HistoryOut,
    NameCheckIn,
    NameCheckOut,
    NamingViolationOut,
    StopNoticeIn,
)
from govmedia_registry.deps import Certifier, Cursor, Filer, IfMatch, Limit, Reader, RegionQuery, page
from govmedia_registry.units.service import visible_unit

router = APIRouter()


@router.get(
    "/v1/accounts",
    description=(
        "Order: by id (ascending; ids are random, so an account filed during a walk lands anywhere in it), "
        "none that existed when the walk began is missed or repeated."
    ),
    response_model=Page[AccountOut],
    tags=["accounts"],
)
async def list_accounts(
    session: SessionDep,
    principal: Reader,
    platform: Platform | None = None,
    status: AccountStatus | None = None,
    region: RegionQuery = None,
    unit_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_accounts(
        session,
        principal,
        limit=limit,
        cursor=decode_cursor(cursor, str, of="/v1/accounts"),
        platform=platform,
        status=status,
        region=region,
        unit_id=unit_id,
    )
    return page([AccountOut.model_validate(a) for a in rows], limit, lambda a: a.id, of="/v1/accounts")


@router.post(
    "/v1/naming-checks",
    response_model=NameCheckOut,
    tags=["accounts"],
    summary="Dry-run the naming rules (R1–R6) on a proposed name: every rule it breaks, and why",
    description="Answers exactly as filing an opening (or a rename) with this name would: such a filing "
    "is refused with the first violation's code and lists all of them. Nothing is recorded.",
)
async def check_name(body: NameCheckIn, session: SessionDep, principal: Reader) -> NameCheckOut:
    unit = await visible_unit(session, principal, body.unit_id)
    if body.account_id is not None:
        await service.visible_account(session, principal, body.account_id)
    violations = await service.naming_violations(
        session, name=body.name, unit=unit, platform=body.platform, renaming_account_id=body.account_id
    )
    return NameCheckOut(
        name=body.name,
        compliant=not violations,
        violations=[NamingViolationOut(**service.violation_doc(v)) for v in violations],
    )


@router.get("/v1/accounts/{account_id}", response_model=AccountOut, tags=["accounts"])
async def get_account(
    account_id: str, session: SessionDep, principal: Reader, response: Response
) -> AccountOut:
    account = await service.visible_account(session, principal, account_id)
    response.headers["ETag"] = etag(account.version)
    return AccountOut.model_validate(account)


@router.patch(
    "/v1/accounts/{account_id}",
    response_model=AccountOut,
    tags=["accounts"],
    summary="Edit details that need no filing (If-Match required)",
)
async def patch_account(
    account_id: str,
    body: AccountPatch,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    changes = body.model_dump(mode="json", exclude_unset=True)
    account = await service.patch_account(session, principal, account, changes, rt.clock)
    response.headers["ETag"] = etag(account.version)
    return AccountOut.model_validate(account)


@router.post(
    "/v1/accounts/{account_id}/stop-update-notice",
    response_model=AccountOut,
    tags=["accounts"],
    summary="Record the stop-update notice (停更公告) required before deregistration",
)
async def stop_notice(
    account_id: str,
    body: StopNoticeIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    if_match: IfMatch = None,
) -> AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    notice = body.model_dump(mode="json")
    return AccountOut.model_validate(
        await service.record_stop_notice(session, principal, account, notice, rt.clock)
    )


@router.post(
    "/v1/accounts/{account_id}/certification",
    response_model=AccountOut,
    tags=["accounts"],
    summary="Record platform certification; issues the matrix badge (矩阵标识)",
)
async def certification(
    account_id: str,
    body: CertificationIn,
    session: SessionDep,
    principal: Certifier,
    rt: RuntimeDep,
    if_match: IfMatch = None,
) -> AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    account = await service.certify(
        session,
        principal,
        account,
        certified=body.certified,
        platform_certificate=body.platform_certificate,
        clock=rt.clock,
    )
    return AccountOut.model_validate(account)


@router.get(
    "/v1/accounts/{account_id}/history",
    description="Order: oldest change first, by the history entry's id (a sequence number, unique).",
    response_model=Page[HistoryOut],
    tags=["accounts"],
)
async def account_history(
    account_id: str, session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    await service.visible_account(session, principal, account_id)
    history = f"/v1/accounts/{account_id}/history"  # another account's cursor is no place in this list
    rows = await repo.history_of(
        session, account_id, limit=limit, cursor=decode_cursor(cursor, int, of=history)
    )
    result = page(rows, limit, lambda h: h.id, of=history)
    result["items"] = [HistoryOut.model_validate(h) for h in rows]
    return result
