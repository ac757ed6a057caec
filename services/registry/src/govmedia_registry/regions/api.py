"""HTTP routes of regions and their settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.pagination import Page, decode_cursor
from govmedia_registry.deps import Admin, Cursor, IfMatch, Limit, Reader, page
from govmedia_registry.regions import repository as repo
from govmedia_registry.regions import service
from govmedia_registry.regions.schemas import RegionOut, RegionSettingsIn, RegionSettingsOut

router = APIRouter()

# Six digits, as every region parameter of the platform (422 naming path.code, not 404 for a code that
# cannot be one).
RegionPath = Annotated[str, Path(pattern=r"^[0-9]{6}$", description="Six-digit region code (GB/T 2260)")]


@router.get(
    "/v1/regions",
    description="Order: by code (six digits, unique).",
    response_model=Page[RegionOut],
    tags=["regions"],
    summary="Regions of your subtree (filter by parent)",
)
async def list_regions(
    session: SessionDep,
    principal: Reader,
    parent: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_regions(
        session,
        parent=parent,
        within=principal.region_code,
        limit=limit,
        cursor=decode_cursor(cursor, str, of="/v1/regions"),
    )
    return page([RegionOut.model_validate(r) for r in rows], limit, lambda r: r.code, of="/v1/regions")


@router.get("/v1/regions/{code}/settings", response_model=RegionSettingsOut, tags=["regions"])
async def get_settings(
    code: RegionPath, session: SessionDep, principal: Reader, response: Response
) -> RegionSettingsOut:
    await service.visible_region(session, principal, code)
    view = await service.settings_view(session, code)
    response.headers["ETag"] = etag(view["version"])  # what PUT's If-Match expects
    return RegionSettingsOut(**view)


@router.put(
    "/v1/regions/{code}/settings",
    response_model=RegionSettingsOut,
    tags=["regions"],
    summary="Set a region's rules and thresholds (office admin)",
)
async def put_settings(
    code: RegionPath,
    body: RegionSettingsIn,
    session: SessionDep,
    principal: Admin,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> RegionSettingsOut:
    # Existence and visibility first (never disclose a region's settings outside the subtree), and the row
    # locked while its version is compared, so two writers with the same ETag cannot both pass.
    await service.visible_region(session, principal, code)
    current = await repo.get_settings(session, code, lock=True)
    if current is not None:
        require_if_match(if_match, current.version)
    row = await service.put_settings(session, principal, code, body.settings, rt.clock)
    response.headers["ETag"] = etag(row.version)
    return RegionSettingsOut(**await service.settings_view(session, code))
