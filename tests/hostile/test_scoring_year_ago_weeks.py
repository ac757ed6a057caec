"""同比 of an ISO week in scoring: the same week number a year before, across years of 53 weeks.

What the outside round found: ``Period.year_ago`` of a week went back 52 weeks, which its own docstring
says is "the same ISO week number". It is not after a year of 53 weeks (2015, 2020, 2026, 2032 …): every
week of 2021 was compared with the week after its number in 2020 (2021-W10 with 2020-W11), and every week
of 2027 will be; week 53 itself was compared with week 1 of its own year (2026-W53 with 2026-W01). The
growth index's year-on-year part took those bases.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from govmedia_common.events.scoring import PeriodKind
from govmedia_scoring.periods import Period


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


@pytest.mark.parametrize("year", range(2019, 2030))
def test_every_week_of_a_year_is_compared_with_the_same_week_number_a_year_before(year: int) -> None:
    for week in range(1, _weeks_in(year) + 1):
        period = Period(PeriodKind.WEEK, date.fromisocalendar(year, week, 1))
        before = period.year_ago()
        iso = before.start.isocalendar()
        # the same number, or the last week of a year that has no week 53
        assert (iso.year, iso.week) == (year - 1, min(week, _weeks_in(year - 1))), (year, week, before)
        assert before.start.weekday() == 0 and before.kind is PeriodKind.WEEK


def test_week_53_is_compared_with_week_52_of_a_year_without_one_and_not_with_its_own_week_1() -> None:
    w53 = Period(PeriodKind.WEEK, date.fromisocalendar(2026, 53, 1))
    assert w53.start == date(2026, 12, 28)
    assert w53.year_ago() == Period(PeriodKind.WEEK, date.fromisocalendar(2025, 52, 1))
    assert w53.year_ago().start != date.fromisocalendar(2026, 1, 1)
    assert w53.previous().start == w53.start - timedelta(weeks=1)
