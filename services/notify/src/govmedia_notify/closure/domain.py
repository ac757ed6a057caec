"""Forced closure (强制关停, seed 002 of Shanwei). Plain Python, no I/O.

An account notified for not updating (内容不更新) at least ``closure_min_notices`` times (default 2) in a
quarter is listed in that quarter's bulletin; an account listed more than ``closure_max_listings`` times
(default 2) within the last ``closure_window_quarters`` quarters (default 4, the current one included, i.e.
a rolling year) is recommended for forced closure. Each is a per-region setting.
"""

from __future__ import annotations

from datetime import date

from govmedia_notify.rules import NotifyRules


def quarter_of(day: date) -> str:
    """``2025-Q3``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter named like ``2025-Q3``."""
    year, q = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarters_back(quarter: str, n: int) -> list[str]:
    """``quarter`` and the n-1 quarters before it, newest first."""
    year, q = int(quarter[:4]), int(quarter[-1])
    out = []
    for _ in range(n):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def is_listed(not_updated_notices: int, rules: NotifyRules) -> bool:
    """Listed in the quarter's bulletin: notified for not updating at least the set number of times."""
    return not_updated_notices >= rules.closure_min_notices


def closure_recommended(listings_in_window: int, rules: NotifyRules) -> bool:
    """Listed more than the set number of times within the window: recommend forced closure."""
    return listings_in_window > rules.closure_max_listings
