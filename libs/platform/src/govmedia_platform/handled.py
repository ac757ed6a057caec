"""For tests and tools driving a running service: which published events its consumers have handled.

An event a service handles is handled once its effects committed. Most events leave an inbox row in that
transaction; the types a batch handler applies idempotently by their own keys
(:class:`govmedia_common.handlers.BatchHandler` ``idempotent``, e.g. scoring's metric snapshots) leave
none, and are handled once the consumer runner that reads them has applied its partition past their offset
(``ConsumerRunner.applied``, set after the transaction commits; partition order makes that enough).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import RecordMetadata
from sqlalchemy import text

_IN_INBOX = text("SELECT event_id FROM inbox WHERE event_id = ANY(CAST(:ids AS text[]))")

# Where each event published through :func:`place` went, by id: a service started later (a restart, a
# rebuild) reads the same records.
_PLACES: dict[str, Placed] = {}


@dataclass(frozen=True)
class Placed:
    """Where the broker put one published event."""

    event_id: str
    type: str
    partition: TopicPartition
    offset: int


def place(event_id: str, event_type: str, metadata: RecordMetadata) -> Placed:
    """Remember where the broker put an event (the metadata of its send)."""
    placed = _PLACES[event_id] = Placed(
        event_id, event_type, TopicPartition(metadata.topic, metadata.partition), metadata.offset
    )
    return placed


async def not_handled(runtime: Any, ids: Sequence[str]) -> list[str]:
    """The ids of ``ids`` the service of ``runtime`` (``app.state.runtime``) has not handled yet."""
    async with runtime.sessions() as session:
        in_inbox = {row[0] for row in await session.execute(_IN_INBOX, {"ids": list(ids)})}
    return [i for i in ids if i not in in_inbox and not _applied(runtime.consumers, i)]


def _applied(runners: Iterable[Any], event_id: str) -> bool:
    placed = _PLACES.get(event_id)
    if placed is None:
        return False
    return any(
        placed.type in runner.no_inbox and runner.applied.get(placed.partition, -1) > placed.offset
        for runner in runners
    )


async def wait_handled(runtime: Any, ids: Sequence[str], *, within: float) -> None:
    """Wait until the service of ``runtime`` has handled ``ids``; an AssertionError naming those left."""
    deadline = time.monotonic() + within
    left = list(ids)
    while time.monotonic() < deadline:
        left = await not_handled(runtime, ids)
        if not left:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the consumers did not handle {left} within {within}s")
