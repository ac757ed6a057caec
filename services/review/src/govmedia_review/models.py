"""SQLAlchemy tables of the review service (its own database; no other service reads them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from govmedia_common.db import NAMING_CONVENTION
from govmedia_review.domain import level_name


class Base(DeclarativeBase):
    """Declarative base of the review service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB, list[Any]: JSONB}


class AccountView(Base):
    """The review service's copy of a registry account, kept from the snapshots of account events."""

    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text, index=True)
    unit_name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(Text)
    review_levels: Mapped[int] = mapped_column(SmallInteger)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # occurred_at of the event applied
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Post(Base):
    """A post for an account, from submission through review to publication."""

    __tablename__ = "posts"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    platform: Mapped[str] = mapped_column(Text)
    campaign_id: Mapped[str | None] = mapped_column(Text, index=True)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_by_name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    review_levels: Mapped[int] = mapped_column(SmallInteger)
    current_level: Mapped[int | None] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    is_reprint: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    blocking: Mapped[bool] = mapped_column(Boolean)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    approved_hash: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    platform_post_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_posts_unit_status", "unit_id", "status"),)

    @property
    def current_level_name(self) -> str | None:
        """初审, 复审, 终审 … of the level the post waits at (lists read rows, not the whole aggregate)."""
        return level_name(self.current_level, self.review_levels) if self.current_level else None


class PostRevision(Base):
    """One submitted version of a post and the machine check of exactly that version."""

    __tablename__ = "post_revisions"
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    is_reprint: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocking: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    lexicon_versions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewStep(Base):
    """One review decision at one level of one revision (never updated)."""

    __tablename__ = "review_steps"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(SmallInteger)
    decision: Mapped[str] = mapped_column(Text)
    reviewer_id: Mapped[str] = mapped_column(Text)
    reviewer_name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lexicon(Base):
    """One version of one lexicon list: a kind at a scope (region); one active version per scope and kind."""

    __tablename__ = "lexicons"
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 000000 = the shipped default; a province's list replaces it; lower regions' lists add to it.
    scope_region: Mapped[str] = mapped_column(Text, server_default="000000")
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    entries: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        UniqueConstraint("scope_region", "kind", "version", name="uq_lexicons_scope_kind_version"),
        Index(
            "uq_lexicons_active_scope_kind",
            "scope_region",
            "kind",
            unique=True,
            postgresql_where=text("active"),
        ),
    )


class Campaign(Base):
    """A joint push (联动推送): content that target accounts republish, each through its own review."""

    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issuer_id: Mapped[str] = mapped_column(Text)
    issuer_name: Mapped[str] = mapped_column(Text)
    issuer_region_code: Mapped[str] = mapped_column(Text, index=True)
    targeting: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CampaignTarget(Base):
    """One account that must republish a joint push, and when it did."""

    __tablename__ = "campaign_targets"
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_name: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text, index=True)
    region_code: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
