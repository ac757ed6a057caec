"""HTTP routes of units."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.idempotency import idempotent_create
from govmedia_common.pagination import Page, decode_cursor
from govmedia_registry.deps import Admin, Cursor, IdempotencyKey, IfMatch, Limit, Reader, page
from govmedia_registry.units import repository as repo
from govmedia_registry.units import service
from govmedia_registry.units.schemas import UnitIn, UnitOut, UnitPatch

CONTACTS = {"principal_name", "deputy_head_name", "liaison_person_id", "contact_email", "contact_phone"}

router = APIRouter()


@router.post(
    "/v1/units",
    status_code=201,
    response_model=UnitOut,
    tags=["units"],
    summary="Register a host unit or competent office (office admin)",
)
async def create_unit(
    body: UnitIn,
    session: SessionDep,
    principal: Admin,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        unit = await service.create_unit(
            session,
            principal,
            name=body.name,
            short_name=body.short_name,
            kind=body.kind,
            region_code=body.region_code,
            duty_keywords=list(body.duty_keywords),
            clock=rt.clock,
            contacts=body.model_dump(include=CONTACTS, exclude_none=True),
        )
        out = UnitOut.model_validate(unit).model_dump(mode="json")
        return out, {"ETag": etag(unit.version), "Location": f"/v1/units/{unit.id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="units",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get(
    "/v1/units",
    description=(
        "Order: by id (ascending; ids are random, so a unit registered during a walk lands anywhere in it), "
        "none that existed when the walk began is missed or repeated."
    ),
    response_model=Page[UnitOut],
    tags=["units"],
)
async def list_units(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_units(
        session, principal, limit=limit, cursor=decode_cursor(cursor, str, of="/v1/units")
    )
    return page([UnitOut.model_validate(u) for u in rows], limit, lambda u: u.id, of="/v1/units")


@router.get("/v1/units/{unit_id}", response_model=UnitOut, tags=["units"])
async def get_unit(unit_id: str, session: SessionDep, principal: Reader, response: Response) -> UnitOut:
    unit = await service.visible_unit(session, principal, unit_id)
    response.headers["ETag"] = etag(unit.version)
    return UnitOut.model_validate(unit)


@router.patch(
    "/v1/units/{unit_id}",
    response_model=UnitOut,
    tags=["units"],
    summary="Edit a unit's name, duties, heads and contacts (office admin; If-Match required)",
)
async def patch_unit(
    unit_id: str,
    body: UnitPatch,
    session: SessionDep,
    principal: Admin,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> UnitOut:
    await service.visible_unit(session, principal, unit_id)
    unit = await service.load_unit(session, unit_id, lock=True)
    assert unit is not None
    require_if_match(if_match, unit.version)
    unit = await service.patch_unit(session, principal, unit, body.model_dump(exclude_unset=True), rt.clock)
    response.headers["ETag"] = etag(unit.version)
    return UnitOut.model_validate(unit)
