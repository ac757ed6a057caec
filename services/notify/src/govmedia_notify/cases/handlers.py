"""Consumers of the monitor's alerts: a violation opens a case; a resolution may close it."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import Handler, MessageContext
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertRaised, AlertResolved
from govmedia_common.workdays import Clock, WorkCalendar
from govmedia_notify.cases import service


def alert_handlers(clock: Clock, calendar: WorkCalendar) -> Mapping[type[Event], Handler]:
    """Handlers of ``gov.monitor.alerts`` bound to the service clock and the working-day calendar."""

    async def on_alert_raised(event: AlertRaised, ctx: MessageContext | None, session: AsyncSession) -> None:
        """Open the case of a serious or violation alert (once per alert), with notice and ladder step."""
        await service.open_case(session, event, now=clock.now(), calendar=calendar)

    async def on_alert_resolved(
        event: AlertResolved, ctx: MessageContext | None, session: AsyncSession
    ) -> None:
        """Record the monitor's resolution; the case closes if its report was accepted, or if dismissed."""
        await service.alert_resolved(session, event, now=clock.now())

    return {AlertRaised: on_alert_raised, AlertResolved: on_alert_resolved}
