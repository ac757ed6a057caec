"""Dependencies the routers share: who may call, paging, conditional and idempotent writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Query

from govmedia_common.app import Authorize
from govmedia_common.auth import Principal
from govmedia_common.idempotency import IdempotencyKey as IdempotencyKey  # the shared declaration
from govmedia_common.pagination import encode_cursor

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from the previous page's next_cursor")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag of the version you edited")]
RegionQuery = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="Six-digit region code")]

FILERS = ("unit_admin", "office_staff", "office_admin")
Reader = Annotated[Principal, Depends(Authorize("registry:read"))]
Filer = Annotated[Principal, Depends(Authorize("registry:file", roles=FILERS))]
Approver = Annotated[Principal, Depends(Authorize("registry:approve", roles=FILERS))]
Admin = Annotated[Principal, Depends(Authorize("registry:admin", roles=("office_admin",)))]
PeopleAdmin = Annotated[Principal, Depends(Authorize(roles=("office_admin", "unit_admin")))]
Auditor = Annotated[Principal, Depends(Authorize("audit:read", roles=("auditor",)))]
OfficeReader = Annotated[
    Principal, Depends(Authorize("registry:read", roles=("office_staff", "office_admin", "auditor")))
]
# Certification is the competent office's: refuse others before looking at the account or its version.
Certifier = Annotated[
    Principal, Depends(Authorize("registry:approve", roles=("office_staff", "office_admin")))
]


def page(items: Sequence[Any], limit: int, key: Callable[[Any], Any], *, of: str) -> dict[str, Any]:
    """One page: the items and, when the page is full, the cursor after its last item, of the list ``of``
    (its route: decode_cursor(..., of=) refuses it on any other list)."""
    return {
        "items": list(items),
        "next_cursor": encode_cursor([key(items[-1])], of=of) if len(items) == limit else None,
    }
