"""What ``govmedia demo`` plans and counts: the days it simulates (where they start on a platform, the
calendar years they need), the clock it moves, and the numbers it keeps as it goes.

The demo never moves the development clock back before what a platform with data has seen, and refuses
to run into a year whose official working-day calendar the registry does not know.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

# The accounts are filed this many days before the simulated days: their announcements (公示) run out.
LEAD_DAYS = 28
# Deadlines the last simulated days set (rectifications, reminders) reach this far past them.
TAIL_DAYS = 30


class DemoRefused(RuntimeError):
    """The demo cannot run on this platform without harm: the message says why and what to do."""


def filing_day(*, real_today: date, clock_today: date, days: int, holds_data: bool) -> date:
    """The day the demo files its accounts (``LEAD_DAYS`` before its ``days`` simulated days).

    Preferably the days end about a week before today. A platform that holds data has seen everything up
    to its clock (the demo never moves it back, and nothing else does), so there the demo never starts
    before the clock's today: it starts the day after it. A fresh platform holds nothing dated.
    """
    wanted = real_today - timedelta(days=days + LEAD_DAYS)
    if clock_today < wanted or not holds_data:
        return wanted
    return max(wanted, clock_today + timedelta(days=1))


def years_needed(start: date, days: int) -> range:
    """The calendar years the demo's dates and their deadlines touch when it files on ``start``."""
    return range(start.year, (start + timedelta(days=LEAD_DAYS + days + TAIL_DAYS)).year + 1)


def check_calendar(start: date, days: int, covered: Iterable[int]) -> None:
    """Refuse (``DemoRefused``) when the demo's days reach a year without an official calendar."""
    known = set(covered)
    missing = [y for y in years_needed(start, days) if y not in known]
    if missing:
        years = ", ".join(map(str, missing))
        raise DemoRefused(
            f"This platform already holds data up to its clock ({start - timedelta(days=1)}), and the "
            f"demo never moves the clock back before what the platform has seen. Starting on {start}, "
            f"its {days} days (with the filings {LEAD_DAYS} days before them) reach {years}, whose official "
            f"working-day calendar is not loaded (load it with the registry's PUT /v1/calendar/{{year}}). "
            "Run the demo on a fresh platform instead: stop `make run`, `make clean`, `make run`, then "
            "`make demo`."
        )


class MovableTime(Protocol):
    """The services' clock as the demo moves it (a MovableClock, or a FixedClock in a test)."""

    def today(self) -> date: ...
    def set(self, at: datetime) -> datetime: ...


@dataclass
class Numbers:
    """What the demo did, counted as it went (the summary re-reads the APIs rather than trusting these)."""

    units: int = 0
    people: int = 0
    accounts: int = 0
    monitored: int = 0
    reviewed_posts: int = 0
    observed_posts: int = 0
    metrics: int = 0
    refused: Counter[str] = field(default_factory=Counter)
