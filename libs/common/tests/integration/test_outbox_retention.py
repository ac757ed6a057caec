"""The relay purges published outbox rows past retention, and never an unpublished one."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from govmedia_common.db import session_factory
from govmedia_common.outbox import OutboxRelay, add_event

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


async def test_the_relay_purges_published_rows_past_retention_and_keeps_the_rest(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("retention")
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        old = await add_event(session, events.account_filed())
        recent = await add_event(session, events.account_filed())
        waiting = await add_event(session, events.account_filed())
    async with engine.begin() as conn:  # as if published 8 and 2 days ago; one never published
        await conn.execute(
            text("UPDATE outbox SET published_at = now() - interval '8 days' WHERE id = :id"), {"id": old.id}
        )
        await conn.execute(
            text("UPDATE outbox SET published_at = now() - interval '2 days' WHERE id = :id"),
            {"id": recent.id},
        )
        await conn.execute(
            text("UPDATE outbox SET created_at = now() - interval '30 days' WHERE id = :id"),
            {"id": waiting.id},
        )
        await conn.execute(  # held by another live relay: not published, so never purged
            text(
                "INSERT INTO outbox_leases (relay_id, until, seqs) "
                "SELECT 'elsewhere', now() + interval '1 hour', ARRAY[seq] FROM outbox WHERE id = :id"
            ),
            {"id": waiting.id},
        )
    relay = OutboxRelay(
        sessions,
        await kit.producer(),
        service="test",
        relay_id=f"ret-{uuid.uuid4().hex[:6]}",
        retention_days=7,
        purge_every_seconds=0.0,
    )
    task = asyncio.create_task(relay.run())
    try:

        async def purged() -> bool:
            async with engine.connect() as conn:
                left: int = (
                    await conn.execute(text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": old.id})
                ).scalar_one()
                return left == 0

        await kit.wait_until(purged, within=15, what="the old published row to be purged")
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
    async with engine.connect() as conn:
        left = {r[0] for r in await conn.execute(text("SELECT id FROM outbox"))}
    assert left == {recent.id, waiting.id}
