"""Ingest of public interaction: messages (留言/评论/私信), the account's answers, the interaction switch.

Idempotent on the natural keys (message id; account and instant of the switch) and set-based, like
:mod:`govmedia_monitor.observations.service`. An answer resolves the message's alert at once;
switching interaction back on resolves the interaction alert at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events import (
    AlertResolution,
    AlertRule,
    IngestChannel,
    InteractionSwitched,
    MessageAnswered,
    MessageChannel,
    MessageReceived,
)
from govmedia_common.workdays import SHANGHAI
from govmedia_monitor import schemas as s
from govmedia_monitor.alerts import service as alerts
from govmedia_monitor.models import Account, InteractionSwitch, Message
from govmedia_monitor.observations.service import (
    ITEM_REFUSED,
    RegionFilter,
    Report,
    account_regions,
    known_accounts,
    refuse_conflicts,
    refuse_future,
    split_known,
)
from govmedia_monitor.rules import exclusion

ANSWERED_BEFORE_RECEIVED = "answered-before-received"

# ---------------------------------------------------------------------------------------------- messages


async def ingest_messages(
    session: AsyncSession,
    items: Sequence[s.MessageIn],
    *,
    channel: IngestChannel,
    now: datetime,
    may_see: RegionFilter = None,
) -> Report:
    """Store new public messages (one statement) and announce each with ``MessageReceived``."""
    report = Report()
    future = refuse_future(items, "received_at", now, report)
    accounts = await known_accounts(session, [i.account_id for i in items])
    pairs = split_known(items, accounts, report, may_see, future)
    kept = [it for _, it in pairs]
    if not kept:
        return report
    rows = [
        {
            "account_id": i.account_id,
            "message_id": i.message_id,
            "channel": str(i.channel),
            "received_at": i.received_at,
            "received_on": i.received_at.astimezone(SHANGHAI).date(),
            "platform_post_id": i.platform_post_id,
            "ingest_channel": str(channel),
        }
        for i in kept
    ]
    # An executemany (pages of 1,000 rows): one VALUES list of 5,000 messages is over PostgreSQL's 32,767
    # parameters a statement.
    inserted = (
        await session.scalars(insert(Message).on_conflict_do_nothing().returning(Message), rows)
    ).all()
    report.accepted, report.duplicates = len(inserted), len(kept) - len(inserted)
    if report.duplicates:  # a replay, or a message under a known id with another channel, time or post
        params = {
            "account_id": [r["account_id"] for r in rows],
            "message_id": [r["message_id"] for r in rows],
            "channel": [r["channel"] for r in rows],
            "received_at": [r["received_at"] for r in rows],
            "post": [r["platform_post_id"] for r in rows],
        }
        await refuse_conflicts(session, _MESSAGE_CONFLICTS, params, [i for i, _ in pairs], report, "message")
    await alerts.add_events(
        session,
        [
            MessageReceived(
                occurred_at=now,
                account_id=m.account_id,
                message_id=m.message_id,
                channel=MessageChannel(m.channel),
                received_at=m.received_at,
                platform_post_id=m.platform_post_id,
            )
            for m in inserted
        ],
    )
    return report


_MESSAGE_CONFLICTS = text(
    """
    SELECT r.ord, m.channel, m.received_at, m.platform_post_id
    FROM unnest(CAST(:account_id AS text[]), CAST(:message_id AS text[]), CAST(:channel AS text[]),
                CAST(:received_at AS timestamptz[]), CAST(:post AS text[])) WITH ORDINALITY
         AS r(account_id, message_id, channel, received_at, platform_post_id, ord)
    JOIN messages m ON m.account_id = r.account_id AND m.message_id = r.message_id
    WHERE (m.channel, m.received_at, m.platform_post_id)
          IS DISTINCT FROM (r.channel, r.received_at, r.platform_post_id)
    ORDER BY r.ord
    """
)

_SWITCH_CONFLICTS = text(
    """
    SELECT r.ord, s.enabled
    FROM unnest(CAST(:account_id AS text[]), CAST(:at AS timestamptz[]), CAST(:enabled AS boolean[]))
         WITH ORDINALITY AS r(account_id, at, enabled, ord)
    JOIN interaction_switches s ON s.account_id = r.account_id AND s.at = r.at
    WHERE s.enabled <> r.enabled
    ORDER BY r.ord
    """
)

_ANSWER_SQL = text(
    """
    UPDATE messages m SET answered_at = r.answered_at
    FROM unnest(CAST(:account_id AS text[]), CAST(:message_id AS text[]), CAST(:answered_at AS timestamptz[]))
         AS r(account_id, message_id, answered_at)
    WHERE m.account_id = r.account_id AND m.message_id = r.message_id AND m.answered_at IS NULL
    RETURNING m.account_id, m.message_id, m.answered_at
    """
)


async def ingest_replies(
    session: AsyncSession,
    items: Sequence[s.ReplyIn],
    *,
    channel: IngestChannel,
    now: datetime,
    may_see: RegionFilter = None,
) -> Report:
    """Record answers (one statement); an answered message's unanswered alert resolves at once."""
    await exclusion.beside_no_sweep(session)  # an answer ends an unanswered message: not during a sweep
    report = Report()
    future = refuse_future(items, "answered_at", now, report)
    # An account outside the caller's region is refused as one that does not exist, as for every ingest:
    # answering another county's message would clear its alert and tell that the message exists.
    regions = await account_regions(session, [i.account_id for i in items])
    visible = split_known(items, regions, report, may_see, future)
    if not visible:
        return report
    keys = {(it.account_id, it.message_id) for _, it in visible}
    received = {
        (r.account_id, r.message_id): r.received_at
        for r in await session.execute(
            select(Message.account_id, Message.message_id, Message.received_at).where(
                Message.message_id.in_({k[1] for k in keys}), Message.account_id.in_({k[0] for k in keys})
            )
        )
    }
    kept = []
    for i, it in visible:
        at = received.get((it.account_id, it.message_id))
        if at is None:
            reason = f"unknown message {it.message_id} of account {it.account_id}"
            report.refuse(i, ITEM_REFUSED, reason, "message_id")
        elif it.answered_at < at:
            reason = (
                f"answered_at {it.answered_at.isoformat()} lies before the message was received "
                f"({at.isoformat()}): an answer follows its message"
            )
            report.refuse(i, ANSWERED_BEFORE_RECEIVED, reason, "answered_at")
        else:
            kept.append(it)
    report.rejected.sort()
    if not kept:
        return report
    answered = (
        await session.execute(
            _ANSWER_SQL,
            {
                "account_id": [i.account_id for i in kept],
                "message_id": [i.message_id for i in kept],
                "answered_at": [i.answered_at for i in kept],
            },
        )
    ).all()
    report.accepted, report.duplicates = len(answered), len(kept) - len(answered)
    await alerts.add_events(
        session,
        [
            MessageAnswered(
                occurred_at=now, account_id=a.account_id, message_id=a.message_id, answered_at=a.answered_at
            )
            for a in answered
        ],
    )
    by_account: dict[str, list[str]] = {}
    for a in answered:  # one statement per account, not per answer (5,000 answers took 15 s one by one)
        by_account.setdefault(a.account_id, []).append(a.message_id)
    for account_id, message_ids in by_account.items():
        await alerts.resolve_where(
            session,
            account_id=account_id,
            rule=AlertRule.MESSAGE_UNANSWERED,
            periods=message_ids,
            resolution=AlertResolution.CLEARED,
            at=now,
        )
    return report


# ------------------------------------------------------------------------------------------- interaction


async def ingest_interaction(
    session: AsyncSession,
    items: Sequence[s.InteractionIn],
    *,
    channel: IngestChannel,
    now: datetime,
    may_see: RegionFilter = None,
) -> Report:
    """Record interaction switches; the newest observation decides the account's state."""
    await exclusion.beside_no_sweep(session)  # switched on ends interaction-off: not during a sweep
    report = Report()
    future = refuse_future(items, "at", now, report)
    accounts = await known_accounts(session, [i.account_id for i in items])
    pairs = split_known(items, accounts, report, may_see, future)
    kept = [it for _, it in pairs]
    if not kept:
        return report
    rows = [
        {"account_id": i.account_id, "at": i.at, "enabled": i.enabled, "ingest_channel": str(channel)}
        for i in kept
    ]
    stmt = insert(InteractionSwitch).on_conflict_do_nothing().returning(InteractionSwitch)
    inserted = (await session.scalars(stmt, rows)).all()  # an executemany: no parameter limit
    report.accepted, report.duplicates = len(inserted), len(kept) - len(inserted)
    if report.duplicates:  # a replay, or the switch at a known instant in the other state
        params = {
            "account_id": [r["account_id"] for r in rows],
            "at": [r["at"] for r in rows],
            "enabled": [r["enabled"] for r in rows],
        }
        await refuse_conflicts(session, _SWITCH_CONFLICTS, params, [i for i, _ in pairs], report, "switch")
    await alerts.add_events(
        session,
        [
            InteractionSwitched(
                occurred_at=now,
                account_id=sw.account_id,
                enabled=sw.enabled,
                switched_at=sw.at,
                ingest_channel=IngestChannel(sw.ingest_channel),
            )
            for sw in inserted
        ],
    )
    for sw in sorted(inserted, key=lambda x: x.at):
        await set_interaction(session, accounts[sw.account_id], enabled=sw.enabled, at=sw.at, now=now)
    return report


async def set_interaction(
    session: AsyncSession, account: Account, *, enabled: bool, at: datetime, now: datetime
) -> None:
    """Apply an interaction state seen at ``at`` unless a newer one is known; on clears the alert."""
    if account.interaction_changed_at is not None and at < account.interaction_changed_at:
        return
    was = account.interaction_enabled
    account.interaction_changed_at = at
    account.interaction_enabled = enabled
    if not enabled and (was or account.interaction_off_since is None):
        account.interaction_off_since = at
    if enabled:
        account.interaction_off_since = None
    await session.flush()
    if enabled and not was:
        await alerts.resolve_where(
            session,
            account_id=account.account_id,
            rule=AlertRule.INTERACTION_OFF,
            periods=None,
            resolution=AlertResolution.CLEARED,
            at=now,
        )
