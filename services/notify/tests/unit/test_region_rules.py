"""Per-region notify rules: defaults, validation, and inheritance that tightens but never loosens."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from pydantic import ValidationError

from govmedia_notify.rules import (
    DEFAULT_RULES,
    NotifyRules,
    effective_rules,
    in_quiet_hours,
    loosened_keys,
    region_path,
)


def test_documented_defaults() -> None:
    r = DEFAULT_RULES
    assert (r.rectification_days, r.rectification_day_kind) == (7, "calendar")
    assert (r.ladder_liaison, r.ladder_deputy_head, r.ladder_principal) == (2, 4, 6)
    assert (r.closure_min_notices, r.closure_max_listings, r.closure_window_quarters) == (2, 2, 4)
    assert (r.quiet_start, r.quiet_end) == (time(22), time(8))


def test_a_county_may_tighten_but_not_loosen_what_the_province_set() -> None:
    rules = effective_rules(
        [
            ("330000", {"rectification_days": 5, "rectification_day_kind": "calendar"}),
            ("331000", {}),
            (
                "331004",
                {"rectification_days": 10, "rectification_day_kind": "working", "quiet_start": "21:00"},
            ),
        ]
    )
    assert rules.rectification_days == 5  # 10 would loosen the province's 5
    assert rules.rectification_day_kind == "calendar"  # working days would give more time
    assert rules.quiet_start == time(21)  # a preference, the county's to choose
    assert effective_rules([("331004", {"rectification_days": 3})]).rectification_days == 3
    assert loosened_keys(
        NotifyRules(rectification_days=5), {"rectification_days": 10, "quiet_start": "21:00"}
    ) == ["rectification_days"]


def test_the_platform_default_binds_nobody_but_a_level_that_set_a_value_binds_those_below() -> None:
    province = effective_rules([("330000", {"rectification_days": 10, "rectification_day_kind": "working"})])
    assert (province.rectification_days, province.rectification_day_kind) == (10, "working")
    county = effective_rules([("330000", {"rectification_days": 10}), ("331004", {"rectification_days": 12})])
    assert county.rectification_days == 10
    # A key the province left alone is the county's to set, either way.
    assert (
        effective_rules(
            [("330000", {"quiet_start": "21:00"}), ("331004", {"ladder_liaison": 3})]
        ).ladder_liaison
        == 3
    )


def test_a_longer_closure_window_is_stricter() -> None:
    rules = effective_rules(
        [("330000", {"closure_window_quarters": 6}), ("331004", {"closure_window_quarters": 2})]
    )
    assert rules.closure_window_quarters == 6


def test_an_invalid_section_is_ignored_and_the_parent_holds() -> None:
    rules = effective_rules(
        [("330000", {"rectification_days": 5}), ("331004", {"rectification_days": "soon"})]
    )
    assert rules.rectification_days == 5
    assert effective_rules([("331004", {"no_such_key": 1})]) == DEFAULT_RULES


def test_rules_refuse_inconsistent_values() -> None:
    with pytest.raises(ValidationError):
        NotifyRules(ladder_liaison=4, ladder_deputy_head=4)
    with pytest.raises(ValidationError):
        NotifyRules(reminder_time=time(23, 0))  # inside quiet hours
    with pytest.raises(ValidationError):
        NotifyRules(rectification_days=0)


def test_quiet_hours_wrap_midnight() -> None:
    assert in_quiet_hours(time(23), time(22), time(8))
    assert in_quiet_hours(time(7, 59), time(22), time(8))
    assert not in_quiet_hours(time(8), time(22), time(8))
    assert in_quiet_hours(time(13), time(12), time(14))
    assert not in_quiet_hours(time(3), time(0), time(0))


def test_region_path_runs_from_the_province_down() -> None:
    assert region_path("331004") == ["330000", "331000", "331004"]
    assert region_path("330000") == ["330000"]
    assert region_path("331000") == ["330000", "331000"]


@pytest.mark.parametrize("value", [True, "3", 3.0, "true"], ids=["true", "string", "float", "text"])
def test_a_value_of_another_json_type_is_ignored_and_the_parent_holds(value: object) -> None:
    """``rectification_days: true`` gave every unit one day to rectify (true read as 1); ``"3"`` three."""
    rules = effective_rules([("330000", {"rectification_days": value})])
    assert rules.rectification_days == DEFAULT_RULES.rectification_days
    with pytest.raises(ValidationError, match="rectification_days"):
        NotifyRules.model_validate({"rectification_days": value})


def test_a_key_this_version_does_not_know_is_ignored_alone_and_the_sections_other_keys_hold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A registry one version ahead (a rolling upgrade) stores a notify key this notify does not know yet: the
    region's other settings still hold, as the monitor reads its own section, and nothing is logged for it at
    every read of the rules."""
    later: dict[str, Any] = {"rectification_days": 5, "digest_hour_of_a_later_version": 9}
    sections = [("330000", {}), ("331004", later)]
    for _ in range(3):
        assert effective_rules(sections).rectification_days == 5
    bad: list[tuple[str, dict[str, Any]]] = [
        ("330000", {"rectification_days": 5}),
        ("331082", {"rectification_days": "by and by"}),
    ]
    for _ in range(3):  # an invalid value: the section is skipped, said once (not at every case and sweep)
        assert effective_rules(bad).rectification_days == 5
    said = sorted(r.getMessage().split(":")[0] for r in caplog.records if "notify settings" in r.getMessage())
    assert said == [  # each once, not once a read
        "ignoring invalid notify settings",
        "ignoring notify settings this version does not know",
    ], said
