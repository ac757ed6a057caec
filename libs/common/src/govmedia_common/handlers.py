"""Message handlers of the consumer runner (:mod:`govmedia_common.consumer`): per message, or in batches.

Writing handlers
----------------
A per-message handler (the classic form)::

    async def on_filed(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None: ...

A batch handler: a function of ``(session, items)`` wrapped by :func:`batch` (or :class:`BatchHandler`),
where ``items`` is a sequence of ``(event, ctx)`` in partition order, already deduplicated by the inbox::

    @batch
    async def on_snapshots(
        session: AsyncSession, items: Sequence[tuple[MetricSnapshot, MessageContext]]
    ) -> None:
        per_account = Counter(event.account_id for event, _ in items)  # one row per key
        stmt = insert(counters).values([{"account_id": a, "n": n} for a, n in per_account.items()])
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["account_id"], set_={"n": counters.c.n + stmt.excluded.n}))

    ConsumerRunner(..., handlers={MetricSnapshot: on_snapshots, AccountFiled: on_filed})
    # or in a ServiceSpec: consumer_groups={"metrics": {MetricSnapshot: on_snapshots}}

Rules for batch handlers: never commit; do not reorder events of one aggregate if order matters to you
(``items`` are in partition order, and one aggregate is one partition); several events of the same
aggregate may be in one call (e.g. an upsert must combine them, not send two rows for one key in one
``INSERT … ON CONFLICT DO UPDATE``, which PostgreSQL refuses). On the one-by-one path the same function is
called with a single item, so it must also work for one. Raising any exception rolls the batch back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.envelope import Envelope
from govmedia_common.events.base import Event

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class MessageContext:
    """Where a message came from, handed to handlers beside the typed event."""

    envelope: Envelope
    topic: str
    partition: int
    offset: int


MessageHandler = Callable[[Any, MessageContext, AsyncSession], Awaitable[None]]
BatchFunction = Callable[[AsyncSession, Sequence[tuple[Any, MessageContext]]], Awaitable[None]]


class BatchHandler(Generic[E]):
    """A handler taking ``(session, [(event, ctx), …])``: a run of consecutive events of its type at once.

    ``idempotent`` names the event types this handler applies idempotently by their own keys: a second
    delivery of the same event (the same id, or the same key with another body) changes nothing, whatever
    was handled in between, as when a snapshot counts only if it is strictly newer than the one held. The
    runner writes no inbox row for those events (see :mod:`govmedia_common.inbox`): the handler's effect
    itself is the record of what was handled. A copy of such an event that comes twice in one poll reaches
    the handler twice, so it must keep the first (or combine them) as a redelivery would.
    """

    def __init__(
        self,
        fn: Callable[[AsyncSession, Sequence[tuple[E, MessageContext]]], Awaitable[None]],
        *,
        idempotent: Iterable[type[Event]] = (),
    ) -> None:
        self.fn = fn
        self.idempotent: frozenset[type[Event]] = frozenset(idempotent)
        self.__name__ = getattr(fn, "__name__", "batch_handler")

    async def __call__(self, session: AsyncSession, items: Sequence[tuple[E, MessageContext]]) -> None:
        await self.fn(session, items)


def batch(
    fn: Callable[[AsyncSession, Sequence[tuple[E, MessageContext]]], Awaitable[None]],
) -> BatchHandler[E]:
    """Decorator: register ``fn(session, items)`` as a batch handler."""
    return BatchHandler(fn)


# What may be registered for an event type: a per-message handler or a batch handler.
Handler = MessageHandler | BatchHandler[Any]
