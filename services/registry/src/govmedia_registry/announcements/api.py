"""Public, unauthenticated routes: the announcements (公示) of a region, as JSON pages and as an Atom feed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.pagination import Page, decode_cursor, encode_cursor, invalid_cursor
from govmedia_registry.announcements import service
from govmedia_registry.announcements.schemas import AnnouncementOut
from govmedia_registry.deps import Cursor, Limit

router = APIRouter()

PublicRegion = Annotated[str, Query(pattern=r"^[0-9]{6}$", description="Six-digit region code (and below)")]
ATOM = "application/atom+xml"


def _after(cursor: str | None) -> list[Any] | None:
    """The (ends_on, filing id) of the last item seen; any other cursor is a 422 naming ``cursor``."""
    values = decode_cursor(cursor, str, str, of="/v1/public/announcements")
    if values is None:
        return None
    try:
        return [date.fromisoformat(values[0]), values[1]]
    except ValueError:
        raise invalid_cursor() from None


def _cursor(items: list[AnnouncementOut], limit: int) -> str | None:
    if len(items) < limit:
        return None
    return encode_cursor([items[-1].ends_on.isoformat(), items[-1].filing_id], of="/v1/public/announcements")


@router.get(
    "/v1/public/announcements",
    description=(
        "Order: by the day the announcement ends, then by filing id; none that existed when a walk began is "
        "missed or repeated."
    ),
    response_model=Page[AnnouncementOut],
    tags=["public"],
    summary="What is under public announcement (公示) in a region, and until when (no token needed)",
)
async def announcements(
    session: SessionDep, rt: RuntimeDep, region: PublicRegion, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    items = await service.running(
        session, region=region, today=rt.clock.today(), limit=limit, cursor=_after(cursor)
    )
    return {"items": items, "next_cursor": _cursor(items, limit)}


@router.get(
    "/v1/public/announcements.atom",
    tags=["public"],
    summary="The same announcements as an Atom feed (no token needed)",
    response_class=Response,
    responses={200: {"content": {ATOM: {}}, "description": "Atom 1.0 feed"}},
)
async def announcements_atom(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    region: PublicRegion,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries in the feed")] = 100,
) -> Response:
    today = rt.clock.today()
    items = await service.running(session, region=region, today=today, limit=limit, cursor=None)
    body = service.atom(items, region=region, self_url=str(request.url), today=today)
    return Response(body, media_type=ATOM)
