"""SQLAlchemy tables of the scoring service (its own database; no other service reads them).

Facts kept from the streams (accounts, posts, checks, alerts, joint-push targets, region settings) feed one
derived table, ``account_days`` — the per-account daily aggregates — which is all the score computation
reads. ``scores`` holds one row per account and period; ``score_runs`` when each period was computed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    MetaData,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from govmedia_common.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    """Declarative base of the scoring service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Account(Base):
    """Projection of a registry account: what scoring needs to place and rank it."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text)
    unit_name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    platform: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    high_attention: Mapped[bool] = mapped_column(Boolean, server_default="false")
    interaction_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Post(Base):
    """A post seen published (review or monitor) and the latest cumulative metrics snapshot of it."""

    __tablename__ = "posts"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    platform_post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    post_id: Mapped[str | None] = mapped_column(Text)
    day: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    original: Mapped[bool] = mapped_column(Boolean, server_default="false")
    errors_serious: Mapped[int] = mapped_column(Integer, server_default="0")
    errors_ordinary: Mapped[int] = mapped_column(Integer, server_default="0")
    # The version whose machine-check findings errors_* count (the review's publication): a check of it read
    # after the publication (a replay) then updates them.
    content_hash: Mapped[str | None] = mapped_column(Text)
    reads: Mapped[int | None] = mapped_column(BigInteger)
    watching: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    metrics_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_posts_account_day", "account_id", "day"),)


MAX_METRIC = 10**12


class MetricSnapshot(Base):
    """A metric snapshot of a post as it arrived, not yet folded into ``posts`` and ``account_days``."""

    __tablename__ = "metric_snapshots"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)  # arrival order
    platform_post_id: Mapped[str] = mapped_column(Text)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reads: Mapped[int | None] = mapped_column(BigInteger)
    watching: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)

    # A count no day's or period's sum can overflow (10^12 per post: far above any platform's), refused as it
    # arrives: the fold of a larger one failed every later computation with "bigint out of range".
    __table_args__ = tuple(
        CheckConstraint(f"{m} BETWEEN 0 AND {MAX_METRIC}", name=f"{m}_plausible")
        for m in ("reads", "watching", "likes", "shares", "comments")
    )


class ReviewPost(Base):
    """What review said about a post before it went out: original or repost."""

    __tablename__ = "review_posts"

    post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text)
    original: Mapped[bool] = mapped_column(Boolean)


class PostCheck(Base):
    """Machine-check findings of one version of a post; counted when that version is published."""

    __tablename__ = "post_checks"

    post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    content_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    serious: Mapped[int] = mapped_column(Integer)
    ordinary: Mapped[int] = mapped_column(Integer)


class Alert(Base):
    """A monitor alert on the day it was raised; dismissed ones stop counting."""

    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text)
    day: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    alert_class: Mapped[str] = mapped_column(Text)
    dismissed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    resolved: Mapped[bool] = mapped_column(Boolean, server_default="false")

    __table_args__ = (Index("ix_alerts_account_day", "account_id", "day"),)


class EarlyResolution(Base):
    """An ``AlertResolved`` read before its ``AlertRaised`` (a raise dead-lettered and replayed, a republish):
    kept until the alert arrives, which then takes it (resolved, dismissed) and removes it."""

    __tablename__ = "alert_resolutions"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    dismissed: Mapped[bool] = mapped_column(Boolean, server_default="false")


class CampaignTarget(Base):
    """One target account of a joint push (联动推送), due on the deadline's day."""

    __tablename__ = "campaign_targets"

    campaign_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    deadline_day: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (Index("ix_campaign_targets_account_day", "account_id", "deadline_day"),)


class Case(Base):
    """A notification case (notify): when the unit was notified, and whether it was rectified in time."""

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)
    alert_id: Mapped[str | None] = mapped_column(Text)
    notified_day: Mapped[date | None] = mapped_column(Date)
    rectify_by: Mapped[date | None] = mapped_column(Date)
    closed_day: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)


class AccountDay(Base):
    """Per-account daily aggregates: everything the indices are computed from, refreshed set-based."""

    __tablename__ = "account_days"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    posts: Mapped[int] = mapped_column(Integer, server_default="0")
    original_posts: Mapped[int] = mapped_column(Integer, server_default="0")
    reads: Mapped[int] = mapped_column(BigInteger, server_default="0")
    watching: Mapped[int] = mapped_column(BigInteger, server_default="0")
    likes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    shares: Mapped[int] = mapped_column(BigInteger, server_default="0")
    comments: Mapped[int] = mapped_column(BigInteger, server_default="0")
    lead_reads: Mapped[int] = mapped_column(BigInteger, server_default="0")
    lead_watching: Mapped[int] = mapped_column(BigInteger, server_default="0")
    lead_likes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    lead_shares: Mapped[int] = mapped_column(BigInteger, server_default="0")
    max_reads: Mapped[int] = mapped_column(BigInteger, server_default="0")
    max_watching: Mapped[int] = mapped_column(BigInteger, server_default="0")
    max_likes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    max_shares: Mapped[int] = mapped_column(BigInteger, server_default="0")
    max_comments: Mapped[int] = mapped_column(BigInteger, server_default="0")
    errors_serious: Mapped[int] = mapped_column(Integer, server_default="0")
    errors_ordinary: Mapped[int] = mapped_column(Integer, server_default="0")
    pushes_assigned: Mapped[int] = mapped_column(Integer, server_default="0")
    pushes_done: Mapped[int] = mapped_column(Integer, server_default="0")
    pushes_on_time: Mapped[int] = mapped_column(Integer, server_default="0")
    violations: Mapped[int] = mapped_column(Integer, server_default="0")
    not_updated_alerts: Mapped[int] = mapped_column(Integer, server_default="0")
    interaction_off_alerts: Mapped[int] = mapped_column(Integer, server_default="0")
    serious_alerts: Mapped[int] = mapped_column(Integer, server_default="0")
    followers: Mapped[int | None] = mapped_column(BigInteger)
    followers_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The days with a post, in order: the longest gap of a quarter or year is read from here without a sort.
    # By day: a period's aggregate reads that period's rows, not the whole history.
    __table_args__ = (
        Index("ix_account_days_post_days", "account_id", "day", postgresql_where=text("posts > 0")),
        Index("ix_account_days_day", "day"),
    )


class RegionSetting(Base):
    """A region's own scoring section, as the registry last announced it."""

    __tablename__ = "region_settings"

    region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RulesSnapshot(Base):
    """The rules a score was computed with, by digest (scores reference it, explain reads it)."""

    __tablename__ = "rules_snapshots"

    digest: Mapped[str] = mapped_column(Text, primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Score(Base):
    """The five indices, the composite and the verdict of one account for one period, with their inputs."""

    __tablename__ = "scores"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    period_kind: Mapped[str] = mapped_column(Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text)
    diligence: Mapped[float] = mapped_column(Float)
    effect: Mapped[float] = mapped_column(Float)
    content: Mapped[float] = mapped_column(Float)
    cluster: Mapped[float] = mapped_column(Float)
    growth: Mapped[float] = mapped_column(Float)
    composite: Mapped[float] = mapped_column(Float)
    base: Mapped[float] = mapped_column(Float)
    effect_raw: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    veto_reasons: Mapped[list[str]] = mapped_column(ARRAY(Text))
    previous_base: Mapped[float | None] = mapped_column(Float)
    year_ago_base: Mapped[float | None] = mapped_column(Float)
    # float8 arrays in the order of engine.sql.INPUT_VALUES / PART_KEYS (see inputs_of / parts_of)
    inputs: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    parts: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    rules_digest: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_scores_period_region", "period_kind", "period_start", "region_code"),)


class ScoreRun(Base):
    """When a period was last computed, and how many scores that run changed."""

    __tablename__ = "score_runs"

    period_kind: Mapped[str] = mapped_column(Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    accounts: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    stale: Mapped[bool] = mapped_column(Boolean, server_default="false")  # settings changed since


class ScoreFingerprint(Base):
    """What the scores of one platform in one period were last computed from, as one 64-bit hash.

    The hash covers every input of those scores: each account's attributes, its aggregates of the period,
    of the previous and of the year-ago period, the digest of its rules, and the formulas' own version. A
    recompute that finds the same hash skips the platform (effect percentiles and growth are relative within
    a platform, so a platform is the smallest unit that can be skipped whole).
    """

    __tablename__ = "score_fingerprints"

    period_kind: Mapped[str] = mapped_column(Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(Text, primary_key=True)
    fingerprint: Mapped[int] = mapped_column(BigInteger)
