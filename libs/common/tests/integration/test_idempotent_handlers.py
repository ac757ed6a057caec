"""A batch handler may declare event types it applies idempotently by their own keys (a snapshot that counts
only when newer than the one held): the runner writes no inbox row for them and hands every delivery to the
handler, on the batch path and on the one-by-one path, while the handler's other types keep the inbox's
dedupe. Real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import BatchHandler, ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events import AccountFiled
from govmedia_common.events.base import Event
from govmedia_common.events.registry import RegionSettingsChanged

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


async def _inbox_types(engine: AsyncEngine, ids: set[str]) -> Counter[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT type, event_id FROM inbox"))
        return Counter(t for t, i in rows if i in ids)


async def _deliveries(engine: AsyncEngine) -> Counter[str]:
    async with engine.connect() as conn:
        return Counter(i for (i,) in await conn.execute(text("SELECT event_id FROM deliveries")))


async def test_idempotent_types_get_no_inbox_row_and_every_delivery_while_other_types_are_deduplicated(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("idempotent_handlers", "CREATE TABLE deliveries (event_id text NOT NULL)")
    producer = await kit.producer()
    region = f"9{uuid.uuid4().int % 10**5:05d}"
    filed = [wrap(events.account_filed()) for _ in range(30)]
    settings = [wrap(events.region_settings_changed(region)) for _ in range(5)]
    broken = wrap(events.account_filed(reason="fail once"))
    # every event twice (a relay republishing after a crash), the broken one in the middle
    sent: list[Envelope] = [*filed, *settings, broken, *filed, *settings]
    ours = {env.id for env in sent}
    failed: set[str] = set()

    async def record(session: AsyncSession, items: Sequence[tuple[Event, MessageContext]]) -> None:
        for event, ctx in items:
            if ctx.envelope.id not in ours:
                continue
            if (
                isinstance(event, AccountFiled)
                and event.reason == "fail once"
                and ctx.envelope.id not in failed
            ):
                failed.add(ctx.envelope.id)  # the batch rolls back: its records go one by one
                raise RuntimeError("fails on its first try")
        ids = [ctx.envelope.id for _, ctx in items if ctx.envelope.id in ours]
        # in the batch's transaction: a rolled-back try leaves nothing
        await session.execute(
            text("INSERT INTO deliveries SELECT unnest(CAST(:ids AS text[]))"), {"ids": ids}
        )

    handler = BatchHandler(record, idempotent=(AccountFiled,))
    for env in sent:
        topic = AccountFiled.topic if env.type == AccountFiled.event_type else RegionSettingsChanged.topic
        await producer.send(topic, env.value(), key=env.subject.encode(), headers=env.headers())
    await producer.flush()

    runner = ConsumerRunner(
        service="test", group_id=f"test-idempotent-{uuid.uuid4().hex[:8]}",
        handlers={AccountFiled: handler, RegionSettingsChanged: handler},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=producer, max_retries=2,
        retry_backoff=0.01,
    )  # fmt: skip
    assert runner.no_inbox == {AccountFiled.event_type}
    task = asyncio.create_task(runner.run())
    try:

        async def all_seen() -> bool:
            seen = await _deliveries(engine)
            return len(seen) == len(ours) and all(seen[e.id] >= 2 for e in filed)

        await kit.wait_until(all_seen, within=60, what="every event handled")
        await asyncio.sleep(1)  # nothing more may arrive
    finally:
        runner.stop_soon()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.stop()

    seen = await _deliveries(engine)
    # the idempotent type: every delivery reached the handler (a rolled-back try does not count), no inbox row
    assert all(seen[e.id] == 2 for e in filed), seen
    assert seen[broken.id] == 1 and failed == {broken.id}
    # the other type: the inbox dropped the second delivery
    assert all(seen[e.id] == 1 for e in settings), seen
    inbox = await _inbox_types(engine, ours)
    assert inbox == Counter({RegionSettingsChanged.event_type: len(settings)}), inbox
