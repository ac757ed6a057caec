"""Cases HTTP API: list and read cases, upload attachments, submit and decide reports, run the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal, region_prefix
from govmedia_common.concurrency import etag
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.scoping import can_see, known_region, sees_only_own_unit
from govmedia_common.workdays import WorkCalendar
from govmedia_notify.cases import repository as repo
from govmedia_notify.cases import schemas as s
from govmedia_notify.cases import service
from govmedia_notify.cases.domain import CaseState, local
from govmedia_notify.cursors import cursor_instant
from govmedia_notify.settings import NotifySettings
from govmedia_notify.sweep import sweep

router = APIRouter(tags=["cases"])

Reader = Annotated[Principal, Depends(Authorize("notify:read"))]
Writer = Annotated[Principal, Depends(Authorize("notify:write"))]
Admin = Annotated[Principal, Depends(Authorize("notify:write", roles=("office_admin",)))]
CaseId = Annotated[str, Path(max_length=64)]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description="ETag of the case version you decided on"),
]


def _settings(rt: RuntimeDep) -> NotifySettings:
    settings = rt.settings
    assert isinstance(settings, NotifySettings)
    return settings


@router.get(
    "/v1/cases",
    description=(
        "Order: newest opened first (opened_at), then by id, descending; cases opened during a walk come "
        "before its first page, none that existed is missed or repeated."
    ),
    response_model=s.CasePage,
    summary="Cases in your region (your unit's, for unit staff)",
)
async def list_cases(
    session: SessionDep,
    principal: Reader,
    rt: RuntimeDep,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    state: CaseState | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.CasePage:
    prefix = principal.region_prefix
    if region_code:
        await known_region(session, principal, region_code)  # 404 elsewhere, or named by no event
        prefix = region_prefix(region_code)
    if sees_only_own_unit(principal):
        unit_id = principal.unit_id
    after = decode_cursor(cursor, str, str, of="/v1/cases")  # (opened_at, id) of the last case seen
    key = (cursor_instant(after[0]), str(after[1])) if after else None
    rows = await repo.list_cases(
        session,
        prefix=prefix,
        unit_id=unit_id,
        account_id=account_id,
        state=state.value if state else None,
        overdue_on=local(rt.clock.now()).date() if overdue else None,
        after=key,
        limit=limit + 1,
    )
    items = [s.CaseOut.model_validate(r) for r in rows[:limit]]
    more = len(rows) > limit
    return s.CasePage(
        items=items,
        next_cursor=encode_cursor([items[-1].opened_at.isoformat(), items[-1].id], of="/v1/cases")
        if more
        else None,
    )


@router.get("/v1/cases/{case_id}", response_model=s.CaseDetailOut, summary="One case with its reports")
async def get_case(
    case_id: CaseId, session: SessionDep, principal: Reader, response: Response
) -> s.CaseDetailOut:
    case = await service.get_case(session, principal, case_id)
    response.headers["ETag"] = etag(case.version)
    return s.CaseDetailOut.model_validate(case)


def _version(if_match: str | None) -> frozenset[int] | None:
    """The case versions an If-Match names (optional on decisions: the state machine refuses a double one).

    A list holds when any of its ETags is the current one (RFC 9110 13.1.1), as the registry's; a tag that
    is not one of ours names no version and so never matches (412 with the current ETag, not a 400).
    """
    if not if_match:
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        return None
    quoted = (tag.removeprefix("W/").strip() for tag in tags)
    return frozenset(
        int(q[1:-1]) for q in quoted if len(q) > 2 and q[0] == q[-1] == '"' and q[1:-1].isdigit()
    )


@router.post(
    "/v1/attachments",
    response_model=s.AttachmentOut,
    status_code=201,
    summary="Upload an attachment (raw body)",
)
async def upload(
    request: Request,
    session: SessionDep,
    principal: Writer,
    rt: RuntimeDep,
    content_type: Annotated[str, Header(alias="Content-Type", max_length=200)] = "",
) -> s.AttachmentOut:
    settings = _settings(rt)
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.attachment_max_bytes:
        raise DomainError(
            ErrorKind.PAYLOAD_TOO_LARGE,
            "attachment-too-large",
            f"The limit is {settings.attachment_max_bytes} bytes.",
        )
    content = await request.body()
    stored = await service.upload_attachment(
        session, content=content, media_type=content_type, settings=settings
    )
    return s.AttachmentOut.model_validate(stored)


@router.get("/v1/attachments/{sha256}", summary="Download an attachment of a report you can see")
async def download(
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], session: SessionDep, principal: Reader
) -> Response:
    blob = await repo.get_attachment(session, sha256)
    cases = await repo.attachment_visible_via(session, sha256)
    if blob is None or not any(can_see(principal, c.region_code, c.unit_id) for c in cases):
        raise not_found("Attachment", sha256)
    # nosniff: a browser shows it as its stored type and never as what its bytes might pass for
    headers = {"ETag": f'"{sha256}"', "X-Content-Type-Options": "nosniff"}
    return Response(blob.content, media_type=blob.media_type, headers=headers)


@router.post(
    "/v1/cases/{case_id}/reports",
    response_model=s.CaseDetailOut,
    status_code=201,
    summary="Submit a rectification report",
)
async def submit_report(
    case_id: CaseId,
    body: s.ReportIn,
    session: SessionDep,
    principal: Writer,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def make() -> tuple[Any, dict[str, str]]:
        case = await service.submit_report(
            session,
            principal,
            case_id,
            text=body.text,
            signed_by=body.signed_by,
            sealed=body.sealed,
            attachments=[service.AttachmentRef(a.sha256, a.filename) for a in body.attachments],
            now=rt.clock.now(),
        )
        # the report lives in its case: Location is the case that now holds it
        return s.CaseDetailOut.model_validate(case).model_dump(mode="json"), {
            "Location": f"/v1/cases/{case_id}"
        }

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route=f"cases/{case_id}/reports",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.post(
    "/v1/cases/{case_id}/reports/{report_id}/acceptance",
    response_model=s.CaseDetailOut,
    summary="Accept a report",
)
async def accept(
    case_id: CaseId,
    report_id: CaseId,
    session: SessionDep,
    principal: Writer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.CaseDetailOut:
    case = await service.accept_report(
        session, principal, case_id, report_id, now=rt.clock.now(), expected_versions=_version(if_match)
    )
    response.headers["ETag"] = etag(case.version)
    return s.CaseDetailOut.model_validate(case)


@router.post(
    "/v1/cases/{case_id}/reports/{report_id}/return",
    response_model=s.CaseDetailOut,
    summary="Return a report with a reason",
)
async def return_report(
    case_id: CaseId,
    report_id: CaseId,
    body: s.ReturnIn,
    session: SessionDep,
    principal: Writer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.CaseDetailOut:
    case = await service.return_report(
        session,
        principal,
        case_id,
        report_id,
        reason=body.reason,
        now=rt.clock.now(),
        calendar=rt.component(WorkCalendar),
        expected_versions=_version(if_match),
    )
    response.headers["ETag"] = etag(case.version)
    return s.CaseDetailOut.model_validate(case)


@router.post(
    "/v1/sweeps",
    response_model=s.SweepOut,
    tags=["operations"],
    summary="Run the time-driven sweep now or as of an instant",
)
async def run_sweep(body: s.SweepIn, principal: Admin, rt: RuntimeDep) -> s.SweepOut:
    now = rt.clock.now()
    as_of = body.as_of or now
    if abs(as_of - now) > timedelta(days=366):
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "as-of-out-of-range", "as_of must lie within a year of now."
        )
    if as_of > now and rt.settings.environment == "production":
        # Catching up is safe; running ahead would send tomorrow's reminders and escalations today.
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "as-of-in-future", "In production a sweep cannot run ahead of now."
        )
    retention = rt.settings.delivery_retention_days if isinstance(rt.settings, NotifySettings) else 30
    # The caller's subtree only: a county admin's sweep acts on, and counts, its own cases and offices; the
    # purge of delivered rows (of every region) is the province's.
    within = principal.region_prefix
    result = await sweep(
        rt.sessions, as_of, delivery_retention_days=retention, within=within, purge=len(within) == 2
    )
    return s.SweepOut.model_validate(result)
