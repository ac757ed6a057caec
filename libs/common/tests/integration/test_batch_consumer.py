"""Set-based consumers over the real broker and PostgreSQL: a batch handler gets whole runs of its events,
the inbox dedupes a polled batch in one statement, and a failure falls back to one-by-one (order kept,
retries, dead letter) without a double effect."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext, batch
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = AccountFiled.topic
COUNTERS_DDL = "CREATE TABLE counters (account_id text PRIMARY KEY, n integer NOT NULL)"


async def _counters(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {r[0]: r[1] for r in await conn.execute(text("SELECT account_id, n FROM counters"))}


async def test_a_batch_handler_upserts_counters_once_per_event_in_few_calls_and_falls_back_on_failure(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("batch_counters", COUNTERS_DDL)
    producer = await kit.producer()
    accounts = [str(uuid.uuid4()) for _ in range(8)]
    mine = set(accounts)
    call_sizes: list[int] = []
    failing_calls = 0

    @batch
    async def count(session: AsyncSession, items: Sequence[tuple[AccountFiled, MessageContext]]) -> None:
        nonlocal failing_calls
        ours = [event for event, _ in items if event.account_id in mine]
        if not ours:
            return
        call_sizes.append(len(ours))
        if any(event.reason == "fail" for event in ours):
            failing_calls += 1
            raise RuntimeError("this event is broken")
        per_account = Counter(event.account_id for event in ours)  # one row per key in one upsert
        await session.execute(
            text(
                "INSERT INTO counters (account_id, n) "
                "SELECT * FROM unnest(CAST(:a AS text[]), CAST(:n AS integer[])) "
                "ON CONFLICT (account_id) DO UPDATE SET n = counters.n + excluded.n"
            ),
            {"a": list(per_account), "n": list(per_account.values())},
        )

    # 400 events over 8 accounts (several partitions), each also sent a second time (a relay republishing),
    # and one broken event in the middle of one account's stream.
    expected: Counter[str] = Counter()
    envelopes = []
    for i in range(400):
        account = accounts[i % len(accounts)]
        envelopes.append(wrap(events.account_filed(account)))
        expected[account] += 1
    broken = wrap(events.account_filed(accounts[0], reason="fail"))
    envelopes.insert(200, broken)
    for env in [*envelopes, *envelopes[:150]]:
        await producer.send(TOPIC, env.value(), key=env.subject.encode(), headers=env.headers())
    await producer.flush()

    runner = ConsumerRunner(
        service="test", group_id=f"test-batch-{uuid.uuid4().hex[:8]}", handlers={AccountFiled: count},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=producer, max_retries=1,
        retry_backoff=0.01,
    )  # fmt: skip
    task = asyncio.create_task(runner.run())
    try:

        async def all_counted() -> bool:
            return await _counters(engine) == dict(expected)

        await kit.wait_until(all_counted, within=60, what="every counter at its expected value")
        dead = await kit.read_topic(f"{TOPIC}.dlt", lambda r: r.key == accounts[0].encode(), expect=1)
        await asyncio.sleep(1)  # nothing more may arrive
        assert await _counters(engine) == dict(expected)  # each event counted exactly once
    finally:
        runner.stop_soon()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.stop()

    assert max(call_sizes) > 10, call_sizes  # set-based: whole runs per call, not one event per call
    assert len(call_sizes) < 400, "called about once per event: batching does not happen"
    assert [dict(r.headers)["ce_id"].decode() for r in dead] == [broken.id]
    # once in its batch (culprit unknown there, so not charged), then alone 1 + max_retries times
    assert failing_calls == 1 + 2
    async with engine.connect() as conn:
        inbox = await conn.execute(text("SELECT count(*) FROM inbox WHERE event_id = :i"), {"i": broken.id})
        assert inbox.scalar_one() == 0  # the broken event's inbox row rolled back with it
