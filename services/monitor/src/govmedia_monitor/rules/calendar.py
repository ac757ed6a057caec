"""The official working-day calendar as a table, so message deadlines are counted in SQL over all messages.

``workdays.ordinal`` is the number of working days from the first stored day up to and including ``day``;
the working days in ``(a, b]`` are ``ordinal(b) - ordinal(a)``, the convention of
:class:`govmedia_common.workdays.WorkCalendar`. Years come from the maintained package at startup and from
the registry's ``WorkCalendarLoaded`` events; a day outside the stored years fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.workdays import WorkCalendar
from govmedia_monitor.models import CalendarLoad, Workday

_RENUMBER = text(
    """
    UPDATE workdays w SET ordinal = s.o
    FROM (SELECT day, sum(CASE WHEN is_workday THEN 1 ELSE 0 END) OVER (ORDER BY day) AS o FROM workdays) s
    WHERE w.day = s.day AND w.ordinal IS DISTINCT FROM s.o
    """
)


# One store of a year at a time: each renumbers every stored day from what it sees, so a store beside an
# uncommitted one numbered its days without the other's changes (365 days of 2027 one off when 2026 was
# corrected at the same moment: two replicas' consumers, or a replica storing the package's years).
_STORE_LOCK = 0x6D6F6E63616C  # "moncal"


async def store_year(session: AsyncSession, year: int, is_workday: Callable[[date], bool]) -> None:
    """Store (or replace) every day of ``year`` and renumber the working days (one store at a time)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _STORE_LOCK})
    day, end = date(year, 1, 1), date(year, 12, 31)
    rows = []
    while day <= end:
        rows.append({"day": day, "is_workday": is_workday(day), "ordinal": 0})
        day += timedelta(days=1)
    stmt = insert(Workday).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["day"], set_={"is_workday": stmt.excluded.is_workday})
    )
    await session.execute(_RENUMBER)


async def load_package_years(session: AsyncSession) -> list[int]:
    """Store the years the installed calendar package covers that the table lacks; the years added."""
    known = {
        int(y)
        for y in (await session.execute(select(func.distinct(func.extract("year", Workday.day))))).scalars()
    }
    cal = WorkCalendar()
    added = [y for y in cal.package_years if y not in known]
    for year in added:
        await store_year(session, year, cal.is_workday)
    return added


async def store_loaded_year(
    session: AsyncSession, year: int, holidays: set[date], workdays: set[date], *, loaded_at: datetime
) -> bool:
    """Store a schedule an administrator loaded (the registry's ``WorkCalendarLoaded``) unless a later load
    of the year is stored already (this one read late: a replay, a republish); True when stored."""
    stmt = insert(CalendarLoad).values(year=year, loaded_at=loaded_at)
    newer = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["year"],
            set_={"loaded_at": stmt.excluded.loaded_at},
            where=CalendarLoad.loaded_at <= stmt.excluded.loaded_at,
        ).returning(CalendarLoad.year)
    )
    if newer.first() is None:
        return False
    cal = WorkCalendar(use_package=False)
    cal.load_year(year, holidays, workdays)
    await store_year(session, year, cal.is_workday)
    return True


async def require_covered(session: AsyncSession, *days: date) -> None:
    """Refuse to count working days on a day whose year's schedule is not stored."""
    found = set((await session.execute(select(Workday.day).where(Workday.day.in_(days)))).scalars())
    missing = sorted(d for d in days if d not in found)
    if missing:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "calendar-year-unknown",
            f"No official working-day schedule is loaded for {missing[0].year}; load it in the registry "
            "(PUT /v1/calendar/{year}) before counting working days in that year.",
        )
