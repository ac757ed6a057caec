"""HTTP route of the append-only audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from govmedia_common.app import SessionDep
from govmedia_common.pagination import Page, decode_cursor, encode_cursor
from govmedia_registry.audit import repository as repo
from govmedia_registry.audit.schemas import AuditOut
from govmedia_registry.deps import Auditor, Cursor, Limit

router = APIRouter()


@router.get(
    "/v1/audit",
    description=(
        "Order: newest first, by the audit entry's id (a sequence number, unique); entries written during a "
        "walk come before its first page."
    ),
    response_model=Page[AuditOut],
    tags=["audit"],
    summary="The append-only audit log of your region (auditors only)",
)
async def list_audit(
    session: SessionDep, principal: Auditor, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_audit(
        session, principal, limit=limit, cursor=decode_cursor(cursor, int, of="/v1/audit")
    )
    items = [AuditOut.model_validate(dict(r._mapping)) for r in rows]
    return {
        "items": items,
        "next_cursor": encode_cursor([rows[-1].id], of="/v1/audit") if len(rows) == limit else None,
    }
