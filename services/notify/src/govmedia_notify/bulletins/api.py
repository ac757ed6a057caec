"""Bulletins HTTP API: publish a region's bulletin for a period; read it as data, HTML or PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.events.scoring import PeriodKind
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.json_values import JsonDate
from govmedia_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from govmedia_notify.bulletins import service

router = APIRouter(tags=["bulletins"])

Reader = Annotated[Principal, Depends(Authorize("notify:read"))]
Office = Annotated[Principal, Depends(Authorize("notify:write", roles=("office_staff", "office_admin")))]
Id = Annotated[str, Path(max_length=64)]


class BulletinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(pattern=r"^[0-9]{6}$")
    period_kind: PeriodKind = Field(description="week, month or quarter")
    period_start: JsonDate = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))


class BulletinOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    region_code: str
    period_kind: str
    period_start: date
    period_end: date
    title: str
    content: dict[str, Any]
    published_by: str
    published_at: datetime


@router.post(
    "/v1/bulletins", response_model=BulletinOut, status_code=201, summary="Publish a bulletin (通报)"
)
async def publish(
    body: BulletinIn, session: SessionDep, principal: Office, rt: RuntimeDep, key: IdempotencyKey = None
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        row = await service.publish(
            session, principal, body.region_code, body.period_kind, body.period_start, now=rt.clock.now()
        )
        return BulletinOut.model_validate(row).model_dump(mode="json"), {
            "Location": f"/v1/bulletins/{row.id}"
        }

    # A retry with the key (after a timeout) gets the first 201, not 409 bulletin-exists.
    return await idempotent_create(
        session, principal=principal.subject, key=key, route="POST /v1/bulletins", payload=body, make=make
    )


@router.get(
    "/v1/bulletins",
    response_model=list[BulletinOut],
    summary="Bulletins of your region",
    description="Order: newest period first (period_start), then by id; when more follow, the answer's "
    '`Link: <…>; rel="next"` header names the next page (a walk while bulletins are published sees '
    "each bulletin that existed when it began once).",
)
async def list_bulletins(
    session: SessionDep,
    principal: Reader,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description='From the `Link: <…>; rel="next"` header of the previous page.'),
    ] = None,
) -> list[BulletinOut]:
    rows = await service.list_bulletins(session, principal, limit + 1, after=_after(cursor))
    if len(rows) > limit:  # more follow: the answer stays a list, the next page is named in a Link header
        last = rows[limit - 1]
        following = request.url.include_query_params(
            cursor=encode_cursor([last.period_start.isoformat(), last.id], of="/v1/bulletins")
        )
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return [BulletinOut.model_validate(r) for r in rows[:limit]]


def _after(cursor: str | None) -> tuple[date, str] | None:
    """(period_start, id) of the last bulletin seen; any other cursor is the 422 naming it."""
    values = decode_cursor(cursor, str, str, of="/v1/bulletins")
    if values is None:
        return None
    try:
        return date.fromisoformat(values[0]), values[1]
    except ValueError:
        raise invalid_cursor() from None


@router.get("/v1/bulletins/{bulletin_id}", response_model=BulletinOut, summary="A bulletin as data")
async def get_bulletin(bulletin_id: Id, session: SessionDep, principal: Reader) -> BulletinOut:
    return BulletinOut.model_validate(await service.get(session, principal, bulletin_id))


@router.get("/v1/bulletins/{bulletin_id}/html", response_class=HTMLResponse, summary="A bulletin as HTML")
async def get_html(bulletin_id: Id, session: SessionDep, principal: Reader) -> HTMLResponse:
    return HTMLResponse((await service.get(session, principal, bulletin_id)).html)


@router.get("/v1/bulletins/{bulletin_id}/pdf", summary="A bulletin as printable PDF")
async def get_pdf(bulletin_id: Id, session: SessionDep, principal: Reader) -> Response:
    row = await service.get(session, principal, bulletin_id)
    return Response(
        row.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="bulletin-{row.region_code}-{row.period_start}.pdf"'
        },
    )
