"""SQLAlchemy tables of the notify service (its own database; no other service reads them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
    """Declarative base of the notify service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(Text)}


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


# ------------------------------------------------------------------------------------------------ directory
# Projections of the registry's units, people, accounts and region settings, kept from its events.


class UnitView(Base):
    """A host unit (主办单位) or a competent office (主管单位) with the people notices are addressed to."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)  # unit | office
    principal_name: Mapped[str | None] = mapped_column(Text)  # 主要负责人
    deputy_head_name: Mapped[str | None] = mapped_column(Text)  # 分管负责人
    liaison_person_id: Mapped[str | None] = mapped_column(Text)  # 联络员
    contact_email: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonView(Base):
    """A member of staff of a unit or office."""

    __tablename__ = "people"

    person_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text, index=True)
    region_code: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountView(Base):
    """An account's name and host unit, for notices and bulletins."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(Text)
    unit_name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(Text)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegionSettingsView(Base):
    """The ``notify`` section a region sets explicitly (inheritance is resolved when read)."""

    __tablename__ = "region_settings"

    region_code: Mapped[str] = mapped_column(Text, primary_key=True)
    notify: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)


class CalendarYear(Base):
    """A year's official holiday schedule loaded in the registry (for years the calendar package lacks)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list[date]] = mapped_column(ARRAY(Date))
    workdays: Mapped[list[date]] = mapped_column(ARRAY(Date))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScoreView(Base):
    """The latest scores of an account for one period (rankings in bulletins)."""

    __tablename__ = "scores"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    period_kind: Mapped[str] = mapped_column(Text, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    platform: Mapped[str] = mapped_column(Text)
    composite: Mapped[float]
    passed: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------------------ cases


class CaseRow(Base):
    """A rectification case opened by one violation alert (unique per alert)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_unit_year", "unit_id", "ladder_year"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    alert_id: Mapped[str] = mapped_column(Text, unique=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    rule: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    alert_class: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rectify_by: Mapped[date] = mapped_column(Date)
    day_kind: Mapped[str] = mapped_column(Text)
    ladder_year: Mapped[int] = mapped_column(Integer)
    ladder_ordinal: Mapped[int] = mapped_column(Integer)
    next_reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alert_resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alert_resolution: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)


class EarlyResolution(Base):
    """The monitor's resolution of an alert read before the alert itself (its raise dead-lettered and
    replayed, a republish): the case the alert opens later takes it (or, for a false alarm, never opens).
    Kept for the delivery retention period (a warning's resolution opens nothing and is never taken)."""

    __tablename__ = "alert_resolutions"

    alert_id: Mapped[str] = mapped_column(Text, primary_key=True)
    resolution: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ReportRow(Base):
    """A rectification report (整改报告) signed by the unit's principal and sealed."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(Text)
    sealed: Mapped[bool] = mapped_column(Boolean)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)  # submitted | accepted | returned
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class AttachmentRow(Base):
    """An attachment stored once by its content hash."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    media_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _now()


# ------------------------------------------------------------------------------------------------ ladder


class LadderCounter(Base):
    """Violation alerts of a host unit in one ladder year (二四六), counted atomically."""

    __tablename__ = "ladder_counters"

    unit_id: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class InterviewRow(Base):
    """An interview (约谈) scheduled by the ladder, and whether it took place."""

    __tablename__ = "interviews"
    __table_args__ = (UniqueConstraint("unit_id", "year", "violation_count"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    case_id: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    violation_count: Mapped[int] = mapped_column(Integer)
    ladder_step: Mapped[int] = mapped_column(Integer)
    interviewee_role: Mapped[str] = mapped_column(Text)
    interviewee_name: Mapped[str | None] = mapped_column(Text)
    interviewer_role: Mapped[str] = mapped_column(Text)
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    held_notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Withdrawn before it took place: a false alarm took the unit's count back below its step.
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


# ------------------------------------------------------------------------------------------------ closure


class ClosureListing(Base):
    """An account listed in a quarter's bulletin for repeated not-updated notices (seed 002)."""

    __tablename__ = "closure_listings"

    account_id: Mapped[str] = mapped_column(Text, primary_key=True)
    quarter: Mapped[str] = mapped_column(Text, primary_key=True)  # 2025-Q3
    unit_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    notice_count: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    recommended: Mapped[bool] = mapped_column(Boolean)
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------------------ channels


class Subscription(Base):
    """A webhook subscription of an organisation to some event kinds."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    org_id: Mapped[str] = mapped_column(Text, index=True)
    region_code: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)  # unit (own cases) | region (the region's subtree)
    event_kinds: Mapped[list[str]] = mapped_column(ARRAY(Text))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One message to one recipient over one channel: a durable row, sent and retried by the dispatcher."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_deliveries_inbox", "org_id", "created_at", postgresql_where=text("channel = 'inbox'")),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Text, unique=True)
    channel: Mapped[str] = mapped_column(Text)  # inbox | email | sms | webhook
    kind: Mapped[str] = mapped_column(Text)  # notice | reminder | escalation | ... | digest
    org_id: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(Text, index=True)
    subscription_id: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------------------ bulletins


class BulletinRow(Base):
    """A published bulletin (通报) of a region for one period, as data, HTML and PDF."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("region_code", "period_kind", "period_start"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    region_code: Mapped[str] = mapped_column(Text)
    period_kind: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    published_by: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
