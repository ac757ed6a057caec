"""Queries of the channels: deliveries (the durable outbox of messages), the inbox, subscriptions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import any_, delete, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_within
from govmedia_notify.channels.domain import Channel, DeliveryStatus
from govmedia_notify.models import Delivery, Subscription


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert deliveries (one statement) except those whose id exists; returns how many were inserted."""
    if not rows:
        return 0
    stmt = insert(Delivery).on_conflict_do_nothing(index_elements=[Delivery.id]).returning(Delivery.id)
    return len((await session.execute(stmt, rows)).all())


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease_seconds: float
) -> list[Delivery]:
    """Lock due pending deliveries (skipping those another dispatcher holds) and lease them."""
    stmt = (
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(stmt)).scalars())
    for row in rows:
        row.claimed_until = now + timedelta(seconds=lease_seconds)
    return rows


async def subscription_secrets(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Subscription.id, Subscription.secret).where(Subscription.id.in_(ids), Subscription.active)
    )
    return {r.id: r.secret for r in rows}


async def record_outcome(
    session: AsyncSession,
    delivery_id: str,
    *,
    delivered_at: datetime | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """Mark a delivery delivered, or count the failure and schedule the next try (None: dead)."""
    values: dict[str, Any] = {"attempts": Delivery.attempts + 1, "claimed_until": None}
    if delivered_at is not None:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": delivered_at, "last_error": None}
    elif next_attempt_at is None:
        values |= {"status": DeliveryStatus.DEAD, "last_error": error}
    else:
        values |= {"next_attempt_at": next_attempt_at, "last_error": error}
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING)
        .values(**values)
    )


async def purge_delivered(session: AsyncSession, *, before: datetime) -> int:
    """Forget e-mail, SMS and webhook rows delivered before ``before`` (inbox and dead ones stay)."""
    result = await session.execute(
        delete(Delivery).where(
            Delivery.channel != Channel.INBOX,
            Delivery.status == DeliveryStatus.DELIVERED,
            Delivery.delivered_at < before,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def inbox_messages_in(
    session: AsyncSession, *, prefix: str, kinds: Sequence[str], not_org: str
) -> Sequence[Delivery]:
    """Inbox messages of ``kinds`` about a region subtree (cases, bulletins), to anyone but ``not_org``."""
    stmt = select(Delivery).where(
        Delivery.channel == Channel.INBOX,
        Delivery.kind.in_(list(kinds)),
        Delivery.org_id.is_distinct_from(not_org),
        Delivery.region_code.startswith(prefix, autoescape=True),
    )
    return (await session.execute(stmt.order_by(Delivery.seq))).scalars().all()


async def has_inbox_message(
    session: AsyncSession, *, org_id: str, kind: str, case_id: str | None, subject: str, created_at: datetime
) -> bool:
    """Whether ``org_id``'s inbox holds a message of ``kind`` with this subject, case and time."""
    stmt = select(Delivery.id).where(
        Delivery.channel == Channel.INBOX,
        Delivery.org_id == org_id,
        Delivery.created_at == created_at,
        Delivery.kind == kind,
        Delivery.case_id.is_not_distinct_from(case_id),
        Delivery.subject == subject,
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def latest_inbox_message_at(session: AsyncSession, *, kind: str) -> datetime | None:
    """When the newest inbox message of ``kind`` was written (the last sweep that sent digests)."""
    stmt = select(func.max(Delivery.created_at)).where(
        Delivery.channel == Channel.INBOX, Delivery.kind == kind
    )
    latest: datetime | None = (await session.execute(stmt)).scalar()
    return latest


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    return (await session.execute(select(Delivery).where(Delivery.id == delivery_id))).scalars().first()


async def list_deliveries(
    session: AsyncSession,
    *,
    prefix: str,
    status: str | None,
    channel: str | None,
    case_id: str | None,
    after: int | None,
    limit: int,
) -> Sequence[Delivery]:
    stmt = select(Delivery).where(Delivery.region_code.startswith(prefix, autoescape=True))
    if status:
        stmt = stmt.where(Delivery.status == status)
    if channel:
        stmt = stmt.where(Delivery.channel == channel)
    if case_id:
        stmt = stmt.where(Delivery.case_id == case_id)
    if after is not None:
        stmt = stmt.where(Delivery.seq > after)
    return (await session.execute(stmt.order_by(Delivery.seq).limit(limit))).scalars().all()


async def inbox(
    session: AsyncSession, org_id: str, *, unread: bool, after: int | None, limit: int
) -> Sequence[Delivery]:
    stmt = select(Delivery).where(Delivery.channel == Channel.INBOX, Delivery.org_id == org_id)
    if unread:
        stmt = stmt.where(Delivery.read_at.is_(None))
    if after is not None:
        stmt = stmt.where(Delivery.seq < after)
    return (await session.execute(stmt.order_by(Delivery.seq.desc()).limit(limit))).scalars().all()


async def matching_subscriptions(
    session: AsyncSession, *, kind: str, region_code: str, unit_id: str | None
) -> Sequence[Subscription]:
    """Active subscriptions to ``kind`` that see this unit: its own, or a region subscription above it."""
    rows = (
        await session.execute(
            select(Subscription).where(Subscription.active, literal(kind) == any_(Subscription.event_kinds))
        )
    ).scalars()
    out = []
    for sub in rows:
        own_unit = sub.scope == "unit" and sub.org_id == unit_id
        if own_unit or (sub.scope == "region" and region_within(region_code, sub.region_code)):
            out.append(sub)
    return out


async def active_subscription_of(session: AsyncSession, org_id: str, url: str) -> Subscription | None:
    """The organisation's active subscription of ``url``, holding (to the transaction's end) the lock under
    which a second one for the same address is refused, so two requests at once make one."""
    key = int.from_bytes(
        hashlib.blake2b(f"notify.subscription:{org_id}:{url}".encode(), digest_size=8).digest(),
        "big",
        signed=True,
    )
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    stmt = select(Subscription).where(
        Subscription.org_id == org_id, Subscription.url == url, Subscription.active.is_(True)
    )
    return (await session.execute(stmt.limit(1))).scalars().first()


async def add_subscription(session: AsyncSession, sub: Subscription) -> None:
    session.add(sub)
    await session.flush()


async def get_subscription(session: AsyncSession, sub_id: str) -> Subscription | None:
    return await session.get(Subscription, sub_id)


async def subscriptions_of(session: AsyncSession, prefix: str) -> Sequence[Subscription]:
    stmt = select(Subscription).where(Subscription.region_code.startswith(prefix, autoescape=True))
    return (await session.execute(stmt.order_by(Subscription.created_at))).scalars().all()
