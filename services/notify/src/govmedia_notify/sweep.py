"""The scheduled sweep: time-driven work on the injected service clock.

Each run sends the reminders that are due (never in quiet hours), escalates overdue cases to the office,
sends the offices' daily digest once a day, and lists the previous quarter's repeatedly notified accounts
(forced closure). Every step is idempotent, so a sweep may run late, twice, or on several replicas; the
API runs one ``as_of`` an instant for demos and catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import region_prefix
from govmedia_common.scheduled import ScheduledTask
from govmedia_common.workdays import Clock
from govmedia_notify.cases import messages
from govmedia_notify.cases import repository as cases_repo
from govmedia_notify.cases import service as cases
from govmedia_notify.cases.domain import local
from govmedia_notify.channels import repository as channels_repo
from govmedia_notify.channels.domain import Kind
from govmedia_notify.channels.service import Recipient, fan_out
from govmedia_notify.closure import service as closure
from govmedia_notify.closure.domain import quarter_of
from govmedia_notify.directory import repository as directory
from govmedia_notify.models import UnitView

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did."""

    as_of: datetime
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    listed: list[str] = field(default_factory=list)
    purged: int = 0


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    delivery_retention_days: int = 30,
    within: str = "",
    purge: bool = True,
) -> SweepResult:
    """Run every time-driven step once, as of ``now`` (one transaction per case, per office, per quarter).

    ``within``: a region prefix (``Principal.region_prefix``): only the cases, offices and quarter listings
    of that subtree (empty: every region); ``purge``: remove delivered rows past retention, a housekeeping
    of every region (the scheduled sweep's and a province admin's, never a county's).
    """
    result = SweepResult(as_of=now)
    today = local(now).date()
    async with sessions() as session:
        ids = await cases_repo.ids_needing_sweep(session, now=now, today=today, prefix=within)
    for case_id in ids:
        async with sessions() as session, session.begin():
            reminded, escalated = await cases.sweep_case(session, case_id, now=now)
        result.reminders += reminded
        result.escalations += escalated
    async with sessions() as session:
        offices = list(await directory.offices(session, within))
    for office in offices:
        async with sessions() as session, session.begin():
            result.digests += await daily_digest(session, office.unit_id, now=now)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    previous = quarter_of(quarter_start - timedelta(days=1))
    async with sessions() as session, session.begin():
        result.listed = await closure.list_quarter(session, previous, now=now, prefix=within)
    if not purge:
        return result
    async with sessions() as session, session.begin():
        before = now - timedelta(days=delivery_retention_days)
        result.purged = await channels_repo.purge_delivered(session, before=before)
        await cases_repo.purge_early_resolutions(session, before=before)
    return result


async def daily_digest(session: AsyncSession, office_id: str, *, now: datetime) -> int:
    """Send an office its daily digest once a day, after its digest time; 1 when sent now."""
    office = await directory.get_unit(session, office_id)
    if office is None:
        return 0
    rules = await directory.rules_for(session, office.region_code)
    if local(now).time() < rules.digest_time:
        return 0
    today = local(now).date()
    counts = await cases_repo.counts_for_digest(
        session,
        prefix=region_prefix(office.region_code),
        today=today,
        since=now - timedelta(days=1),
        until=now,
    )
    subject, body = messages.digest(
        office.name, today, counts["open"], counts["overdue"], counts["opened"], counts["closed"]
    )
    added = await fan_out(
        session,
        kind=Kind.DIGEST,
        source_id=f"{office.unit_id}:{today.isoformat()}",
        region_code=office.region_code,
        unit_id=office.unit_id,
        case_id=None,
        subject=subject,
        body=body,
        payload={"office_id": office.unit_id, "day": today.isoformat(), **counts},
        recipients=[Recipient.of(office)],
        now=now,
    )
    return 1 if added else 0


async def digest_for_office_learnt_late(session: AsyncSession, office: UnitView) -> int:
    """Send an office learnt after a sweep sent the day's digests its own digest of that day.

    The sweep sends a digest to every office the directory holds; one whose UnitRegistered is read later
    (no order across topics) would otherwise get nothing until a sweep after its digest time runs again,
    and nothing for that day when none does. Dated as the last digests were, with the same stable id as the
    sweep's own, so a later sweep of the same day adds nothing. 1 when sent now.
    """
    last = await channels_repo.latest_inbox_message_at(session, kind=Kind.DIGEST)
    if last is None:
        return 0  # no sweep has sent digests yet: the first one will
    return await daily_digest(session, office.unit_id, now=last)


class Sweeper:
    """Runs :func:`sweep` every ``interval`` seconds on the service clock."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        interval: float,
        delivery_retention_days: int = 30,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.interval = interval
        self.retention = delivery_retention_days
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        task = ScheduledTask("notify", "sweep", interval_seconds=self.interval, log=log)
        while not self._stopping.is_set():
            try:
                with task.turn():
                    await sweep(self.sessions, self.clock.now(), delivery_retention_days=self.retention)
            except asyncio.CancelledError:
                raise
            except Exception:
                task.log_failure("sweep failed; next run as scheduled")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()
