"""The working-day calendar (with 调休) and the injected clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmedia_common.workdays import (
    SHANGHAI,
    Clock,
    FixedClock,
    SystemClock,
    UnknownCalendarYear,
    WorkCalendar,
)

# TEST DATA, NOT THE OFFICIAL 2027 SCHEDULE: a plausible made-up schedule, only for exercising load_year.
TEST_2027_HOLIDAYS = [
    date(2027, 1, 1),  # New Year's Day, a Friday
    *(date(2027, 2, d) for d in range(5, 14)),  # Spring Festival, Fri 5 – Sat 13 February
    *(date(2027, 10, d) for d in range(1, 8)),  # National Day, 1–7 October
]
TEST_2027_WORKDAYS = [date(2027, 2, 14), date(2027, 2, 20), date(2027, 9, 26), date(2027, 10, 9)]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_package_covers_2025_and_2026_but_not_2027(cal: WorkCalendar) -> None:
    years = cal.covered_years()
    assert 2025 in years and 2026 in years
    assert 2027 not in years
    assert years == tuple(range(years[0], 2027))  # contiguous, ends with 2026 in chinesecalendar 1.11


def test_national_day_and_mid_autumn_2025_are_off_and_swapped_weekends_are_worked(cal: WorkCalendar) -> None:
    for day in range(1, 9):
        assert not cal.is_workday(date(2025, 10, day)), f"2025-10-{day:02} is a holiday"
    assert cal.is_workday(date(2025, 9, 28))  # a Sunday, worked
    assert cal.is_workday(date(2025, 10, 11))  # a Saturday, worked
    assert cal.is_workday(date(2025, 10, 9))
    assert not cal.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    for day in range(15, 24):
        assert not cal.is_workday(date(2026, 2, day)), f"2026-02-{day} is a holiday"
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, worked
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, worked
    assert cal.is_workday(date(2026, 2, 24))


def test_seven_working_days_across_national_day(cal: WorkCalendar) -> None:
    # Fri 26 Sep → Sun 28 (1), 29 (2), 30 (3), Oct 1–8 off, 9 (4), 10 (5), Sat 11 (6), Mon 13 (7)
    assert cal.add_workdays(date(2025, 9, 26), 7) == date(2025, 10, 13)


def test_seven_working_days_across_spring_festival_2026(cal: WorkCalendar) -> None:
    # Thu 12 Feb → 13 (1), Sat 14 (2), 15–23 off, 24 (3), 25 (4), 26 (5), 27 (6), Sat 28 (7)
    assert cal.add_workdays(date(2026, 2, 12), 7) == date(2026, 2, 28)


def test_fifteen_working_days_across_a_holiday(cal: WorkCalendar) -> None:
    # 28, 29, 30 Sep; 9, 10, 11, 13, 14, 15, 16, 17, 20, 21, 22, 23 Oct
    assert cal.add_workdays(date(2025, 9, 26), 15) == date(2025, 10, 23)
    assert cal.workdays_between(date(2025, 9, 26), date(2025, 10, 23)) == 15


def test_start_day_is_not_counted_and_a_holiday_start_works(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 13), 0) == date(2025, 10, 13)
    assert cal.add_workdays(date(2025, 10, 13), 1) == date(2025, 10, 14)
    assert cal.add_workdays(date(2025, 10, 3), 1) == date(2025, 10, 9)  # started inside the holiday


def test_negative_counts_go_backwards(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 9), -1) == date(2025, 9, 30)
    # the mirror of the forward case: 11, 10, 9 Oct, 30, 29, 28, 26 Sep
    assert cal.add_workdays(date(2025, 10, 13), -7) == date(2025, 9, 26)


def test_workdays_between_excludes_a_and_includes_b(cal: WorkCalendar) -> None:
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert cal.workdays_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert cal.workdays_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    assert cal.workdays_between(date(2025, 10, 9), date(2025, 9, 30)) == -1


def test_an_unknown_year_raises_with_a_fix_in_the_message(cal: WorkCalendar) -> None:
    with pytest.raises(UnknownCalendarYear) as caught:
        cal.is_workday(date(2027, 3, 1))
    assert caught.value.year == 2027
    assert isinstance(caught.value, LookupError)
    message = str(caught.value)
    assert "2027" in message and "State Council" in message and "calendar API" in message


def test_counting_into_an_unknown_year_raises_rather_than_guessing(cal: WorkCalendar) -> None:
    with pytest.raises(UnknownCalendarYear):
        cal.add_workdays(date(2026, 12, 28), 7)
    with pytest.raises(UnknownCalendarYear):
        cal.workdays_between(date(2026, 12, 1), date(2027, 1, 5))


def test_loading_2027_makes_it_known(cal: WorkCalendar) -> None:
    cal.load_year(2027, TEST_2027_HOLIDAYS, TEST_2027_WORKDAYS)
    assert 2027 in cal.covered_years()
    # Tue 29, Wed 30, Thu 31 Dec; Fri 1 Jan off (test data); Mon 4, Tue 5, Wed 6, Thu 7 Jan
    assert cal.add_workdays(date(2026, 12, 28), 7) == date(2027, 1, 7)
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 14))  # a Sunday declared worked in the test data
    assert not cal.is_workday(date(2027, 3, 6))  # an ordinary Saturday


def test_loaded_data_overrides_the_package(cal: WorkCalendar) -> None:
    # A (fictitious) corrected 2025 schedule in which only 1–3 October are off and no weekend is worked.
    cal.load_year(2025, [date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)], [])
    assert cal.is_workday(date(2025, 10, 8))
    assert not cal.is_workday(date(2025, 9, 28))
    assert cal.schedule(2025) is not None
    cal.forget_year(2025)
    assert not cal.is_workday(date(2025, 10, 8))  # back to the package
    assert cal.is_workday(date(2025, 9, 28))


def test_a_calendar_without_the_package_knows_only_loaded_years() -> None:
    cal = WorkCalendar(use_package=False)
    assert cal.covered_years() == ()
    with pytest.raises(UnknownCalendarYear):
        cal.is_workday(date(2025, 10, 9))


@pytest.mark.parametrize(
    ("holidays", "workdays", "complaint"),
    [
        ([date(2026, 12, 31)], [], "outside 2027"),
        ([date(2027, 2, 14)], [date(2027, 2, 14)], "both holiday and working day"),
        ([], [date(2027, 2, 10)], "Saturdays or Sundays"),
    ],
)
def test_an_inconsistent_schedule_is_refused(
    cal: WorkCalendar, holidays: list[date], workdays: list[date], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        cal.load_year(2027, holidays, workdays)
    assert 2027 not in cal.covered_years()


def test_a_datetime_is_refused_because_its_day_depends_on_the_zone(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_workday(datetime(2025, 10, 9, 12, tzinfo=UTC))


def test_agrees_with_the_package_on_every_day_it_covers(cal: WorkCalendar) -> None:
    day, end = date(cal.package_years[0], 1, 1), date(cal.package_years[-1], 12, 31)
    while day <= end:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_counting_back_what_was_added_gives_n(start: date, n: int) -> None:
    cal = WorkCalendar()
    end = cal.add_workdays(start, n)
    assert cal.workdays_between(start, end) == n
    assert n == 0 or cal.is_workday(end)


def test_fixed_clock_is_aware_and_in_shanghai() -> None:
    clock = FixedClock(datetime(2025, 9, 30, 17, 30, tzinfo=UTC))  # 01:30 on 1 Oct in Shanghai
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.today() == date(2025, 10, 1)
    assert isinstance(clock, Clock)


def test_fixed_clock_can_be_set_and_advanced() -> None:
    clock = FixedClock(datetime(2025, 10, 9, 9, tzinfo=SHANGHAI))
    clock.advance(days=1, hours=2)
    assert clock.now() == datetime(2025, 10, 10, 11, tzinfo=SHANGHAI)
    clock.advance(timedelta(minutes=30))
    assert clock.now() == datetime(2025, 10, 10, 11, 30, tzinfo=SHANGHAI)
    clock.set(datetime(2026, 2, 14, 8, tzinfo=SHANGHAI))
    assert clock.today() == date(2026, 2, 14)


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2025, 10, 9, 9))


def test_system_clock_is_aware_and_in_shanghai() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.today() == clock.now().date()
