"""Scoring periods: a day, an ISO week, a month, a quarter or a year, and the ones they are compared with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events.scoring import PeriodKind

_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    return date(day.year + month0 // 12, month0 % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """One scoring period; ``start`` must begin a period of its kind."""

    kind: PeriodKind
    start: date

    def __post_init__(self) -> None:
        ok = {
            PeriodKind.DAY: True,
            PeriodKind.WEEK: self.start.weekday() == 0,
            PeriodKind.MONTH: self.start.day == 1,
            PeriodKind.QUARTER: self.start.day == 1 and self.start.month in (1, 4, 7, 10),
            PeriodKind.YEAR: self.start.day == 1 and self.start.month == 1,
        }[self.kind]
        if not ok:
            holding = Period.containing(self.kind, self.start).start
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "bad-period-start",
                f"{self.start} does not start a {self.kind.value} (weeks start on Monday, months, quarters "
                f"and years on their first day); the {self.kind.value} holding it starts {holding}.",
            )

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        """The period of ``kind`` that contains ``day``."""
        if kind is PeriodKind.DAY:
            return cls(kind, day)
        if kind is PeriodKind.WEEK:
            return cls(kind, day - timedelta(days=day.weekday()))
        if kind is PeriodKind.MONTH:
            return cls(kind, day.replace(day=1))
        if kind is PeriodKind.QUARTER:
            return cls(kind, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
        return cls(kind, date(day.year, 1, 1))

    @property
    def end(self) -> date:
        """Last day, inclusive."""
        if self.kind is PeriodKind.DAY:
            return self.start
        if self.kind is PeriodKind.WEEK:
            return self.start + timedelta(days=6)
        return _add_months(self.start, _MONTHS[self.kind]) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def wci_days(self) -> int:
        """``d`` of 清博 WCI: a week counts 7 days, a month 30, a year 365; other periods their real days."""
        return {PeriodKind.MONTH: 30, PeriodKind.YEAR: 365}.get(self.kind, self.days)

    def previous(self) -> Period:
        """The period just before (period-on-period, 环比)."""
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        """The same period a year earlier (year-on-year, 同比); a week maps to the same ISO week number of
        the ISO year before (week 53 to week 52 when that year has no week 53). Going back 52 weeks is that
        only between years of 52 weeks: after a year of 53 (2020, 2026) it lands one week late."""
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            weeks_before = date(year - 1, 12, 28).isocalendar().week  # 28 December lies in the last week
            return Period(self.kind, date.fromisocalendar(year - 1, min(week, weeks_before), 1))
        if self.kind is PeriodKind.DAY and self.start.month == 2 and self.start.day == 29:
            return Period(self.kind, date(self.start.year - 1, 2, 28))
        return Period(self.kind, self.start.replace(year=self.start.year - 1))

    def label(self) -> str:
        return f"{self.kind.value}:{self.start.isoformat()}"
