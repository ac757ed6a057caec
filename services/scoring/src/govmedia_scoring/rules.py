"""Scoring settings per region: every number of every formula, with its default and its direction.

Administrators set them in the ``scoring`` section of a region's settings (the registry announces them with
``RegionSettingsChanged``). Regions inherit province → city → county; a lower region may make a rule
*stricter* but never looser than the region above it (architecture decision 14). A key that would loosen is
held at the parent's value and the fact is reported in :attr:`Resolution.notes`. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govmedia_common.json_values import JsonBool, JsonInt, JsonNumber, error_message

SECTION = "scoring"
"""Key of the scoring section in a region's settings document."""

Direction = Literal["higher", "lower"]


class ScoringRules(BaseModel):
    """Every threshold, target and weight of the five indices, the composite and the verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # 勤勉 diligence
    diligence_weekly_target_posts: JsonNumber = Field(
        5.0, gt=0, le=200, description="Posts a week that earn the full volume part."
    )
    diligence_day_share_target: JsonNumber = Field(
        0.4, gt=0, le=1, description="Share of days with a post that earns the full days part."
    )
    diligence_gap_limit_days: JsonInt = Field(
        14, ge=1, le=365, description="A gap this long (days without a post) takes the whole gap part."
    )
    diligence_gap_limit_days_high_attention: JsonInt = Field(
        7, ge=1, le=365, description="The same for high-attention accounts (update weekly, seed 003)."
    )
    diligence_weight_volume: JsonNumber = Field(0.5, ge=0, le=1)
    diligence_weight_days: JsonNumber = Field(0.25, ge=0, le=1)
    diligence_weight_gap: JsonNumber = Field(0.25, ge=0, le=1)
    # 内容 content
    content_serious_error_points: JsonNumber = Field(
        10.0, ge=0, le=100, description="Points off per serious error."
    )
    content_ordinary_error_points: JsonNumber = Field(
        2.0, ge=0, le=100, description="Points off per ordinary error."
    )
    content_original_credit: JsonNumber = Field(
        10.0, ge=0, le=100, description="Points back when every post is original (pro rata to the share)."
    )
    # 集群 cluster
    cluster_weight_completion: JsonNumber = Field(0.6, ge=0, le=1)
    cluster_weight_timeliness: JsonNumber = Field(0.4, ge=0, le=1)
    cluster_without_pushes: JsonNumber = Field(
        100.0, ge=0, le=100, description="Cluster index of a period in which no joint push fell due."
    )
    # 成长 growth
    growth_weight_period: JsonNumber = Field(
        0.5, ge=0, le=1, description="Weight of period-on-period change."
    )
    growth_weight_year: JsonNumber = Field(0.5, ge=0, le=1, description="Weight of year-on-year change.")
    # composite
    weight_diligence: JsonNumber = Field(0.25, ge=0, le=1)
    weight_effect: JsonNumber = Field(0.20, ge=0, le=1)
    weight_content: JsonNumber = Field(0.25, ge=0, le=1)
    weight_cluster: JsonNumber = Field(0.15, ge=0, le=1)
    weight_growth: JsonNumber = Field(0.15, ge=0, le=1)
    # verdict (一票否决)
    veto_serious_errors_max: JsonInt = Field(
        3, ge=0, le=1000, description="More serious errors than this in a period fail it."
    )
    veto_not_updated: JsonBool = Field(True, description="A not-updated violation fails the period.")
    veto_interaction_off: JsonBool = Field(True, description="An interaction-off violation fails the period.")
    veto_serious_alert: JsonBool = Field(
        True, description="A serious alert (safety, leak, publication without review) fails the period."
    )

    @model_validator(mode="after")
    def _weights_add_up(self) -> ScoringRules:
        groups = {
            "diligence weights": (
                self.diligence_weight_volume,
                self.diligence_weight_days,
                self.diligence_weight_gap,
            ),
            "cluster weights": (self.cluster_weight_completion, self.cluster_weight_timeliness),
            "growth weights": (self.growth_weight_period, self.growth_weight_year),
            "composite weights": tuple(self.weights().values()),
        }
        for name, values in groups.items():
            if sum(values) <= 0:
                raise ValueError(f"{name} cannot all be zero")
        return self

    def weights(self) -> dict[str, float]:
        """Composite weight of each index by index name (as ScoresComputed carries them)."""
        return {
            "diligence": self.weight_diligence,
            "effect": self.weight_effect,
            "content": self.weight_content,
            "cluster": self.weight_cluster,
            "growth": self.weight_growth,
        }

    def digest(self) -> str:
        """A short stable hash of the rules (scores record which rules made them)."""
        return hashlib.sha256(orjson.dumps(self.model_dump(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


DEFAULTS = ScoringRules()

# Which way is stricter, for the keys where it is meaningful; weights are free at every level.
STRICTER: dict[str, Direction] = {
    "diligence_weekly_target_posts": "higher",
    "diligence_day_share_target": "higher",
    "diligence_gap_limit_days": "lower",
    "diligence_gap_limit_days_high_attention": "lower",
    "content_serious_error_points": "higher",
    "content_ordinary_error_points": "higher",
    "content_original_credit": "lower",
    "cluster_without_pushes": "lower",
    "veto_serious_errors_max": "lower",
    "veto_not_updated": "higher",
    "veto_interaction_off": "higher",
    "veto_serious_alert": "higher",
}


@dataclass(frozen=True)
class Resolution:
    """The rules in force for one region and what the layering did to get them."""

    rules: ScoringRules
    sources: dict[str, str] = field(default_factory=dict)  # key -> region code that set it ("default")
    notes: tuple[str, ...] = ()


def validate_section(section: object) -> ScoringRules:
    """A region's own scoring section on top of the defaults; ValueError naming what is wrong."""
    if not isinstance(section, Mapping):
        raise ValueError("the scoring settings must be an object")
    try:
        return ScoringRules.model_validate({**DEFAULTS.model_dump(), **section})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {error_message(e)}" for e in exc.errors())
        raise ValueError(problems) from exc


def _looser(key: str, value: Any, parent: Any) -> bool:
    direction = STRICTER.get(key)
    if direction is None:
        return False
    return bool(value < parent) if direction == "higher" else bool(value > parent)


def resolve(layers: Iterable[tuple[str, Mapping[str, Any]]]) -> Resolution:
    """Rules for the last region of ``layers`` (province first), each layer a region's own scoring section.

    An invalid layer is skipped as a whole (noted); a key that loosens the rule of the region above is held
    at that value (noted). The result always validates.
    """
    current = DEFAULTS.model_dump()
    sources = dict.fromkeys(current, "default")
    notes: list[str] = []
    for code, section in layers:
        try:
            validate_section(section)
        except ValueError as exc:
            notes.append(f"{code}: settings ignored ({exc})")
            continue
        for key, value in section.items():
            if _looser(key, value, current[key]):
                notes.append(
                    f"{code}: {key}={value!r} would loosen the rule of {sources[key]} "
                    f"({current[key]!r}); kept"
                )
                continue
            current[key] = value
            sources[key] = code
    try:
        rules = ScoringRules.model_validate(current)
    except ValidationError as exc:  # e.g. weights that only add up to zero once combined
        notes.append(f"combined settings invalid, defaults used: {exc.errors()[0]['msg']}")
        rules, sources = DEFAULTS, dict.fromkeys(current, "default")
    return Resolution(rules, sources, tuple(notes))


def region_path(code: str) -> tuple[str, ...]:
    """Province, city, county codes down to ``code`` (331004 → 330000, 331000, 331004).

    Grouping codes (PP90xx, 省直辖) have no city layer; a layer nobody configured simply adds nothing.
    """
    path = [code[:2] + "0000"]
    if code[2:4] != "00" and code[2:4] != "90":
        path.append(code[:4] + "00")
    if code[4:] != "00":
        path.append(code)
    return tuple(dict.fromkeys(path))


def region_level(code: str) -> str:
    """``province``, ``city`` or ``county`` by the shape of a GB/T 2260 code."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"
