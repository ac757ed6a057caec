"""The one mapping between a ``work_calendar_years`` row and a :class:`YearSchedule`."""

from __future__ import annotations

from datetime import date

from govmedia_common.workdays import YearSchedule
from govmedia_registry.models import WorkCalendarYear


def schedule_from_row(row: WorkCalendarYear) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(x) for x in row.holidays),
        workdays=frozenset(date.fromisoformat(x) for x in row.workdays),
    )


def schedule_to_row(
    schedule: YearSchedule, loaded_by: str, row: WorkCalendarYear | None = None
) -> WorkCalendarYear:
    row = row or WorkCalendarYear(year=schedule.year)
    row.holidays = sorted(x.isoformat() for x in schedule.holidays)
    row.workdays = sorted(x.isoformat() for x in schedule.workdays)
    row.loaded_by = loaded_by
    return row
