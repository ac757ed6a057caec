"""SQLAlchemy tables of the monitor service (its own database; no other service reads them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from govmedia_common.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    """Declarative base of the monitor service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB, list[Any]: JSONB}


# ------------------------------------------------------------------------------------------ projections


class Account(Base):
    """The monitor's copy of a registry account, plus what the monitor itself observed about it."""

    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    platform_account_id: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text, index=True)
    unit_name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(Text)
    attention_tier: Mapped[str] = mapped_column(Text)
    # The day the account last became active: a silent account counts from here when it never posted.
    active_since: Mapped[date | None] = mapped_column(Date)
    interaction_enabled: Mapped[bool] = mapped_column(Boolean)
    interaction_off_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    interaction_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # occurred_at of the registry event
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PendingOverride(Base):
    """A ``PostOverridden`` read before the registry's account (no order across topics): its ``override``
    alert is raised when the account arrives."""

    __tablename__ = "pending_overrides"
    post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingPublication(Base):
    """A ``PostPublished`` read before the post's ``PostApproved`` (the approval replayed after a fix): the
    platform id it was published under, given to the approved post when it arrives."""

    __tablename__ = "pending_publications"
    post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    platform_post_id: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApprovedPost(Base):
    """A post the review approved (and maybe published): what observed posts are matched against."""

    __tablename__ = "approved_posts"
    post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    similarity_text: Mapped[str] = mapped_column(Text)  # matching.similarity_form(title, text)
    content_hash: Mapped[str] = mapped_column(Text, index=True)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_post_id: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_approved_posts_account_approved", "account_id", "approved_at"),
        Index("ix_approved_posts_platform_post", "account_id", "platform_post_id"),
    )


class RegionSettings(Base):
    """A region's own settings document from the registry (only its ``monitor`` section is used)."""

    __tablename__ = "region_settings"
    region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    monitor: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # why the section was refused, when it was
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Workday(Base):
    """One calendar day on the official calendar; ``ordinal`` counts working days up to and including it."""

    __tablename__ = "workdays"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    ordinal: Mapped[int] = mapped_column(Integer)


class CalendarLoad(Base):
    """When the stored schedule of a year was loaded in the registry (``WorkCalendarLoaded``): an older load
    read later (a replay, a republish) does not replace a correction."""

    __tablename__ = "calendar_loads"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------------ observations


class ObservedPost(Base):
    """A post as seen on the platform, with the approved post it matched and how well."""

    __tablename__ = "observed_posts"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    platform_post_id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    platform: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ingest_channel: Mapped[str] = mapped_column(Text)
    match_kind: Mapped[str] = mapped_column(Text)  # matching.MatchKind
    matched_post_id: Mapped[str | None] = mapped_column(Text)
    match_score: Mapped[float | None] = mapped_column(Float)
    check_blocking: Mapped[bool | None] = mapped_column(Boolean)
    check_findings: Mapped[list[Any] | None] = mapped_column(JSONB)
    check_lexicons: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    __table_args__ = (
        Index("ix_observed_posts_account_published", "account_id", "published_at"),
        Index("ix_observed_posts_region_published", "region_code", "published_at"),
        # the hot words' daily re-mine: posts of a day's window observed since it was mined (days_to_mine)
        Index("ix_observed_posts_observed_published", "observed_at", "published_at"),
    )


class MetricSnapshot(Base):
    """Cumulative metrics of a post (or of the account when ``post_key`` is empty) at one instant."""

    __tablename__ = "metric_snapshots"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    post_key: Mapped[str] = mapped_column(Text, primary_key=True)  # platform post id, '' for the account
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    reads: Mapped[int | None] = mapped_column(BigInteger)
    watching: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    ingest_channel: Mapped[str] = mapped_column(Text)


class Message(Base):
    """A public message (留言/评论/私信) to an account and, once it appears, the account's answer."""

    __tablename__ = "messages"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    message_id: Mapped[str] = mapped_column(Text, primary_key=True)
    channel: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date] = mapped_column(Date)  # the Asia/Shanghai day it was received
    platform_post_id: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ingest_channel: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        Index("ix_messages_open", "account_id", "received_on", postgresql_where=text("answered_at IS NULL")),
    )


class InteractionSwitch(Base):
    """One observation of an account's public interaction being switched on or off."""

    __tablename__ = "interaction_switches"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    ingest_channel: Mapped[str] = mapped_column(Text)


# ------------------------------------------------------------------------------------------------ alerts


class Alert(Base):
    """An alert: unique per (account, rule, period); open until its condition clears or it is dismissed."""

    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    account_id: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    alert_class: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    state: Mapped[str] = mapped_column(Text)  # open | resolved
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("account_id", "rule", "period", name="uq_alerts_account_rule_period"),
        Index("ix_alerts_region_state", "region_code", "state"),
        Index("ix_alerts_open_rule", "rule", "account_id", postgresql_where=text("state = 'open'")),
    )


# --------------------------------------------------------------------------------------------- hot words


class HotWord(Base):
    """One term of a region's hot words (热词) for one day, with its weight and rank."""

    __tablename__ = "hot_words"
    region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    posts: Mapped[int] = mapped_column(Integer)  # posts the extraction read


class HotWordMining(Base):
    """When a day's hot words were last mined for every region: the daily job mines again the days of the
    last week not mined since they ended (mined at their first minute, or missed while it was down)."""

    __tablename__ = "hot_word_minings"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    mined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LexiconList(Base):
    """The latest version of one lexicon list (scope region, kind) the review announced (LexiconPublished)."""

    __tablename__ = "lexicon_lists"
    scope_region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(Text)
    document_hash: Mapped[str] = mapped_column(Text)
    document_path: Mapped[str] = mapped_column(Text)
    # None when the list was too large to travel inline and has not been fetched: the check skips it.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
