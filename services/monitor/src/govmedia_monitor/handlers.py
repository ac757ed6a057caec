"""Consumers of the monitor: projections of registry accounts, settings and calendar, and of review posts.

Each handler runs in the consumer's transaction with the inbox row, so a redelivered event changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import Handler, MessageContext
from govmedia_common.events import (
    AccountAnnounced,
    AccountApproved,
    AccountChanged,
    AccountDeregistered,
    AccountFiled,
    AccountMerged,
    AccountOpened,
    AccountRejected,
    AccountReturned,
    AccountSnapshot,
    AccountStatus,
    AccountSuspended,
    AccountWithdrawn,
    AlertRule,
    Event,
    LexiconPublished,
    PostApproved,
    PostOverridden,
    PostPublished,
    RegionSettingsChanged,
    WorkCalendarLoaded,
)
from govmedia_monitor.alerts import service as alerts
from govmedia_monitor.models import (
    Account,
    ApprovedPost,
    LexiconList,
    PendingOverride,
    PendingPublication,
    RegionSettings,
)
from govmedia_monitor.observations.interactions import set_interaction
from govmedia_monitor.observations.matching import similarity_form
from govmedia_monitor.observations.service import rematch_account
from govmedia_monitor.rules import calendar, exclusion
from govmedia_monitor.rules.thresholds import SECTION, InvalidMonitorSettings, parse_section

log = logging.getLogger(__name__)

AccountEvent = (
    AccountFiled
    | AccountApproved
    | AccountRejected
    | AccountReturned
    | AccountAnnounced
    | AccountOpened
    | AccountChanged
    | AccountMerged
    | AccountSuspended
    | AccountDeregistered
    | AccountWithdrawn
)
ACCOUNT_EVENTS: tuple[type[Event], ...] = (
    AccountFiled,
    AccountApproved,
    AccountRejected,
    AccountReturned,
    AccountAnnounced,
    AccountOpened,
    AccountChanged,
    AccountMerged,
    AccountSuspended,
    AccountDeregistered,
    AccountWithdrawn,
)


async def upsert_account(
    session: AsyncSession, snap: AccountSnapshot, occurred_at: datetime, effective_on: date | None
) -> None:
    """Keep the newest snapshot; remember when the account became active; follow the declared switch."""
    row = await session.get(Account, snap.account_id, with_for_update=True)
    active = snap.status == AccountStatus.ACTIVE
    if row is None:
        row = Account(
            account_id=snap.account_id,
            interaction_enabled=snap.interaction_enabled,
            interaction_off_since=None if snap.interaction_enabled else occurred_at,
            interaction_changed_at=occurred_at,
            active_since=(effective_on or occurred_at.date()) if active else None,
        )
        session.add(row)
    elif occurred_at < row.as_of:
        log.info("ignored a stale account event", extra={"account_id": snap.account_id})
        return
    elif active and row.status != AccountStatus.ACTIVE:
        row.active_since = effective_on or occurred_at.date()
    row.name = snap.name
    row.platform = str(snap.platform)
    row.platform_account_id = snap.platform_account_id
    row.unit_id = snap.unit_id
    row.unit_name = snap.unit_name
    row.region_code = snap.region_code
    row.status = str(snap.status)
    row.attention_tier = str(snap.attention_tier)
    row.as_of = occurred_at
    await session.flush()
    if row.interaction_enabled != snap.interaction_enabled:
        await set_interaction(session, row, enabled=snap.interaction_enabled, at=occurred_at, now=occurred_at)


async def on_account_event(event: AccountEvent, ctx: MessageContext | None, session: AsyncSession) -> None:
    """Upsert the account (and merged-away ones) from the event's snapshot."""
    # Its interaction switched on clears interaction-off, its status decides whether it is judged: not
    # while a sweep judges it (the sweep would raise what this event ended; rules/exclusion.py).
    await exclusion.beside_no_sweep(session)
    effective_on = getattr(event, "effective_on", None)
    snapshots = [event.account]
    if isinstance(event, AccountMerged):
        snapshots.extend(event.merged_accounts)
    for snap in snapshots:
        await upsert_account(session, snap, event.occurred_at, effective_on)
        await raise_pending_overrides(session, snap.account_id)


# The account consumer and the post consumer run in transactions of their own: without a lock, an override
# could find no account (not committed yet) while the account's handler found no pending override (not
# committed yet), and the alert was never raised. Both take this lock on the account first.
_ACCOUNT_LOCK = 0x6D6F6E61  # "mona": two-key advisory locks (namespace, hashtext(account_id))


async def lock_account(session: AsyncSession, account_id: str) -> None:
    """A transaction-level lock on one account id, shared by the handlers that must see each other's rows."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, hashtext(:a))"), {"ns": _ACCOUNT_LOCK, "a": account_id}
    )


async def raise_pending_overrides(session: AsyncSession, account_id: str) -> None:
    """Raise the ``override`` alerts of the account's posts whose PostOverridden was read before it."""
    await lock_account(session, account_id)
    pending = (
        await session.execute(
            delete(PendingOverride)
            .where(PendingOverride.account_id == account_id)
            .returning(PendingOverride.post_id, PendingOverride.detail, PendingOverride.occurred_at)
        )
    ).all()
    account = await session.get(Account, account_id) if pending else None
    for post_id, detail, occurred_at in sorted(pending, key=lambda p: (p.occurred_at, p.post_id)):
        if account is not None:
            await alerts.raise_alert(
                session,
                account=account,
                rule=AlertRule.OVERRIDE,
                period=post_id,
                detail=detail,
                at=occurred_at,
            )


async def on_region_settings(
    event: RegionSettingsChanged, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep the region's own ``monitor`` section; an invalid one is recorded and not applied."""
    row = await session.get(RegionSettings, event.region_code, with_for_update=True)
    if row is not None and row.version >= event.version:
        return
    try:
        section, error = parse_section(event.settings.get(SECTION)), None
    except InvalidMonitorSettings as exc:
        log.warning(
            "refused a region's monitor settings", extra={"region": event.region_code, "error": str(exc)}
        )
        section, error = (dict(row.monitor) if row else {}), str(exc)
    stmt = insert(RegionSettings).values(
        region_code=event.region_code,
        monitor=section,
        error=error,
        version=event.version,
        received_at=event.occurred_at,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["region_code"],
            set_={
                "monitor": section,
                "error": error,
                "version": event.version,
                "received_at": event.occurred_at,
            },
        )
    )


async def on_calendar_loaded(
    event: WorkCalendarLoaded, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Store a year's official schedule so working-day deadlines in that year can be counted (the latest
    load of the year: an older one read after a correction changes nothing)."""
    stored = await calendar.store_loaded_year(
        session, event.year, set(event.holidays), set(event.workdays), loaded_at=event.occurred_at
    )
    if not stored:
        log.info("ignored an older schedule of a year read after a later one", extra={"year": event.year})


async def on_post_approved(event: PostApproved, ctx: MessageContext | None, session: AsyncSession) -> None:
    """Remember the approved version; observations that matched nothing are matched again."""
    stmt = insert(ApprovedPost).values(
        post_id=event.post_id,
        account_id=event.account_id,
        title=event.title,
        text=event.text,
        similarity_text=similarity_form(event.title, event.text),
        content_hash=event.content_hash,
        approved_at=event.occurred_at,
        override=event.override,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["post_id"],
            set_={
                "title": event.title,
                "text": event.text,
                "similarity_text": stmt.excluded.similarity_text,
                "content_hash": event.content_hash,
                "approved_at": event.occurred_at,
                "override": event.override,
            },
        )
    )
    early = (
        await session.execute(
            delete(PendingPublication)
            .where(PendingPublication.post_id == event.post_id)
            .returning(PendingPublication.platform_post_id, PendingPublication.published_at)
        )
    ).first()
    if early is not None:  # its publication was read first (this approval replayed): link it now
        row = await session.get(ApprovedPost, event.post_id, with_for_update=True)
        assert row is not None
        row.platform_post_id, row.published_at = early.platform_post_id, early.published_at
        await session.flush()
    if await session.get(Account, event.account_id) is not None:
        await rematch_account(session, event.account_id, event.occurred_at)


async def on_post_published(event: PostPublished, ctx: MessageContext | None, session: AsyncSession) -> None:
    """Link the approved post to its platform id, which matching then prefers."""
    row = await session.get(ApprovedPost, event.post_id, with_for_update=True)
    if row is None:
        # Its approval comes before it in the partition, unless replayed after a fix: kept for it.
        log.warning("publication of a post whose approval is not known yet", extra={"post_id": event.post_id})
        pending = insert(PendingPublication).values(
            post_id=event.post_id, platform_post_id=event.platform_post_id, published_at=event.published_at
        )
        await session.execute(
            pending.on_conflict_do_update(
                index_elements=["post_id"],
                set_={"platform_post_id": event.platform_post_id, "published_at": event.published_at},
            )
        )
        return
    row.platform_post_id = event.platform_post_id
    row.published_at = event.published_at
    await session.flush()
    if await session.get(Account, event.account_id) is not None:
        await rematch_account(session, event.account_id, event.occurred_at)


async def on_post_overridden(
    event: PostOverridden, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """A final approver approved over a blocking finding: an alert, once per post.

    The review's event may be read before the registry's account (no order across topics, a consumer
    catching up): it then waits in ``pending_overrides`` and the alert is raised when the account arrives
    (:func:`raise_pending_overrides`), instead of failing until it is dead-lettered.
    """
    detail = {
        "post_id": event.post_id,
        "approver_id": event.approver_id,
        "approver_name": event.approver_name,
        "reason": event.reason,
        "blocking_categories": [str(c) for c in event.blocking_categories],
        "content_hash": event.content_hash,
    }
    await lock_account(session, event.account_id)
    account = await session.get(Account, event.account_id)
    if account is None:
        log.info(
            "an override read before its account: raised when the account arrives",
            extra={"account_id": event.account_id, "post_id": event.post_id},
        )
        pending = insert(PendingOverride).values(
            post_id=event.post_id, account_id=event.account_id, detail=detail, occurred_at=event.occurred_at
        )
        await session.execute(pending.on_conflict_do_nothing(index_elements=["post_id"]))
        return
    await alerts.raise_alert(
        session,
        account=account,
        rule=AlertRule.OVERRIDE,
        period=event.post_id,
        detail=detail,
        at=event.occurred_at,
    )


async def on_lexicon_published(
    event: LexiconPublished, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep the latest version of each (scope, kind) list; the check engine is rebuilt from them."""
    values = {
        "scope_region_code": event.scope_region_code,
        "kind": event.kind,
        "seq": event.seq,
        "version": event.version,
        "document_hash": event.document_hash,
        "document_path": event.document_path,
        "document": event.document,
        "received_at": event.occurred_at,
    }
    if event.document is None:
        log.warning(
            "a lexicon list too large to travel inline is used once fetched from the review",
            extra={"lexicon_key": event.lexicon_key, "path": event.document_path},
        )
    stmt = insert(LexiconList).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope_region_code", "kind"],
            set_={k: v for k, v in values.items() if k not in ("scope_region_code", "kind")},
            where=LexiconList.seq < event.seq,
        )
    )


ACCOUNT_HANDLERS: Mapping[type[Event], Handler] = {
    **dict.fromkeys(ACCOUNT_EVENTS, on_account_event),
}
SETTINGS_HANDLERS: Mapping[type[Event], Handler] = {
    RegionSettingsChanged: on_region_settings,
    WorkCalendarLoaded: on_calendar_loaded,
}
POST_HANDLERS: Mapping[type[Event], Handler] = {
    PostApproved: on_post_approved,
    PostPublished: on_post_published,
    PostOverridden: on_post_overridden,
}
LEXICON_HANDLERS: Mapping[type[Event], Handler] = {LexiconPublished: on_lexicon_published}
