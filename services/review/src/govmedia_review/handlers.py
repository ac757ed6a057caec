"""Consumers of the review service: the ``accounts`` projection kept from registry account events."""

from __future__ import annotations

import logging
from collections.abc import Mapping

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
    AccountSuspended,
    AccountWithdrawn,
    Event,
)
from govmedia_review import repository as repo

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


async def on_account_event(event: AccountEvent, ctx: MessageContext | None, session: AsyncSession) -> None:
    """Upsert the account from the event's snapshot (and merged-away ones); stale events change nothing."""
    snapshots = [event.account]
    if isinstance(event, AccountMerged):
        snapshots.extend(event.merged_accounts)
    for snapshot in snapshots:
        if not await repo.upsert_account(session, snapshot, event.occurred_at):
            log.info(
                "ignored a stale account event",
                extra={"account_id": snapshot.account_id, "event_type": event.event_type},
            )


ACCOUNT_HANDLERS: Mapping[type[Event], Handler] = dict.fromkeys(ACCOUNT_EVENTS, on_account_event)
