"""Events the scoring service owns: computed indices per account and period (``gov.scoring.scores``, key
``account_id``). Topic, aggregate and key are declared once, on :class:`_ScoringEvent`.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from govmedia_common.events.base import Fact
from govmedia_common.events.types import (
    Platform,
    RegionCode,
    Score,
    Uuid,
)

__all__ = [
    "PeriodKind",
    "ScoresComputed",
]


class PeriodKind(StrEnum):
    """Length of a scoring period."""

    DAY = "day"
    WEEK = "week"  # ISO week, Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_INDICES = ("diligence", "effect", "content", "cluster", "growth")


def _period_end(kind: PeriodKind, start: date) -> date:
    if kind is PeriodKind.DAY:
        return start
    if kind is PeriodKind.WEEK:
        return start + timedelta(days=6)
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1) - timedelta(days=1)


def _period_start_ok(kind: PeriodKind, start: date) -> bool:
    if kind is PeriodKind.DAY:
        return True
    if kind is PeriodKind.WEEK:
        return start.weekday() == 0
    if start.day != 1:
        return False
    if kind is PeriodKind.QUARTER:
        return start.month in (1, 4, 7, 10)
    if kind is PeriodKind.YEAR:
        return start.month == 1
    return True


class _ScoringEvent(
    Fact, service="scoring", topic="gov.scoring.scores", aggregate="account", key="account_id"
):
    """Events the scoring service owns, keyed by the account."""


class ScoresComputed(_ScoringEvent, type="gov.scoring.scores.computed.v1"):
    """The five indices, the composite and the pass/fail verdict of one account for one period.

    A later event for the same account, period kind and start replaces an earlier one (recomputation).
    """

    account_id: Uuid = Field(description="The account (Kafka key).")
    unit_id: Uuid = Field(description="Its host unit.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    platform: Platform = Field(description="Platform of the account (scores rank within platform).")
    period_kind: PeriodKind = Field(description="Length of the period.")
    period_start: date = Field(
        description="First day: any day, a Monday, or the 1st of a month/quarter/year."
    )
    period_end: date = Field(description="Last day of the period, inclusive.")
    diligence: Score = Field(description="勤勉 diligence index.")
    effect: Score = Field(description="效果 effect (reach and engagement) index.")
    content: Score = Field(description="内容 content quality index.")
    cluster: Score = Field(description="集群 cluster (joint-push completion) index.")
    growth: Score = Field(description="成长 growth index; 50 means no change.")
    composite: Score = Field(description="Weighted composite of the five indices.")
    weights: dict[str, float] = Field(description="Weight of each index in the composite, by index name.")
    passed: bool = Field(description="Pass/fail verdict of the period; any veto fails it.")
    veto_reasons: tuple[str, ...] = Field(
        description="Veto-level violations in the period (e.g. not_updated, interaction_off); empty if none."
    )
    # Explainability (additive, optional): what the scores were computed from and how.
    inputs: dict[str, float | int | bool | str] | None = Field(
        default=None,
        description="The period's aggregates the indices were computed from (posts, days_with_post, "
        "longest_gap, reads, watching, likes, shares, comments, errors by severity, joint pushes, "
        "alerts...).",
    )
    parts: dict[str, dict[str, float]] | None = Field(
        default=None,
        description="Intermediate values of each index by index name, e.g. diligence: volume, days, gap; "
        "content: penalty, credit; cluster: completion, timeliness; growth: base, previous_base.",
    )
    effect_raw: float | None = Field(
        default=None,
        description="The platform's raw effect value (清博 WCI v14.2, BCI or the feed index) before it was "
        "mapped to 0-100 within the platform and period.",
    )
    veto_rules: dict[str, str] | None = Field(
        default=None, description="The rule behind each veto reason, with the region's threshold, by reason."
    )
    rules_digest: str | None = Field(
        default=None, description="Digest of the region settings the scores were computed with."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not _period_start_ok(self.period_kind, self.period_start):
            raise ValueError(f"{self.period_start} does not start a {self.period_kind.value}")
        if self.period_end != _period_end(self.period_kind, self.period_start):
            raise ValueError("period_end does not match period_kind and period_start")
        if self.veto_reasons and self.passed:
            raise ValueError("a period with a veto cannot pass")
        unknown = set(self.weights) - set(_INDICES)
        if unknown:
            raise ValueError(f"weights name unknown indices: {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights cannot be negative")
        return self
