"""Alerts HTTP API: lists scoped to the caller's subtree, one alert, dismissal with a reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.events import AlertClass, AlertRule
from govmedia_common.pagination import Page, encode_cursor
from govmedia_monitor import schemas as s
from govmedia_monitor.access import Cursor, Limit, Office, Reader, after_seq
from govmedia_monitor.alerts import service as alerts

router = APIRouter()


@router.get(
    "/v1/alerts",
    description=(
        "Order: newest raised first, by the alert's sequence number (unique); alerts raised during a walk "
        "come before its first page and are not in it, none that existed is missed or repeated."
    ),
    response_model=Page[s.AlertOut],
    tags=["alerts"],
    summary="Alerts in your region",
)
async def list_alerts(
    session: SessionDep,
    principal: Reader,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    alert_class: AlertClass | None = None,
    rule: AlertRule | None = None,
    state: Annotated[Literal["open", "resolved"] | None, Query(description="Open or resolved alerts")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[s.AlertOut]:
    rows = await alerts.list_alerts(
        session,
        principal,
        region_code=region_code,
        unit_id=unit_id,
        account_id=account_id,
        alert_class=alert_class,
        rule=rule,
        state=state,
        after_seq=after_seq(cursor, "/v1/alerts"),
        limit=limit + 1,
    )
    page = [s.AlertOut.model_validate(r) for r in rows[:limit]]
    return Page(
        items=page,
        next_cursor=encode_cursor([rows[limit - 1].seq], of="/v1/alerts") if len(rows) > limit else None,
    )


@router.get("/v1/alerts/{alert_id}", response_model=s.AlertOut, tags=["alerts"], summary="One alert")
async def get_alert(alert_id: str, session: SessionDep, principal: Reader) -> s.AlertOut:
    return s.AlertOut.model_validate(await alerts.get_visible(session, principal, alert_id))


@router.post(
    "/v1/alerts/{alert_id}/dismissal",
    response_model=s.AlertOut,
    tags=["alerts"],
    summary="Dismiss an open alert as a false positive, with a reason (competent office; audited)",
)
async def dismiss_alert(
    alert_id: str, body: s.DismissIn, session: SessionDep, principal: Office, rt: RuntimeDep
) -> s.AlertOut:
    row = await alerts.dismiss(session, principal, alert_id, reason=body.reason, at=rt.clock.now())
    return s.AlertOut.model_validate(row)
