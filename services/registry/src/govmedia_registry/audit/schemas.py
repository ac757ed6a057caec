"""Response models of reports and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from govmedia_registry.schemas import Out


class AuditOut(Out):
    id: int
    at: datetime
    actor_id: str | None
    actor_kind: str | None
    actor_region: str | None
    action: str
    target: str | None
    outcome: str
    status_code: int | None
    client_address: str | None
    trace_id: str | None
    detail: dict[str, Any] | None
