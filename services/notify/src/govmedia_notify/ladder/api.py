"""Interviews HTTP API: the ladder's interviews and recording that one took place."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.json_values import JsonDateTime
from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.scoping import can_see, sees_only_own_unit
from govmedia_notify.cursors import cursor_instant
from govmedia_notify.ladder import repository as repo
from govmedia_notify.ladder import service

router = APIRouter(tags=["interviews"])

Reader = Annotated[Principal, Depends(Authorize("notify:read"))]
Office = Annotated[Principal, Depends(Authorize("notify:write", roles=("office_staff", "office_admin")))]


class InterviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    unit_id: str
    region_code: str
    case_id: str
    account_id: str
    year: int
    violation_count: int
    ladder_step: int
    interviewee_role: str
    interviewee_name: str | None
    interviewer_role: str
    scheduled_for: datetime
    held_at: datetime | None
    held_notes: str | None
    recorded_by: str | None
    cancelled_at: datetime | None = Field(
        None, description="When it was withdrawn: a false alarm took the count back below its step."
    )
    cancel_reason: str | None = None


class HeldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_at: JsonDateTime
    notes: str = Field("", max_length=10_000, description="Minutes of the interview (约谈记录).")


@router.get(
    "/v1/interviews",
    description=(
        "Order: in scheduling order (created_at, violation count), then by id; none that existed when a walk"
        " began is missed or repeated."
    ),
    response_model=list[InterviewOut],
    summary="Interviews scheduled by the 二四六 ladder",
)
async def interviews(
    session: SessionDep,
    principal: Reader,
    request: Request,
    response: Response,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description='From the `Link: <…>; rel="next"` header of the previous page.'),
    ] = None,
) -> list[InterviewOut]:
    if sees_only_own_unit(principal):
        unit_id = principal.unit_id
    rows = await repo.list_interviews(
        session,
        prefix=principal.region_prefix,
        unit_id=unit_id,
        year=year,
        limit=limit + 1,
        after=_after(cursor),
    )
    if len(rows) > limit:  # more follow: the answer stays a list, the next page is named in a Link header
        last = rows[limit - 1]
        after = encode_cursor(
            [last.created_at.isoformat(), last.violation_count, last.id], of="/v1/interviews"
        )
        following = request.url.include_query_params(cursor=after)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return [
        InterviewOut.model_validate(r) for r in rows[:limit] if can_see(principal, r.region_code, r.unit_id)
    ]


def _after(cursor: str | None) -> tuple[datetime, int, str] | None:
    """(created_at, violation_count, id) of the last interview seen; any other cursor is a 422."""
    values = decode_cursor(cursor, str, int, str, of="/v1/interviews")
    if values is None:
        return None
    return cursor_instant(values[0]), values[1], values[2]


@router.post(
    "/v1/interviews/{interview_id}/held",
    response_model=InterviewOut,
    summary="Record that an interview took place",
)
async def held(
    interview_id: Annotated[str, Path(max_length=64)],
    body: HeldIn,
    session: SessionDep,
    principal: Office,
    rt: RuntimeDep,
) -> InterviewOut:
    now = rt.clock.now()
    if (now - body.held_at).days > 366:
        raise DomainError(ErrorKind.UNPROCESSABLE, "held-too-long-ago", "held_at lies more than a year back.")
    row = await service.record_held(
        session, principal, interview_id, held_at=body.held_at, notes=body.notes, now=now
    )
    return InterviewOut.model_validate(row)
