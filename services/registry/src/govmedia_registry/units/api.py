"""HTTP routes of units."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from govmedia_common.app import SessionDep
from govmedia_common.idempotency import idempotent_create
from govmedia_common.pagination import Page, decode_cursor
from govmedia_registry.deps import Admin, Cursor, IdempotencyKey, Limit, Reader, page
from govmedia_registry.units import repository as repo
from govmedia_registry.units import service
from govmedia_registry.units.schemas import UnitIn, UnitOut

router = APIRouter()


@router.post(
    "/v1/units",
    status_code=201,
    response_model=UnitOut,
    tags=["units"],
    summary="Register a host unit or competent office (office admin)",
)
async def create_unit(
    body: UnitIn, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None
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
        )
        return UnitOut.model_validate(unit).model_dump(mode="json"), {}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="units",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get("/v1/units", response_model=Page[UnitOut], tags=["units"])
async def list_units(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_units(session, principal, limit=limit, cursor=decode_cursor(cursor, str))
    return page([UnitOut.model_validate(u) for u in rows], limit, lambda u: u.id)


@router.get("/v1/units/{unit_id}", response_model=UnitOut, tags=["units"])
async def get_unit(unit_id: str, session: SessionDep, principal: Reader) -> UnitOut:
    return UnitOut.model_validate(await service.visible_unit(session, principal, unit_id))
