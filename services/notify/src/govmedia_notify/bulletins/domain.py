"""Bulletin periods and contents (通报). Plain Python, no I/O."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NoReturn

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events.scoring import PeriodKind

BULLETIN_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER)
KIND_NAMES = {PeriodKind.WEEK: "周", PeriodKind.MONTH: "月", PeriodKind.QUARTER: "季度"}


def period_bounds(kind: PeriodKind, start: date) -> tuple[date, date]:
    """First and last day of a bulletin period; the start must begin a week, month or quarter."""
    if kind not in BULLETIN_KINDS:
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "bad-period", "Bulletins are weekly, monthly or quarterly."
        )
    if kind is PeriodKind.WEEK:
        if start.weekday() != 0:
            _not_a_start(
                start, "A weekly bulletin starts on a Monday", start - timedelta(days=start.weekday())
            )
        return start, start + timedelta(days=6)
    if start.day != 1 or (kind is PeriodKind.QUARTER and start.month not in (1, 4, 7, 10)):
        month = start.month if kind is PeriodKind.MONTH else (start.month - 1) // 3 * 3 + 1
        _not_a_start(
            start,
            f"A {kind.value} bulletin starts on the first day of a {kind.value}",
            date(start.year, month, 1),
        )
    months = 1 if kind is PeriodKind.MONTH else 3
    m0 = start.month - 1 + months
    return start, date(start.year + m0 // 12, m0 % 12 + 1, 1) - timedelta(days=1)


def _not_a_start(given: date, rule: str, holding: date) -> NoReturn:
    """The 422 naming ``body.period_start``, the rule and the start of the period holding the day."""
    message = f"{rule}; {given} lies in the one that starts {holding}."
    raise DomainError(
        ErrorKind.UNPROCESSABLE,
        "bad-period",
        f"The request is invalid at: body.period_start. {message}",
        errors=[{"location": "body.period_start", "message": message, "type": "bad_period_start"}],
    )


def title(region_name: str, kind: PeriodKind, start: date, end: date) -> str:
    if kind is PeriodKind.MONTH:
        span = f"{start.year}年{start.month}月"
    elif kind is PeriodKind.QUARTER:
        span = f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    else:
        span = f"{start.isoformat()}至{end.isoformat()}"
    return f"{region_name}政务新媒体{KIND_NAMES[kind]}通报（{span}）"
