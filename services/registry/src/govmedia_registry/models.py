"""SQLAlchemy tables of the registry service (its own database; no other service reads them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
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


class Base(DeclarativeBase):
    """Declarative base of the registry's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB, list[str]: JSONB}


class Region(Base):
    """A node of the administrative tree (GB/T 2260 code)."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)  # province | city | county
    parent_code: Mapped[str | None] = mapped_column(Text, index=True)


class RegionSettings(Base):
    """Per-region rules (approval levels, deadlines, thresholds); absent keys inherit from above."""

    __tablename__ = "region_settings"
    region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(Text)


class Unit(Base):
    """A host unit (主办单位) or a competent office (主管单位) in a region."""

    __tablename__ = "units"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    duty_keywords: Mapped[list[str]] = mapped_column(JSONB, default=list)
    principal_name: Mapped[str | None] = mapped_column(Text)  # 主要负责人
    deputy_head_name: Mapped[str | None] = mapped_column(Text)  # 分管负责人
    liaison_person_id: Mapped[str | None] = mapped_column(Text)  # 联络员 (a registered person)
    contact_email: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("region_code", "name", name="uq_units_region_name"),)


class Person(Base):
    """A member of staff who signs in with a password."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    region_code: Mapped[str] = mapped_column(Text, index=True)
    roles: Mapped[list[str]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The unit PersonRegistered named (own unit, or the region's competent office); None: not yet announced.
    announced_unit_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Client(Base):
    """A machine client (an integrating government system) using client credentials."""

    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SigningKeyRow(Base):
    """Token signing keys; several may be published in the JWKS during a rotation."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WorkCalendarYear(Base):
    """An official holiday schedule loaded by an administrator for a year the package does not cover."""

    __tablename__ = "work_calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list[str]] = mapped_column(JSONB)
    workdays: Mapped[list[str]] = mapped_column(JSONB)
    loaded_by: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Account(Base):
    """A government new-media account (政务新媒体账号)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    platform_account_id: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(Text)
    attention_tier: Mapped[str] = mapped_column(Text, default="ordinary")
    interaction_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    review_levels: Mapped[int] = mapped_column(SmallInteger, default=3)
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    matrix_badge: Mapped[str | None] = mapped_column(Text, unique=True)
    operators: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    outsourcing: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    stop_update_notice: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    merged_into: Mapped[str | None] = mapped_column(Text)
    effective_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_accounts_unit_platform", "unit_id", "platform"),
        # One live account per unit per platform (seed 000), enforced by the database so two concurrent
        # openings cannot both pass the read-then-insert naming check (uniqueness.py names the rule).
        Index(
            "uq_accounts_live_unit_platform",
            "unit_id",
            "platform",
            unique=True,
            postgresql_where=text("status IN ('pending', 'announcing', 'active', 'suspended')"),
        ),
    )


class Filing(Base):
    """A filing (备案) for opening, changing, merging, suspending or deregistering an account."""

    __tablename__ = "filings"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    filing_type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    levels: Mapped[list[str]] = mapped_column(JSONB)
    current_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # +1 per resubmission
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    unit_id: Mapped[str] = mapped_column(Text)
    event_date: Mapped[date] = mapped_column(Date)
    filed_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    announcement_starts_on: Mapped[date | None] = mapped_column(Date)
    announcement_ends_on: Mapped[date | None] = mapped_column(Date)
    effective: Mapped[bool] = mapped_column(Boolean, default=False)
    filed_by: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_filings_due", "status", "effective", "announcement_ends_on"),)


class FilingDecision(Base):
    """One step on a filing: approve, return, reject, resubmit or withdraw at a level."""

    __tablename__ = "filing_decisions"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    level: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # the filing's version


class TokenRevocation(Base):
    """Revoked tokens as a feed: a subject's new generation, or a retired key (identity/revocation)."""

    __tablename__ = "token_revocations"
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    subject: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[int | None] = mapped_column(Integer)
    retired_kid: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        Index("ix_token_revocations_subject", "subject", "generation"),
        Index("ix_token_revocations_at", "at"),
    )


class AccountHistory(Base):
    """Everything that happened to an account, queryable forever."""

    __tablename__ = "account_history"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(Text)
    filing_id: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
