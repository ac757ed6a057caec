"""Aggregates record the events they cause; :func:`publish` writes them to the outbox in the caller's
transaction (the same one that saves the state change: no dual writes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events import Event
from govmedia_common.outbox import add_event


@dataclass
class Aggregate:
    """Base of the registry's domain objects: ``events`` holds what happened since the object was loaded."""

    events: list[Event] = field(default_factory=list, kw_only=True, compare=False, repr=False)

    def record(self, event: Event) -> None:
        """Remember an event this object caused; it is published when the object is saved."""
        self.events.append(event)


async def publish(session: AsyncSession, *aggregates: Aggregate) -> None:
    """Write every recorded event of ``aggregates`` to the outbox, in order, and forget them."""
    for aggregate in aggregates:
        pending, aggregate.events[:] = list(aggregate.events), []
        for event in pending:
            await add_event(session, event)
