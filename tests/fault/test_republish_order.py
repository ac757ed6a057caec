"""Found by the ledger run (test_ledger.py): one account's events must reach a new broker in their order.

The embedded broker is killed while a relay publishes and comes back empty, with a new cluster id; the
relay republishes the outbox. A consumer of the new broker reads its partitions from the beginning, so the
FIRST time it meets each event must follow the outbox order of that event's aggregate: a handler that
needs an earlier event (the monitor's PostPublished needs the PostApproved before it; scoring's counts of
original posts need PostSubmitted) otherwise finds nothing, and its inbox then drops the later copy.

What happens: a batch in flight when the broker dies is retried by the producer itself (aiokafka retries
until its request timeout, so no error reaches the relay) and lands on the new broker as soon as it
listens, before the relay has noticed the new cluster id; labelled with the old id, it goes out again after
the older rows, but its first copy already stands before them. Rows claimed ahead at that moment go out
before the republished older ones too. Seen as first arrivals like [39, 40, 24, …, 38, 0, …, 23, 41, …].
Now prevented (``govmedia_common.outbox_broker``): the cluster id is checked before and after each batch,
relays take a new broker on only while none has rows out, and a topic that received such rows is recreated.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from sqlalchemy import text

from govmedia_common.db import session_factory
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.kafka import all_topics, ensure_topics, make_producer
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import recreate_topics
from govmedia_platform.stack import EmbeddedBroker
from tests.fault.ledger_checks import read_topics

if TYPE_CHECKING:
    from .conftest import FaultKit

pytestmark = pytest.mark.integration


async def test_after_a_broker_restart_each_aggregate_s_events_first_reach_the_new_broker_in_outbox_order(
    fault_kit: FaultKit, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    kafka = KafkaSettings(bootstrap=broker.bootstrap)
    producer = make_producer(kafka, "order-relay")
    try:
        await ensure_topics(kafka, all_topics())
        outbox = await fault_kit.database("order_out")
        await producer.start()
        relay = OutboxRelay(
            session_factory(outbox),
            producer,
            service="fault",
            kafka=kafka,
            lease_seconds=5.0,
            idle_sleep=0.05,
        )  # the default broker check: once a second
        fault_kit.supervise(relay.run)
        sessions = session_factory(outbox)
        accounts = [str(uuid.uuid4()) for _ in range(4)]

        async def write(n: int) -> None:  # one event per account, numbered in the account's order
            async with sessions() as session, session.begin():
                for account in accounts:
                    now = datetime.now(UTC)
                    await add_event(
                        session,
                        MetricsObserved(
                            occurred_at=now, account_id=account, platform_post_id=None, reads=n, as_of=now,
                            ingest_channel=IngestChannel.CONNECTOR,
                        ),
                    )  # fmt: skip

        for n in range(120):
            await write(n)
            if (
                n == 40
            ):  # killed mid-stream; back on the same port, empty, topics recreated as `govmedia up` does
                assert broker.process is not None
                broker.process.send_signal(signal.SIGKILL)
                broker.process.wait(10)
                await asyncio.sleep(1.0)
                broker.start(lambda _: None)
                await recreate_topics(broker.bootstrap, lambda _: None)
            await asyncio.sleep(0.02)

        async def all_on_new_broker() -> bool:
            async with outbox.connect() as conn:
                left = await conn.execute(
                    text("SELECT count(*) FROM outbox WHERE published_to IS DISTINCT FROM :b"),
                    {"b": broker.cluster_id},
                )
                return bool(left.scalar_one() == 0)

        await fault_kit.wait_until(all_on_new_broker, within=60, what="every row published to the new broker")
        first_seen: dict[str, list[int]] = {}

        async def every_event_on_the_new_broker() -> bool:
            first_seen.clear()
            first_seen.update({a: [] for a in accounts})
            seen: set[str] = set()
            records = await read_topics(broker.bootstrap, [MetricsObserved.topic])
            for r in sorted(records, key=lambda r: (r.partition, r.offset)):
                if (event_id := r.header("ce_id")) not in seen:
                    seen.add(event_id)
                    data = orjson.loads(r.value or b"{}")
                    first_seen[data["account_id"]].append(data["reads"])
            return all(len(s) == 120 for s in first_seen.values())

        await fault_kit.wait_until(every_event_on_the_new_broker, within=30, what="every event on the topic")
        out_of_order = {a[:8]: s for a, s in first_seen.items() if s != sorted(s)}
        assert not out_of_order, f"first arrivals out of outbox order: {out_of_order}"
        relay.stop()
    finally:
        await producer.stop()
        broker.stop()
