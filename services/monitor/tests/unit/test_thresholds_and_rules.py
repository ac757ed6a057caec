"""Pure rules and the monitor's settings section: defaults, validation, tighten-only inheritance."""

from __future__ import annotations

from datetime import date

import pytest

from govmedia_common.events import AlertSeverity
from govmedia_monitor.rules.domain import (
    escalates,
    interaction_off_fires,
    is_zombie,
    message_severity,
    not_updated_severity,
)
from govmedia_monitor.rules.thresholds import (
    InvalidMonitorSettings,
    MonitorSettings,
    ancestors,
    effective,
    parse_section,
)

DEFAULTS = MonitorSettings()


def test_documented_defaults() -> None:
    assert (DEFAULTS.not_updated_warning_days, DEFAULTS.not_updated_days) == (7, 14)
    assert DEFAULTS.high_attention_not_updated_days == 7 and DEFAULTS.zombie_days == 90
    assert (DEFAULTS.message_warning_workdays, DEFAULTS.message_violation_workdays) == (5, 15)


@pytest.mark.parametrize(
    ("tier", "days", "expected"),
    [
        ("ordinary", 6, None),
        ("ordinary", 7, AlertSeverity.WARNING),
        ("ordinary", 13, AlertSeverity.WARNING),
        ("ordinary", 14, AlertSeverity.VIOLATION),
        ("high", 6, None),
        ("high", 7, AlertSeverity.VIOLATION),
    ],
)
def test_not_updated_thresholds(tier: str, days: int, expected: AlertSeverity | None) -> None:
    assert not_updated_severity(DEFAULTS, tier, days) is expected


def test_zombie_messages_interaction_and_escalation() -> None:
    assert not is_zombie(DEFAULTS, 89) and is_zombie(DEFAULTS, 90)
    assert message_severity(DEFAULTS, 4) is None
    assert message_severity(DEFAULTS, 5) is AlertSeverity.WARNING
    assert message_severity(DEFAULTS, 15) is AlertSeverity.VIOLATION
    assert interaction_off_fires(DEFAULTS, date(2025, 9, 1), date(2025, 9, 1))
    assert escalates("warning", "violation") and not escalates("violation", "warning")


def test_a_section_is_validated_key_by_key_and_unknown_keys_are_refused() -> None:
    assert parse_section({"not_updated_days": 10}) == {"not_updated_days": 10}
    assert parse_section(None) == {}
    with pytest.raises(InvalidMonitorSettings) as err:
        parse_section({"not_updated_days": 0, "silence": 3})
    assert any("not_updated_days" in e for e in err.value.errors) and any(
        "silence" in e for e in err.value.errors
    )
    with pytest.raises(InvalidMonitorSettings):
        parse_section({"message_warning_workdays": 20})  # above the violation threshold
    with pytest.raises(InvalidMonitorSettings):
        parse_section(["not", "an", "object"])


def test_the_chain_of_a_county_is_province_city_county() -> None:
    assert ancestors("331004") == ["330000", "331000", "331004"]
    assert ancestors("330000") == ["330000"]
    assert ancestors("331000") == ["330000", "331000"]


def test_a_lower_level_tightens_but_never_loosens() -> None:
    sections = {
        "330000": {"not_updated_days": 12},
        "331000": {"not_updated_days": 20},
        "331004": {"not_updated_days": 9},
    }
    county = effective("331004", sections)
    assert county.settings.not_updated_days == 9 and county.set_by["not_updated_days"] == "331004"
    city = effective("331000", sections)
    assert city.settings.not_updated_days == 12
    assert city.ignored == [{"region_code": "331000", "key": "not_updated_days", "value": 20, "applies": 12}]
    assert effective("330102", sections).settings.not_updated_days == 12  # another city: only the province
    assert effective("450100", sections).settings.not_updated_days == 14  # another province: defaults


def test_similarity_bars_tighten_upwards_and_tightening_one_key_keeps_the_set_consistent() -> None:
    sections = {"330000": {"match_noise_similarity": 0.97}, "331000": {"match_noise_similarity": 0.9}}
    assert effective("331000", sections).settings.match_noise_similarity == 0.97
    assert (
        effective("331004", {"331000": {"match_noise_similarity": 0.99}}).settings.match_noise_similarity
        == 0.99
    )
    # The county tightens the violation to 5 days, below the inherited 7-day warning: the warning follows.
    eff = effective("331004", {"331004": {"not_updated_days": 5}})
    assert (eff.settings.not_updated_days, eff.settings.not_updated_warning_days) == (5, 5)
