"""Consumers that keep the directory: units and people, accounts, region settings, scores."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import Handler, MessageContext, batch
from govmedia_common.events.base import Event
from govmedia_common.events.registry import (
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
    PersonRegistered,
    RegionSettingsChanged,
    UnitChanged,
    UnitRegistered,
    WorkCalendarLoaded,
)
from govmedia_common.events.scoring import ScoresComputed
from govmedia_common.workdays import WorkCalendar
from govmedia_notify import sweep
from govmedia_notify.channels.service import give_late_office_its_messages
from govmedia_notify.closure import service as closure
from govmedia_notify.directory import repository as repo

log = logging.getLogger(__name__)


async def on_unit_event(
    event: UnitRegistered | UnitChanged, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep the newest record of a unit or office: its principal, deputy head, liaison and contacts.

    An office learnt after messages meant for it were sent (case notices, escalations, closings,
    interviews, bulletins, closure recommendations, the day's digest) receives them now: there is no order
    across topics, the alert or the sweep may have been handled before this event was read.
    """
    written = await repo.upsert_unit(
        session,
        {
            "unit_id": event.unit_id,
            "name": event.name,
            "region_code": event.region_code,
            "kind": event.kind,
            "principal_name": event.principal_name,
            "deputy_head_name": event.deputy_head_name,
            "liaison_person_id": event.liaison_person_id,
            "contact_email": event.contact_email,
            "contact_phone": event.contact_phone,
            "as_of": event.occurred_at,
        },
    )
    if written and event.kind == "office":
        office = await repo.get_unit(session, event.unit_id)
        if office is not None:
            await give_late_office_its_messages(session, office)
            await closure.tell_office_learnt_late(session, office)
            await sweep.digest_for_office_learnt_late(session, office)


async def on_person_registered(
    event: PersonRegistered, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep a person of a unit or office (liaisons are addressed by name in interviews)."""
    await repo.upsert_person(
        session,
        {
            "person_id": event.person_id,
            "name": event.name,
            "unit_id": event.unit_id,
            "region_code": event.region_code,
            "roles": list(event.roles),
            "as_of": event.occurred_at,
        },
    )


async def on_region_settings(
    event: RegionSettingsChanged, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep the region's ``notify`` section; inheritance and tightening are resolved when rules are read."""
    section = event.settings.get("notify", {})
    if not isinstance(section, dict):
        log.warning(
            "ignoring a notify section that is not an object", extra={"region_code": event.region_code}
        )
        section = {}
    await repo.put_region_settings(session, event.region_code, section, event.version)


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


def _account_rows(event: AccountEvent) -> list[dict[str, Any]]:
    snapshots = [event.account]
    if isinstance(event, AccountMerged):
        snapshots.extend(event.merged_accounts)
    return [
        {
            "account_id": a.account_id,
            "name": a.name,
            "platform": str(a.platform),
            "unit_id": a.unit_id,
            "unit_name": a.unit_name,
            "region_code": a.region_code,
            "status": str(a.status),
            "as_of": event.occurred_at,
        }
        for a in snapshots
    ]


async def on_account_event(event: AccountEvent, ctx: MessageContext | None, session: AsyncSession) -> None:
    """Keep the account's name and host unit from the event's snapshot (and merged-away ones)."""
    await repo.upsert_accounts(session, _account_rows(event))


@batch
async def on_account_events(
    session: AsyncSession, items: Sequence[tuple[AccountEvent, MessageContext]]
) -> None:
    """The same for a polled batch, in one statement (the newest snapshot per account wins)."""
    await repo.upsert_accounts(session, [row for event, _ in items for row in _account_rows(event)])


def _score_row(event: ScoresComputed) -> dict[str, Any]:
    return {
        "account_id": event.account_id,
        "period_kind": str(event.period_kind),
        "period_start": event.period_start,
        "unit_id": event.unit_id,
        "region_code": event.region_code,
        "platform": str(event.platform),
        "composite": event.composite,
        "passed": event.passed,
        "as_of": event.occurred_at,
    }


async def on_scores_computed(
    event: ScoresComputed, ctx: MessageContext | None, session: AsyncSession
) -> None:
    """Keep the latest composite of an account for a period (a recomputation replaces it)."""
    await repo.upsert_scores(session, [_score_row(event)])


@batch
async def on_scores_batch(
    session: AsyncSession, items: Sequence[tuple[ScoresComputed, MessageContext]]
) -> None:
    """The same for a polled batch, in one statement."""
    await repo.upsert_scores(session, [_score_row(event) for event, _ in items])


def calendar_handlers(calendar: WorkCalendar) -> Mapping[type[Event], Handler]:
    """The handler of the registry's loaded holiday schedules, bound to the service's calendar."""

    async def on_calendar_loaded(
        event: WorkCalendarLoaded, ctx: MessageContext | None, session: AsyncSession
    ) -> None:
        """Store a year's schedule (for every replica) and use it here at once; an older load of the year
        read after a newer one (a replay) changes neither."""
        if await repo.store_calendar_year(
            session, event.year, event.holidays, event.workdays, event.occurred_at
        ):
            calendar.load_year(event.year, event.holidays, event.workdays)
            repo.holds_schedule(calendar, event.year, event.occurred_at)
        else:
            log.info("ignored an older schedule of a year read after a later one", extra={"year": event.year})

    return {WorkCalendarLoaded: on_calendar_loaded}


DIRECTORY_HANDLERS: Mapping[type[Event], Handler] = {
    **dict.fromkeys(ACCOUNT_EVENTS, on_account_events),
    PersonRegistered: on_person_registered,
    RegionSettingsChanged: on_region_settings,
    UnitRegistered: on_unit_event,
    UnitChanged: on_unit_event,
}
SCORE_HANDLERS: Mapping[type[Event], Handler] = {ScoresComputed: on_scores_batch}
