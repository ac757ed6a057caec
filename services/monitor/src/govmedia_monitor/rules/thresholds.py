"""The monitor's section of the region settings: thresholds with defaults, validation and inheritance.

A region's settings document (``RegionSettingsChanged.settings``) may hold a ``monitor`` object with any of
the keys of :class:`MonitorSettings`. What applies to an account is the tightest value along the chain
province → city → county of its region: a lower level may tighten a threshold, never loosen it (a looser
value there is ignored and reported). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govmedia_common.json_values import JsonInt, JsonNumber, error_message

SECTION = "monitor"


class MonitorSettings(BaseModel):
    """Thresholds of the monitor's rules. Every field is a documented default an office may tighten."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_updated_warning_days: JsonInt = Field(
        7, ge=1, le=365, description="Days without a post before a 'not updated' warning (预警)."
    )
    not_updated_days: JsonInt = Field(
        14, ge=1, le=365, description="Days without a post before a 'not updated' violation (seed 003)."
    )
    high_attention_not_updated_days: JsonInt = Field(
        7, ge=1, le=365, description="The same for high-attention accounts, which must update weekly."
    )
    zombie_days: JsonInt = Field(
        90, ge=1, le=3650, description="Days without a post before an account is a cleanup candidate (僵尸)."
    )
    interaction_off_grace_days: JsonInt = Field(
        0, ge=0, le=365, description="Days interaction may stay switched off before it is a violation."
    )
    message_warning_workdays: JsonInt = Field(
        5, ge=1, le=365, description="Working days a public message may stay unanswered before a warning."
    )
    message_violation_workdays: JsonInt = Field(
        15, ge=1, le=365, description="Working days a public message may stay unanswered before a violation."
    )
    match_noise_similarity: JsonNumber = Field(
        1.0,
        gt=0,
        le=1,
        description="Similarity of letters and digits to an approved post at or above which the rest is "
        "formatting noise. 1.0: only whitespace, punctuation, width and case may differ (a changed date is "
        "an edit); a province whose platforms append boilerplate may lower it.",
    )
    match_same_post_similarity: JsonNumber = Field(
        0.6,
        gt=0,
        le=1,
        description="Similarity at or above which an observed post is an edited approved post (mismatch), "
        "below which it matches nothing (published without review).",
    )
    approval_grace_minutes: JsonInt = Field(
        5,
        ge=0,
        le=1440,
        description="Minutes an approval may come after the publication time a platform shows and still "
        "count (platforms round times); a later approval is not a review (未审先发).",
    )
    hot_words_window_days: JsonInt = Field(
        7, ge=1, le=90, description="Days of posts hot words are mined from."
    )
    hot_words_top: JsonInt = Field(20, ge=1, le=200, description="Hot words kept per region and day.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.not_updated_warning_days > self.not_updated_days:
            raise ValueError("not_updated_warning_days must not exceed not_updated_days")
        if self.high_attention_not_updated_days > self.not_updated_days:
            raise ValueError("high_attention_not_updated_days must not exceed not_updated_days")
        if self.message_warning_workdays > self.message_violation_workdays:
            raise ValueError("message_warning_workdays must not exceed message_violation_workdays")
        if self.match_same_post_similarity > self.match_noise_similarity:
            raise ValueError("match_same_post_similarity must not exceed match_noise_similarity")
        return self


# Which way is "tighter" for each key: a smaller number of days, a higher similarity bar.
TIGHTER: dict[str, Literal["lower", "higher"]] = {
    name: ("higher" if name.startswith("match_") else "lower")
    for name in MonitorSettings.model_fields
    if not name.startswith("hot_words_")
}


class InvalidMonitorSettings(ValueError):
    """A ``monitor`` section that does not validate; ``errors`` names each wrong key."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_section(section: object) -> dict[str, Any]:
    """Validate a region's own ``monitor`` section and return the keys it sets (unknown keys refused)."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise InvalidMonitorSettings(["settings.monitor must be an object"])
    try:
        MonitorSettings.model_validate({**MonitorSettings().model_dump(), **section})
    except ValidationError as exc:
        raise InvalidMonitorSettings(
            [f"{'.'.join(map(str, e['loc'])) or 'monitor'}: {error_message(e)}" for e in exc.errors()]
        ) from exc
    return dict(section)


def ancestors(region_code: str) -> list[str]:
    """The chain province → city → county that ends at ``region_code`` (codes that differ from it)."""
    if not (len(region_code) == 6 and region_code.isascii() and region_code.isdigit()):
        raise ValueError(f"not a region code: {region_code!r}")
    chain = [region_code[:2] + "0000", region_code[:4] + "00", region_code]
    out: list[str] = []
    for code in chain:
        if code not in out:
            out.append(code)
    return out


@dataclass(frozen=True)
class Effective:
    """The thresholds that apply in one region, and the looser values lower levels tried to set."""

    region_code: str
    settings: MonitorSettings
    set_by: dict[str, str] = field(default_factory=dict)  # key → region whose value applies
    ignored: list[dict[str, Any]] = field(default_factory=list)  # loosening attempts


def effective(region_code: str, sections: Mapping[str, Mapping[str, Any]]) -> Effective:
    """Thresholds for ``region_code`` from the regions' own sections: tightest value along the chain."""
    values: dict[str, Any] = MonitorSettings().model_dump()
    set_by: dict[str, str] = {}
    ignored: list[dict[str, Any]] = []
    for code in ancestors(region_code):
        own = sections.get(code) or {}
        for key, value in own.items():
            if key not in MonitorSettings.model_fields:
                continue
            direction = TIGHTER.get(key)
            current = values[key]
            if (
                direction is None
                or key not in set_by
                or (direction == "lower" and value <= current)
                or (direction == "higher" and value >= current)
            ):
                values[key] = value
                set_by[key] = code
            else:
                ignored.append({"region_code": code, "key": key, "value": value, "applies": current})
    try:
        settings = MonitorSettings.model_validate(values)
    except ValidationError:
        # Tightening one key may cross another (warning above violation): clamp the warnings.
        values["not_updated_warning_days"] = min(
            values["not_updated_warning_days"], values["not_updated_days"]
        )
        values["high_attention_not_updated_days"] = min(
            values["high_attention_not_updated_days"], values["not_updated_days"]
        )
        values["message_warning_workdays"] = min(
            values["message_warning_workdays"], values["message_violation_workdays"]
        )
        values["match_same_post_similarity"] = min(
            values["match_same_post_similarity"], values["match_noise_similarity"]
        )
        settings = MonitorSettings.model_validate(values)
    return Effective(region_code, settings, set_by, ignored)
