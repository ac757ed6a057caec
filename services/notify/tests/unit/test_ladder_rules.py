"""The 二四六 ladder and the forced-closure rule as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from govmedia_notify.closure.domain import (
    closure_recommended,
    is_listed,
    quarter_bounds,
    quarter_of,
    quarters_back,
)
from govmedia_notify.ladder.domain import ladder_year, step_for
from govmedia_notify.rules import DEFAULT_RULES, NotifyRules


def test_counts_one_to_seven_call_for_liaison_deputy_head_principal_and_principal_again() -> None:
    steps = {n: step_for(n, DEFAULT_RULES) for n in range(1, 9)}
    assert {n: (s.interviewee_role, s.interviewer_role) for n, s in steps.items() if s} == {
        2: ("liaison", "open_government_centre"),
        4: ("deputy_head", "deputy_director"),
        6: ("principal", "director"),
        7: ("principal", "director"),
        8: ("principal", "director"),
    }
    assert [n for n, s in steps.items() if s is None] == [1, 3, 5]


def test_regions_may_set_other_steps() -> None:
    rules = NotifyRules(ladder_liaison=1, ladder_deputy_head=3, ladder_principal=5)
    assert [n for n in range(1, 7) if step_for(n, rules)] == [1, 3, 5, 6]


def test_the_counting_year_is_the_calendar_year_unless_a_start_month_is_set() -> None:
    assert ladder_year(date(2025, 12, 31), DEFAULT_RULES) == 2025
    assert ladder_year(date(2026, 1, 1), DEFAULT_RULES) == 2026
    april = NotifyRules(ladder_year_start_month=4)
    assert ladder_year(date(2026, 3, 31), april) == 2025
    assert ladder_year(date(2026, 4, 1), april) == 2026


@pytest.mark.parametrize(("notices", "listed"), [(0, False), (1, False), (2, True), (5, True)])
def test_two_or_more_not_updated_notices_in_a_quarter_list_the_account(notices: int, listed: bool) -> None:
    assert is_listed(notices, DEFAULT_RULES) is listed


@pytest.mark.parametrize(("listings", "recommended"), [(1, False), (2, False), (3, True), (4, True)])
def test_listed_more_than_twice_recommends_forced_closure(listings: int, recommended: bool) -> None:
    assert closure_recommended(listings, DEFAULT_RULES) is recommended


def test_quarters() -> None:
    assert quarter_of(date(2025, 9, 30)) == "2025-Q3"
    assert quarter_of(date(2025, 10, 1)) == "2025-Q4"
    assert quarter_bounds("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert quarter_bounds("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarters_back("2026-Q1", 4) == ["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]
