"""Working days on the official PRC calendar, and the injected clock every time rule reads.

Working days follow the State Council's yearly holiday schedule, including the weekend days that are
swapped into working days (调休). The maintained ``chinesecalendar`` package supplies the years it knows
(2004–2026 in version 1.11); administrators load later years, or corrections, with
:meth:`WorkCalendar.load_year`. A date in a year nobody has supplied raises :class:`UnknownCalendarYear`:
guessing "only weekends are off" would silently move every statutory deadline around a holiday.

Time is injected: rules never call ``datetime.now()``; they take a :class:`Clock` (a :class:`SystemClock` in
production, a :class:`FixedClock` in tests) or the dates derived from one, so every deadline is computed
against the same "now" and in the same time zone (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "Clock",
    "FixedClock",
    "SystemClock",
    "UnknownCalendarYear",
    "WorkCalendar",
    "YearSchedule",
]


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - only on images without tz data
        # China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for any
        # date this platform handles; it spares slim containers a hard dependency on tzdata.
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI: tzinfo = _shanghai()
"""The time zone of every date the platform reasons about (deadlines, "today", periods)."""


class UnknownCalendarYear(LookupError):
    """No official working-day schedule is known for the year of a date."""

    def __init__(self, year: int, covered: Iterable[int] = ()) -> None:
        self.year = year
        years = sorted(covered)
        known = f"{years[0]}–{years[-1]}" if years else "none"
        super().__init__(
            f"No official working-day schedule is loaded for {year} (years known: {known}). "
            f"Load the {year} holiday schedule published by the State Council (国务院办公厅关于{year}年"
            f"部分节假日安排的通知: its holidays and its swapped working weekends) through the registry's "
            f"calendar API; working days are never guessed from weekends alone."
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off that would be working days, and weekend days worked."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


def _package_schedule() -> tuple[range, frozenset[date], frozenset[date]]:
    # Read the package's public tables once: its own is_workday rescans them on every call, which adds
    # up when the monitor counts working days for thousands of unanswered messages.
    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(chinese_calendar.workdays)
    years = range(min(d.year for d in holidays), max(d.year for d in holidays) + 1)
    return years, holidays, workdays


_PACKAGE_YEARS, _PACKAGE_HOLIDAYS, _PACKAGE_WORKDAYS = _package_schedule()


def _plain_date(d: date) -> date:
    # A datetime is a date subclass; taking .date() of a UTC datetime can land on the wrong Shanghai day.
    if isinstance(d, datetime):
        raise TypeError(
            "pass a date (e.g. clock.today()), not a datetime: its calendar day depends on the zone"
        )
    return d


class WorkCalendar:
    """Working days per the official PRC calendar, from the package plus schedules loaded by administrators.

    Conventions (the statutory way of counting periods, 民法典 第二百零一条: the starting day is not
    counted): ``add_workdays(start, n)`` is the n-th working day *after* ``start``; ``workdays_between(a, b)``
    counts the working days in ``(a, b]``. So ``workdays_between(a, add_workdays(a, n)) == n``.
    """

    def __init__(self, *, use_package: bool = True) -> None:
        self._use_package = use_package
        self._loaded: dict[int, YearSchedule] = {}

    @property
    def package_years(self) -> range:
        """Years the installed ``chinesecalendar`` package covers (empty when it is not used)."""
        return _PACKAGE_YEARS if self._use_package else range(0)

    def load_year(self, year: int, holidays: Iterable[date], workdays: Iterable[date]) -> YearSchedule:
        """Install (or replace) a year's schedule; it takes precedence over the package for that year.

        ``holidays``: the days off of the published schedule (weekend days inside a holiday may be listed
        or not); ``workdays``: the weekend days that are working days (调休上班). Raises ValueError when
        the schedule is inconsistent, so a mistyped schedule never reaches a deadline.
        """
        if not 1949 < year < 10000:
            raise ValueError(f"year {year} is not a plausible calendar year")
        off = frozenset(_plain_date(d) for d in holidays)
        on = frozenset(_plain_date(d) for d in workdays)
        stray = sorted(d for d in off | on if d.year != year)
        if stray:
            raise ValueError(f"dates outside {year} in its schedule: {', '.join(map(str, stray))}")
        both = sorted(off & on)
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, both))}")
        weekdays = sorted(d for d in on if d.weekday() < 5)
        if weekdays:
            raise ValueError(
                "swapped working days must be Saturdays or Sundays (Monday–Friday already are working days): "
                + ", ".join(map(str, weekdays))
            )
        schedule = YearSchedule(year=year, holidays=off, workdays=on)
        self._loaded[year] = schedule
        return schedule

    def forget_year(self, year: int) -> None:
        """Drop a loaded schedule (the package's data, if any, applies again)."""
        self._loaded.pop(year, None)

    def schedule(self, year: int) -> YearSchedule | None:
        """The loaded schedule of a year, or None when the year comes from the package or is unknown."""
        return self._loaded.get(year)

    def covered_years(self) -> tuple[int, ...]:
        """Every year whose working days are known, ascending."""
        return tuple(sorted(set(self.package_years) | set(self._loaded)))

    def covers(self, year: int) -> bool:
        """True when working days of ``year`` are known."""
        return year in self._loaded or year in self.package_years

    def is_workday(self, d: date) -> bool:
        """True when ``d`` is a working day; UnknownCalendarYear when its year's schedule is unknown."""
        d = _plain_date(d)
        loaded = self._loaded.get(d.year)
        if loaded is not None:
            return d in loaded.workdays or (d.weekday() < 5 and d not in loaded.holidays)
        if d.year in self.package_years:
            return d in _PACKAGE_WORKDAYS or (d.weekday() < 5 and d not in _PACKAGE_HOLIDAYS)
        raise UnknownCalendarYear(d.year, self.covered_years())

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted; n=0 gives ``start``).

        A negative n counts backwards (the |n|-th working day before ``start``). ``start`` need not be a
        working day: an event on a Sunday still has its first working day on Monday (or on a swapped
        working weekend day).
        """
        day = _plain_date(start)
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            if day in (date.max, date.min):  # past year 9999 (or before year 1) no schedule can exist
                raise UnknownCalendarYear(day.year + (1 if n >= 0 else -1), self.covered_years())
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]`` (``a`` excluded, ``b`` included); negative when ``b`` precedes ``a``."""
        a, b = _plain_date(a), _plain_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        day = a
        while day < b:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


@runtime_checkable
class Clock(Protocol):
    """Where every rule gets "now" from."""

    def now(self) -> datetime:
        """The current instant, aware, in Asia/Shanghai."""
        ...

    def today(self) -> date:
        """The current calendar day in Asia/Shanghai."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, aware, in Asia/Shanghai."""
        return datetime.now(SHANGHAI)

    def today(self) -> date:
        """The current calendar day in Asia/Shanghai."""
        return self.now().date()


class FixedClock:
    """A clock that stands still until a test sets or advances it."""

    def __init__(self, at: datetime) -> None:
        self._at = self._aware(at)

    @staticmethod
    def _aware(at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("FixedClock needs an aware datetime (e.g. tzinfo=SHANGHAI), not a naive one")
        return at.astimezone(SHANGHAI)

    def now(self) -> datetime:
        """The set instant, in Asia/Shanghai."""
        return self._at

    def today(self) -> date:
        """The calendar day of the set instant in Asia/Shanghai."""
        return self._at.date()

    def set(self, at: datetime) -> datetime:
        """Move the clock to ``at``; returns the new now."""
        self._at = self._aware(at)
        return self._at

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        """Move the clock forward (or back, with a negative amount); returns the new now."""
        step = (delta or timedelta()) + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        self._at = self._at + step
        return self._at
