"""What every monitor route shares: who may call it, paging, region visibility."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from govmedia_common.app import Authorize
from govmedia_common.auth import Principal
from govmedia_common.pagination import decode_cursor, invalid_cursor

Ingester = Annotated[Principal, Depends(Authorize("monitor:ingest"))]
Reader = Annotated[
    Principal, Depends(Authorize(any_scope=("monitor:read", "monitor:write", "monitor:ingest")))
]
Office = Annotated[Principal, Depends(Authorize("monitor:read", roles=("office_staff", "office_admin")))]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=200, description="Opaque cursor from next_cursor")]


def after_seq(cursor: str | None, of: str) -> int | None:
    """The sequence number a cursor of the list ``of`` holds (a forged one, or another list's, is a 422,
    never a database error)."""
    after = decode_cursor(cursor, int, of=of)
    if not after:
        return None
    value = int(after[0])
    if not 0 <= value < 2**63:
        raise invalid_cursor()
    return value


def may_run_jobs(principal: Principal) -> bool:
    """Sweeps and extractions on demand: a machine client with monitor:write, or an office admin."""
    return "monitor:write" in principal.scopes or principal.has_role("office_admin")
