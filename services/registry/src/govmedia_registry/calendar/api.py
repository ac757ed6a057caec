"""HTTP routes of the official working-day calendar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.inputs import MAX_DATE, MIN_DATE
from govmedia_common.json_values import JsonDate
from govmedia_registry.calendar import service
from govmedia_registry.calendar.schemas import CalendarIn, CalendarOut
from govmedia_registry.deps import Admin, Reader

router = APIRouter()

# A year the platform's dates can hold (1900-2200, as every date it takes): /v1/calendar/99999 used to
# answer 404 asking an admin to load the schedule of the year 99999.
Year = Annotated[int, Path(ge=MIN_DATE.year, le=MAX_DATE.year, description="A year between 1900 and 2200.")]


@router.get(
    "/v1/calendar/{year}",
    response_model=CalendarOut,
    tags=["calendar"],
    summary="The official working-day schedule of a year (节假日安排, 调休)",
)
async def get_calendar(year: Year, session: SessionDep, principal: Reader) -> CalendarOut:
    source, holidays, workdays = await service.year_view(session, year)
    return CalendarOut(year=year, source=source, holidays=holidays, workdays=workdays)


@router.put(
    "/v1/calendar/{year}",
    response_model=CalendarOut,
    tags=["calendar"],
    summary="Load a year's official schedule (office admin at province level)",
)
async def put_calendar(
    year: Year, body: CalendarIn, session: SessionDep, principal: Admin, rt: RuntimeDep
) -> CalendarOut:
    await service.load_calendar_year(
        session, principal, year, body.holidays, body.workdays, body.source_document, rt.clock
    )
    return CalendarOut(
        year=year, source="loaded", holidays=sorted(set(body.holidays)), workdays=sorted(set(body.workdays))
    )


@router.get("/v1/calendar/workdays/add", tags=["calendar"], summary="The n-th working day after a date")
async def add_workdays(
    session: SessionDep, principal: Reader, start: JsonDate, days: Annotated[int, Query(ge=0, le=366)]
) -> dict[str, Any]:
    return {"start": start, "days": days, "result": await service.add_workdays(session, start, days)}
