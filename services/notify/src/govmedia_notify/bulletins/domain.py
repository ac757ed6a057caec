"""Bulletin periods and contents (通报). Plain Python, no I/O."""

from __future__ import annotations

from datetime import date, timedelta

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
            raise DomainError(ErrorKind.UNPROCESSABLE, "bad-period", "A weekly bulletin starts on a Monday.")
        return start, start + timedelta(days=6)
    if start.day != 1 or (kind is PeriodKind.QUARTER and start.month not in (1, 4, 7, 10)):
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "bad-period",
            f"A {kind.value} bulletin starts on the first day of a {kind.value}.",
        )
    months = 1 if kind is PeriodKind.MONTH else 3
    m0 = start.month - 1 + months
    return start, date(start.year + m0 // 12, m0 % 12 + 1, 1) - timedelta(days=1)


def title(region_name: str, kind: PeriodKind, start: date, end: date) -> str:
    if kind is PeriodKind.MONTH:
        span = f"{start.year}年{start.month}月"
    elif kind is PeriodKind.QUARTER:
        span = f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    else:
        span = f"{start.isoformat()}至{end.isoformat()}"
    return f"{region_name}政务新媒体{KIND_NAMES[kind]}通报（{span}）"
