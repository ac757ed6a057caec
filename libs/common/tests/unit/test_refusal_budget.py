"""The audit log's budget for refused accesses: a source that floods refusals (anonymous scans, a script with
an expired token) cannot turn each one into a database write, yet every refusal is accounted for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from govmedia_common.audit import RefusalBudget

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_first_refusals_of_a_minute_are_written_the_rest_counted() -> None:
    budget = RefusalBudget(per_minute=3)
    taken = [budget.take("198.51.100.7", T0 + timedelta(seconds=i)) for i in range(10)]
    assert taken == [0, 0, 0, None, None, None, None, None, None, None]


def test_the_next_entry_after_the_minute_carries_how_many_were_not_written() -> None:
    budget = RefusalBudget(per_minute=2)
    for i in range(7):
        budget.take("198.51.100.7", T0 + timedelta(seconds=i))
    assert budget.take("198.51.100.7", T0 + timedelta(seconds=61)) == 5
    assert budget.take("198.51.100.7", T0 + timedelta(seconds=62)) == 0


def test_each_source_has_its_own_budget() -> None:
    budget = RefusalBudget(per_minute=1)
    assert budget.take("198.51.100.7", T0) == 0
    assert budget.take("198.51.100.7", T0) is None
    assert budget.take("203.0.113.9", T0) == 0
    assert budget.take("person:5f0c", T0) == 0


def test_a_budget_of_zero_writes_every_refusal() -> None:
    budget = RefusalBudget(per_minute=0)
    assert all(budget.take("198.51.100.7", T0) == 0 for _ in range(1_000))


def test_the_sources_remembered_are_bounded_and_the_oldest_forgotten_first() -> None:
    budget = RefusalBudget(per_minute=1, max_sources=100)
    for i in range(1_000):
        budget.take(f"10.0.{i // 256}.{i % 256}", T0)
    assert budget.sources() == 100
    assert budget.take("10.0.0.0", T0) == 0  # forgotten, so a new window


def test_a_clock_set_back_starts_a_new_window_instead_of_muting_the_source() -> None:
    budget = RefusalBudget(per_minute=1)
    budget.take("198.51.100.7", T0)
    budget.take("198.51.100.7", T0)
    assert budget.take("198.51.100.7", T0 - timedelta(hours=1)) == 1


@given(
    per_minute=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=300),
)
def test_every_refusal_is_either_written_or_counted_in_a_later_entry(
    per_minute: int, gaps: list[int]
) -> None:
    budget = RefusalBudget(per_minute=per_minute)
    now, written, carried = T0, 0, 0
    for gap in gaps:
        now += timedelta(seconds=gap)
        taken = budget.take("198.51.100.7", now)
        if taken is not None:
            written += 1
            carried += taken
    pending = budget.take("198.51.100.7", now + timedelta(minutes=2))
    assert pending is not None
    assert written + carried + pending == len(gaps)
