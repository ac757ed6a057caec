"""The official working-day calendar: the package's years plus the years administrators load."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events.outbox import write_recorded
from govmedia_common.workdays import Clock, WorkCalendar, YearSchedule
from govmedia_registry.calendar import repository as repo
from govmedia_registry.calendar.domain import ScheduleLoad
from govmedia_registry.calendar.mapping import schedule_from_row, schedule_to_row
from govmedia_registry.models import WorkCalendarYear


def _unprocessable(code: str, detail: str) -> DomainError:
    return DomainError(ErrorKind.UNPROCESSABLE, code, detail)


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    """The official calendar: the package's years plus every year administrators loaded."""
    calendar = WorkCalendar()
    for row in await repo.calendar_years(session):
        schedule = schedule_from_row(row)
        calendar.load_year(schedule.year, schedule.holidays, schedule.workdays)
    return calendar


async def year_view(session: AsyncSession, year: int) -> tuple[str, list[date], list[date]]:
    """Where a year's schedule comes from (loaded or package), its holidays and its worked weekend days."""
    calendar = await load_calendar(session)
    loaded = calendar.schedule(year)
    if loaded is not None:
        return "loaded", sorted(loaded.holidays), sorted(loaded.workdays)
    if not calendar.covers(year):
        raise DomainError(
            ErrorKind.NOT_FOUND,
            "calendar-year-unknown",
            f"No official schedule for {year} is known. An office admin loads it with "
            f"PUT /v1/calendar/{year} once the State Council publishes it.",
        )
    days = [date(year, 1, 1) + timedelta(n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    return (
        "package",
        [x for x in days if x.weekday() < 5 and not calendar.is_workday(x)],
        [x for x in days if x.weekday() >= 5 and calendar.is_workday(x)],
    )


async def add_workdays(session: AsyncSession, start: date, days: int) -> date:
    calendar = await load_calendar(session)
    try:
        result: date = calendar.add_workdays(start, days)
    except LookupError as exc:
        raise _unprocessable("calendar-year-unknown", str(exc)) from exc
    return result


async def load_calendar_year(
    session: AsyncSession,
    principal: Principal,
    year: int,
    holidays: list[date],
    workdays: list[date],
    source_document: str | None,
    clock: Clock,
) -> WorkCalendarYear:
    """Store a year's official schedule (replacing an earlier load) and announce it."""
    if not principal.region_code.endswith("0000"):
        raise DomainError(
            ErrorKind.FORBIDDEN,
            "insufficient-level",
            "The national holiday schedule is loaded by a province-level office admin.",
        )
    if not 2000 <= year <= 2100:
        raise _unprocessable("invalid-year", "year must be between 2000 and 2100")
    bad = [x for x in (*holidays, *workdays) if x.year != year]
    if bad:
        raise _unprocessable("calendar-date-outside-year", f"{bad[0]} is not in {year}.")
    weekday_workdays = [x for x in workdays if x.weekday() < 5]
    if weekday_workdays:
        raise _unprocessable(
            "calendar-workday-not-weekend",
            f"{weekday_workdays[0]} is a weekday; list only weekend days that are working days.",
        )
    if set(holidays) & set(workdays):
        raise _unprocessable("calendar-day-twice", "A day cannot be both a holiday and a working day.")
    row = await session.get(WorkCalendarYear, year, with_for_update=True)
    load = ScheduleLoad(
        schedule=YearSchedule(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays)),
        region_code=principal.region_code[:2] + "0000",
        loaded_by=principal.subject,
    )
    load.announce(at=clock.now(), source_document=source_document)
    if row is None:
        row = schedule_to_row(load.schedule, principal.subject)
        session.add(row)
    else:
        schedule_to_row(load.schedule, principal.subject, row)
        row.loaded_at = clock.now()
    await write_recorded(session, load)
    await audit.record(
        session,
        principal=principal,
        action="calendar.load",
        target=str(year),
        detail={"holidays": len(holidays), "workdays": len(workdays)},
    )
    return row
