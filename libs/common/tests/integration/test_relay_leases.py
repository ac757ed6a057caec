"""The relay's claim is a lease, not a rewrite: claiming rows writes one lease row per relay, and only the
mark rewrites an outbox row. What the lease must still guarantee: another live relay never takes a row (or a
later row of its aggregate) that this relay holds — also the rows it has in flight while it claims ahead —
and a dead relay's lease runs out."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.db import session_factory
from govmedia_common.outbox import OutboxRelay, add_event

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


async def _row_versions(engine: AsyncEngine, seqs: list[int]) -> dict[int, str]:
    """The transaction id that wrote each row's current version (changes whenever the row is rewritten)."""
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT seq, xmin::text FROM outbox WHERE seq = ANY(:s)"), {"s": seqs})
        return {r[0]: r[1] for r in rows}


async def test_a_claim_rewrites_no_outbox_row_and_the_mark_rewrites_each_once(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("lease")
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        for _ in range(3):
            await add_event(session, events.account_filed())
    relay = OutboxRelay(sessions, await kit.producer(), service="test", relay_id="a")
    async with engine.connect() as conn:
        seqs = list((await conn.execute(text("SELECT seq FROM outbox ORDER BY seq"))).scalars())
    written = await _row_versions(engine, seqs)

    claimed = await relay.claim()

    assert [r.seq for r in claimed] == seqs
    assert await _row_versions(engine, seqs) == written, "the claim rewrote outbox rows"
    await relay.mark(claimed, "cluster-1")
    marked = await _row_versions(engine, seqs)
    assert all(marked[s] != written[s] for s in seqs)
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar()
    assert left == 0


async def test_rows_in_flight_stay_leased_while_the_relay_claims_ahead(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """A claims X's first event and, while it is in flight, claims ahead: B must take neither X's events nor
    what A claimed ahead, until A's lease runs out."""
    engine = await kit.database("ahead")
    sessions = session_factory(engine)
    x, y, z = (str(uuid.uuid4()) for _ in range(3))
    for account in (x, y, x, z):
        async with sessions() as session, session.begin():
            await add_event(session, events.account_filed(account))
    producer = await kit.producer()
    relay_a = OutboxRelay(sessions, producer, service="test", batch_size=1, lease_seconds=1.0, relay_id="a")
    relay_b = OutboxRelay(sessions, producer, service="test", batch_size=10, lease_seconds=30, relay_id="b")
    (first,) = await relay_a.claim()
    (ahead,) = await relay_a.claim(in_flight=[first.seq])
    assert (first.aggregateid, ahead.aggregateid) == (x, y)

    taken_by_b = await relay_b.claim()

    assert [r.aggregateid for r in taken_by_b] == [z]
    await asyncio.sleep(1.2)  # A's lease runs out (A died): its rows go to B, in order
    after = await relay_b.claim(in_flight=[r.seq for r in taken_by_b])
    assert [r.aggregateid for r in after] == [x, y, x]
