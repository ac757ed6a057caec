"""Request and response models of the scoring API (not the tables, not the events)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govmedia_common.events.scoring import PeriodKind
from govmedia_common.json_values import JsonDate


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IndicesOut(_Out):
    """The five indices and the composite, 0–100."""

    diligence: float
    effect: float
    content: float
    cluster: float
    growth: float
    composite: float


class ScoreRow(IndicesOut):
    """One account's scores for one period (lists and rankings)."""

    account_id: str
    name: str | None = None
    unit_id: str
    region_code: str
    level: str
    platform: str
    period_kind: str
    period_start: date
    period_end: date
    passed: bool
    veto_reasons: list[str]
    rank: int | None = None


class VetoOut(_Out):
    code: str = Field(description="not_updated, interaction_off, serious_alert or serious_errors")
    rule: str = Field(description="The rule behind the veto, with the region's threshold")
    count: int = Field(description="How many violations or errors triggered it")


class ExplainedScore(ScoreRow):
    """A score with everything that explains it: inputs, parts of each index, weights, vetoes, rules."""

    effect_raw: float = Field(description="Raw effect value before the peer-group mapping")
    effect_formula: str
    inputs: dict[str, Any] = Field(description="Aggregates of the period the indices are computed from")
    parts: dict[str, dict[str, float]] = Field(description="Intermediate values of each index")
    weights: dict[str, float]
    vetoes: list[VetoOut]
    rules: dict[str, Any] = Field(description="Every setting the score was computed with")
    rules_digest: str
    computed_at: datetime


class RecomputeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period_kind": "month", "period_start": "2025-09-01"}]},
    )

    period_kind: PeriodKind
    period_start: JsonDate = Field(
        ge=date(2000, 1, 1),
        le=date(2100, 1, 1),
        description="First day of the period (a Monday for weeks, the 1st otherwise)",
    )


class RecomputeOut(BaseModel):
    period_kind: PeriodKind
    period_start: date
    period_end: date
    accounts: int = Field(description="Accounts scored")
    changed: int = Field(description="Scores that changed (and were announced)")


class RulesOut(BaseModel):
    region_code: str
    rules: dict[str, Any]
    sources: dict[str, str] = Field(description="Region code that set each key, or 'default'")
    notes: list[str] = Field(description="Keys held because they would loosen a higher level; invalid layers")


class PublicEntry(BaseModel):
    """What the public leaderboard (晾晒台) shows of one account."""

    rank: int
    account_name: str
    unit_name: str
    platform: str
    region_code: str
    composite: float
    diligence: float
    effect: float
    content: float
    cluster: float
    growth: float
    passed: bool
    veto_reasons: list[str]


class PublicRegion(_Out):
    """One region's aggregate on the public leaderboard."""

    region_code: str
    accounts: int
    passed: int
    mean_composite: float


class PublicBoard(BaseModel):
    period_kind: str
    period_start: date
    period_end: date
    region_code: str
    entries: list[PublicEntry]
    regions: list[PublicRegion] = Field(
        description="Each region of the subtree: accounts, passed, mean composite"
    )


class IndexDistribution(BaseModel):
    count: int
    mean: float | None
    min: float | None
    p25: float | None
    median: float | None
    p75: float | None
    max: float | None
    histogram: list[int] = Field(description="Counts in ten bands: [0,10), [10,20), … [90,100]")


class DistributionOut(BaseModel):
    region_code: str
    period_kind: str
    period_start: date
    accounts: int
    passed: int
    pass_rate: float | None
    indices: dict[str, IndexDistribution]
    by_platform: dict[str, dict[str, float | int | None]]


class StatisticsColumn(BaseModel):
    """One platform column of the statistics form (政务新媒体情况统计表), monitoring and scoring rows."""

    accounts_open: int = Field(description="开设的新媒体数量")
    accounts_with_problems: int = Field(description="排查出问题的新媒体数量: a violation alert in the period")
    accounts_fixed: int = Field(
        description="问题已整改的新媒体数量: all its violation alerts resolved, or all its cases closed"
    )
    notices: int = Field(description="即时通报 issued in the period (notify cases opened)")
    rectified_on_time: int = Field(description="Of those, cases closed rectified by the deadline")
    accounts_with_interaction: int = Field(description="具有互动功能的新媒体数量")
    posts: int = Field(description="信息发布数量 in the period")
    scored: int
    passed: int
    mean_composite: float | None


class StatisticsOut(BaseModel):
    region_code: str
    period_kind: str
    period_start: date
    period_end: date
    columns: dict[str, StatisticsColumn] = Field(
        description="weibo, wechat, app (移动客户端), other (其他政务新媒体) and total (合计)"
    )
