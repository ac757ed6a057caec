"""Region settings (defaults, validation, inheritance, tighten-only) and scoring periods."""

from __future__ import annotations

from datetime import date

import pytest

from govmedia_common.errors import DomainError
from govmedia_common.events.scoring import PeriodKind
from govmedia_scoring.engine.compute import due_periods
from govmedia_scoring.periods import Period
from govmedia_scoring.rules import DEFAULTS, region_level, region_path, resolve, validate_section


def test_every_default_is_documented_and_the_serious_error_limit_is_three() -> None:
    assert DEFAULTS.veto_serious_errors_max == 3
    assert DEFAULTS.diligence_gap_limit_days == 14 and DEFAULTS.diligence_gap_limit_days_high_attention == 7
    assert sum(DEFAULTS.weights().values()) == pytest.approx(1.0)


def test_a_section_with_a_wrong_value_or_an_unknown_key_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="veto_serious_errors_max"):
        validate_section({"veto_serious_errors_max": -1})
    with pytest.raises(ValueError, match="weight_efect"):
        validate_section({"weight_efect": 0.3})
    with pytest.raises(ValueError, match="composite weights"):
        validate_section({k: 0 for k in ("weight_diligence", "weight_effect", "weight_content",
                                         "weight_cluster", "weight_growth")})  # fmt: skip


def test_a_county_may_tighten_the_city_rules_but_not_loosen_them() -> None:
    res = resolve(
        [
            ("330000", {"veto_serious_errors_max": 2, "weight_effect": 0.1}),
            ("331000", {"veto_serious_errors_max": 5, "diligence_weekly_target_posts": 7}),
            ("331004", {"veto_serious_errors_max": 1, "diligence_weekly_target_posts": 6}),
        ]
    )
    assert res.rules.veto_serious_errors_max == 1  # tightened by the county
    assert res.sources["veto_serious_errors_max"] == "331004"
    assert res.rules.diligence_weekly_target_posts == 7  # the county's 6 would loosen the city's 7
    assert res.rules.weight_effect == 0.1  # weights are free and inherited
    assert any("331000" in n and "loosen" in n for n in res.notes)
    assert any("331004" in n and "diligence_weekly_target_posts" in n for n in res.notes)


def test_an_invalid_region_section_is_ignored_as_a_whole_and_reported() -> None:
    res = resolve([("330000", {"content_serious_error_points": "lots"})])
    assert res.rules == DEFAULTS and "330000: settings ignored" in res.notes[0]


def test_region_paths_and_levels_follow_the_code_shape() -> None:
    assert region_path("331004") == ("330000", "331000", "331004")
    assert region_path("429004") == ("420000", "429004")  # 省直辖 county-level city: no city layer
    assert region_path("330000") == ("330000",)
    assert [region_level(c) for c in ("330000", "331000", "331004")] == ["province", "city", "county"]


def test_periods_start_where_they_must_and_know_their_neighbours() -> None:
    m = Period(PeriodKind.MONTH, date(2026, 3, 1))
    assert m.end == date(2026, 3, 31) and m.wci_days == 30 and m.days == 31
    assert m.previous() == Period(PeriodKind.MONTH, date(2026, 2, 1))
    assert m.year_ago() == Period(PeriodKind.MONTH, date(2025, 3, 1))
    q = Period.containing(PeriodKind.QUARTER, date(2026, 5, 17))
    assert (q.start, q.end, q.wci_days) == (date(2026, 4, 1), date(2026, 6, 30), 91)
    w = Period.containing(PeriodKind.WEEK, date(2026, 12, 3))
    assert w.start == date(2026, 11, 30) and w.wci_days == 7
    assert Period(PeriodKind.YEAR, date(2026, 1, 1)).wci_days == 365
    with pytest.raises(DomainError) as exc:
        Period(PeriodKind.WEEK, date(2026, 12, 1))
    assert exc.value.status == 422


def test_the_schedule_closes_the_previous_period_on_the_first_day_of_a_new_one() -> None:
    due = due_periods(date(2026, 12, 1))  # a Tuesday, first of the month
    assert Period(PeriodKind.MONTH, date(2026, 11, 1)) in due
    assert Period(PeriodKind.DAY, date(2026, 11, 30)) in due
    assert Period(PeriodKind.WEEK, date(2026, 11, 23)) not in due
