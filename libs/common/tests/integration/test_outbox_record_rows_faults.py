"""Faults around outbox rows of several records (a bulk statement's events, ``sql_outbox_records_cte``) mixed
with plain rows of the same accounts: several relays at once, a relay cancelled while it sends a row's
records, a record the broker refuses, and what the operator does about it (docs/operations.md, "A dead-outbox
row")."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govmedia_common.db import session_factory
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events import AlertRaised
from govmedia_common.events import outbox as outbox_writers
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.settings import KafkaSettings
from govmedia_platform.stack import EmbeddedBroker

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit, Record

pytestmark = pytest.mark.integration


async def write_records(
    sessions: async_sessionmaker[AsyncSession], events: list[AlertRaised]
) -> list[Envelope]:
    """The events as a bulk statement writes them, three to a row; the envelopes add_event would make."""
    async with sessions() as session, session.begin():
        return await outbox_writers.write_records(session, events, per_row=3)


def alerts(events: EventFactory, accounts: list[str]) -> list[AlertRaised]:
    """One alert per account, raised at one instant (one header template for a row of several)."""
    first = events.alert_raised()
    return [first.model_copy(update={"alert_id": str(uuid.uuid4()), "account_id": a}) for a in accounts]


async def insert_records_row(engine: AsyncEngine, envs: list[Envelope], *, dead: bool = False) -> int:
    """A row of several records as a writer with a larger limit than this broker's would leave it."""
    template = {k: v.decode() for k, v in envs[0].headers()} | {"ce_id": "", "ce_subject": ""}
    async with engine.begin() as conn:
        return int(
            (
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, "
                        "records, keys, dead_at, last_error) VALUES (:id, 'account', :a, :type, :topic, "
                        "CAST(:payload AS json), CAST(:headers AS json), :n, CAST(:keys AS text[]), "
                        "CASE WHEN :dead THEN now() END, CASE WHEN :dead THEN 'MessageSizeTooLarge' END) "
                        "RETURNING seq"
                    ),
                    {
                        "id": envs[0].id,
                        "a": envs[0].subject,
                        "type": envs[0].type,
                        "topic": AlertRaised.topic,
                        "payload": "["
                        + ",".join(f'["{e.id}","{e.subject}",{e.value().decode()}]' for e in envs)
                        + "]",
                        "headers": orjson.dumps(template).decode(),
                        "n": len(envs),
                        "keys": [e.subject for e in envs],
                        "dead": dead,
                    },
                )
            ).scalar_one()
        )


def first_deliveries(records: list[Record]) -> dict[bytes, list[bytes]]:
    """Per key, the event ids in the order of their first copy on the topic."""
    seen: set[bytes] = set()
    order: dict[bytes, list[bytes]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = dict(r.headers)["ce_id"]
        if event_id not in seen:
            seen.add(event_id)
            order.setdefault(r.key, []).append(event_id)
    return order


async def all_published(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        left = await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        return not left.scalar()


async def unpublished(engine: AsyncEngine) -> dict[int, tuple[bool, bool]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT seq, published_at IS NOT NULL, dead_at IS NOT NULL FROM outbox ORDER BY seq")
        )
        return {r[0]: (r[1], r[2]) for r in rows}


async def test_other_aggregates_flow_past_a_backlog_of_rows_of_several_records_behind_a_set_aside_row(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obstarve")
    sessions = session_factory(engine)
    a, b, z = (str(uuid.uuid4()) for _ in range(3))
    dead = await insert_records_row(engine, [wrap(e) for e in alerts(events, [a, b])], dead=True)
    for _ in range(3):  # the next snapshots of the same accounts: they wait behind the set-aside row
        await write_records(sessions, alerts(events, [a, b]))
    async with sessions() as session, session.begin():
        free = await add_event(session, events.alert_raised(z))  # another account: must flow
    relay = OutboxRelay(
        sessions, await kit.producer(), service="test-starve", relay_id=f"s-{uuid.uuid4().hex[:6]}",
        batch_size=2,
    )  # fmt: skip
    await relay.drain(max_seconds=1)
    state = await unpublished(engine)
    assert state[dead] == (False, True)
    assert [s for s, (published, _) in state.items() if published] == [max(state)], (
        f"only {free.id} (another account) flows; the rows of a and b wait: {state}"
    )


async def test_other_aggregates_flow_past_rows_of_several_records_behind_another_relays_lease(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obstarvelease")
    sessions = session_factory(engine)
    a, b, z = (str(uuid.uuid4()) for _ in range(3))
    for _ in range(4):  # the first is another relay's; the next three wait behind its lease
        await write_records(sessions, alerts(events, [a, b]))
    async with sessions() as session, session.begin():
        await add_event(session, events.alert_raised(z))  # another account: must flow
    producer = await kit.producer()
    holder = OutboxRelay(
        sessions, producer, service="test-starve", relay_id=f"h-{uuid.uuid4().hex[:6]}", batch_size=1
    )
    other = OutboxRelay(
        sessions, producer, service="test-starve", relay_id=f"o-{uuid.uuid4().hex[:6]}", batch_size=2
    )
    held = await holder.claim()
    assert {r.seq for r in held} == {1}
    taken = await other.claim()
    assert {r.seq for r in taken} == {5}, "the other account's row, past the rows waiting behind the lease"


class RefusingBroker:
    """The real producer, but a record whose value is over ``limit`` bytes is answered as a broker with that
    ``message.max.bytes`` answers it (``MessageSizeTooLargeError`` on its acknowledgement), unsent: a broker
    or topic limit below the producer's own ``max_request_size``."""

    def __init__(self, producer: AIOKafkaProducer, limit: int) -> None:
        self.producer = producer
        self.limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.producer, name)

    async def send(self, topic: str, *, value: bytes, **kwargs: Any) -> asyncio.Future[Any]:
        if len(value) <= self.limit:
            return cast("asyncio.Future[Any]", await self.producer.send(topic, value=value, **kwargs))
        refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        refused.set_exception(MessageSizeTooLargeError())
        return refused


async def test_a_record_the_broker_refuses_on_acknowledgement_holds_back_the_later_rows_of_its_keys(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obbrokerref")
    sessions = session_factory(engine)
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    batch = alerts(events, [a, b])
    batch[1] = batch[1].model_copy(update={"detail": {"evidence": "x" * 20_000}})  # over this broker's limit
    envs = [wrap(e) for e in batch]
    row = await insert_records_row(engine, envs)
    async with sessions() as session, session.begin():
        behind_a = await add_event(session, events.alert_raised(a))
        behind_b = await add_event(session, events.alert_raised(b))
        await add_event(session, events.alert_raised(c))
    broker = RefusingBroker(await kit.producer(), limit=10_000)
    relay = OutboxRelay(
        sessions, cast(AIOKafkaProducer, broker), service="test-refused", relay_id=f"r-{uuid.uuid4().hex[:6]}"
    )
    await relay.drain(max_seconds=1)
    await relay.drain(max_seconds=1)
    state = await unpublished(engine)
    assert state == {
        row: (False, True),  # set aside whole
        row + 1: (False, False),  # a: waits behind it
        row + 2: (False, False),  # b: waits behind it (its event must not overtake the refused one)
        row + 3: (True, False),  # another account flows
    }, state
    del behind_a, behind_b


async def outbox_order(engine: AsyncEngine) -> dict[bytes, list[bytes]]:
    """Per key, the event ids in outbox order (a row's records in their order: their ids ascend)."""
    order: dict[bytes, list[bytes]] = {}
    async with engine.connect() as conn:
        for event_id, key in await conn.execute(text("SELECT id, key FROM outbox_records ORDER BY seq, id")):
            order.setdefault(key.encode(), []).append(event_id.encode())
    return order


async def write_mixed(
    sessions: async_sessionmaker[AsyncSession], events: EventFactory, accounts: list[str], rounds: int
) -> None:
    """Rows of several records and plain rows of the same accounts, interleaved, one transaction each."""
    for i in range(rounds):
        if i % 2 == 0:
            await write_records(
                sessions, alerts(events, [accounts[(i + j) % len(accounts)] for j in range(7)])
            )
        else:
            async with sessions() as session, session.begin():
                for j in range(3):
                    await add_event(session, events.alert_raised(accounts[(i * 3 + j) % len(accounts)]))
        await asyncio.sleep(0)


async def test_three_relays_at_once_keep_each_keys_order_over_rows_of_several_records_and_plain_rows(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obthree")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(5)]
    await write_mixed(sessions, events, accounts, 10)  # a backlog, then writes while the relays run
    relays = [
        OutboxRelay(
            sessions,
            await kit.producer(),
            service="test-three",
            relay_id=f"t{n}-{uuid.uuid4().hex[:6]}",
            batch_size=4,
            idle_sleep=0.02,
            lease_seconds=5,
        )
        for n in range(3)
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        await write_mixed(sessions, events, accounts, 30)

        await kit.wait_until(lambda: all_published(engine), within=30, what="every row published")
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected = await outbox_order(engine)
    ids = {i for mine in expected.values() for i in mine}
    records = await kit.read_topic(
        AlertRaised.topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=len(ids)
    )
    assert first_deliveries(records) == expected, "per key, first copies in outbox order; nothing lost"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT max(attempts) FROM outbox"))).scalar() == 1, "marked once"


class FreezingProducer:
    """The real producer, until ``after`` records were handed to it: then every send hangs (until ``thaw``),
    as a relay's process stopped dead (SIGKILL, a frozen host) in the middle of a row's records."""

    def __init__(self, producer: AIOKafkaProducer, after: int) -> None:
        self.producer = producer
        self.after = after
        self.frozen = asyncio.Event()
        self.thaw = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.producer, name)

    async def send(self, topic: str, **kwargs: Any) -> asyncio.Future[Any]:
        if self.after == 0:
            self.frozen.set()
            await self.thaw.wait()
        self.after -= 1
        return cast("asyncio.Future[Any]", await self.producer.send(topic, **kwargs))


@pytest.mark.parametrize("death", ["killed", "cancelled", "resumes"])
async def test_a_relay_dying_while_it_sends_a_rows_records_leaves_every_record_to_the_next_relay(
    kit: PlumbingKit, events: EventFactory, death: str
) -> None:
    engine = await kit.database("obdies")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(4)]
    await write_mixed(sessions, events, accounts, 4)
    frozen = FreezingProducer(await kit.producer(), after=2)  # dies after the row's first two records
    dying = OutboxRelay(
        sessions, cast(AIOKafkaProducer, frozen), service="test-dies", relay_id=f"d-{uuid.uuid4().hex[:6]}",
        lease_seconds=1.5,
    )  # fmt: skip
    taker = OutboxRelay(
        sessions, await kit.producer(), service="test-dies", relay_id=f"t-{uuid.uuid4().hex[:6]}"
    )
    await taker.check_broker(force=True)  # running before
    task = asyncio.create_task(dying.drain(max_seconds=0))
    try:
        await asyncio.wait_for(frozen.frozen.wait(), 10)
        if death == "cancelled":
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif (
            death == "killed"
        ):  # its process is gone: PostgreSQL ends its sessions (its gate), its lease stays
            async with engine.connect() as conn:
                killed = await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                        "AND pid <> pg_backend_pid()"
                    )
                )
                assert killed.all(), "the relay held its gate"
        assert await taker.run_once() == 0 or death == "cancelled", "a live lease holds the rows"

        async def taken_over() -> bool:
            await taker.drain(max_seconds=1)
            return await all_published(engine)

        await kit.wait_until(taken_over, within=15, what="the next relay to publish every row")
        if death == "resumes":  # a pause, not a death: it sends the rest of its batch and marks it
            frozen.thaw.set()
            await asyncio.wait_for(task, 10)
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    expected = await outbox_order(engine)
    ids = {i for mine in expected.values() for i in mine}
    records = await kit.read_topic(
        AlertRaised.topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=len(ids)
    )
    assert first_deliveries(records) == expected, "every record at least once, each key's first in order"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT max(attempts) FROM outbox"))).scalar() == 1, "marked once"


async def test_a_relay_stalled_mid_row_and_a_replica_starting_do_not_stop_the_relays_that_run(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obstall")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(4)]
    running = OutboxRelay(
        sessions, await kit.producer(), service="test-stall", relay_id=f"r-{uuid.uuid4().hex[:6]}"
    )
    await running.drain(max_seconds=0)  # it has taken the broker on
    await write_mixed(sessions, events, accounts, 2)
    frozen = FreezingProducer(await kit.producer(), after=2)  # a relay whose process stalls mid-row
    stalled = OutboxRelay(
        sessions, cast(AIOKafkaProducer, frozen), service="test-stall", relay_id=f"s-{uuid.uuid4().hex[:6]}"
    )
    stalling = asyncio.create_task(stalled.drain(max_seconds=0))
    starting = OutboxRelay(
        sessions, await kit.producer(), service="test-stall", relay_id=f"n-{uuid.uuid4().hex[:6]}"
    )
    starting._guard.gate_wait_seconds = 3  # 30 s in a service
    try:
        await asyncio.wait_for(frozen.frozen.wait(), 10)
        start = asyncio.create_task(starting.drain(max_seconds=0))  # a replica (re)started meanwhile
        await asyncio.sleep(0.3)
        async with sessions() as session, session.begin():
            await add_event(session, events.alert_raised(str(uuid.uuid4())))  # another account
        loop = asyncio.get_running_loop()
        began = loop.time()
        published = await running.drain(max_seconds=0)
        took = loop.time() - began
        with contextlib.suppress(Exception):
            await start
        assert published == 1 and took < 1.5, f"the running relay published {published} in {took:.1f} s"
    finally:
        for task in (stalling,):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def test_a_new_broker_gets_rows_of_several_records_again_each_keys_first_copies_in_order(
    kit: PlumbingKit, events: EventFactory, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    kafka = KafkaSettings(bootstrap=broker.bootstrap)
    producer = make_producer(kafka, "records-broker-loss")
    relay: OutboxRelay | None = None
    task: asyncio.Task[None] | None = None
    try:
        await ensure_topics(kafka, [AlertRaised.topic])
        await producer.start()
        engine = await kit.database("obloss")
        sessions = session_factory(engine)
        accounts = [str(uuid.uuid4()) for _ in range(4)]
        relay = OutboxRelay(
            sessions, producer, service="test-loss", kafka=kafka, batch_size=5, idle_sleep=0.02,
            broker_check_seconds=0.2, topic_wait_seconds=5,
        )  # fmt: skip
        await write_mixed(sessions, events, accounts, 6)
        await relay.drain()  # published to the first broker
        first = relay.broker
        await write_mixed(sessions, events, accounts, 6)  # unpublished when it goes
        assert broker.process is not None
        broker.process.kill()
        broker.process.wait(10)
        broker.start(lambda _: None)  # same port, empty, a new cluster id
        await ensure_topics(kafka, [AlertRaised.topic], repair=True)
        task = asyncio.create_task(relay.run())
        await write_mixed(sessions, events, accounts, 6)  # and more while it takes the new one on

        async def all_on_the_new_broker() -> bool:
            async with engine.connect() as conn:
                return not (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM outbox WHERE published_at IS NULL "
                            "OR published_to IS DISTINCT FROM :b"
                        ),
                        {"b": broker.cluster_id},
                    )
                ).scalar()

        await kit.wait_until(all_on_the_new_broker, within=30, what="every row on the new broker")
        assert relay.broker == broker.cluster_id != first
        expected = await outbox_order(engine)
        ids = {i for mine in expected.values() for i in mine}
        reader = type(kit)(kit.infra)  # the kit's topic reader, on this broker
        reader.kafka = kafka
        records = await reader.read_topic(
            AlertRaised.topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=len(ids)
        )
        assert first_deliveries(records) == expected, "everything again, per key first copies in order"
    finally:
        if relay is not None:
            relay.stop()
        if task is not None:
            with contextlib.suppress(BaseException):
                await task
        await producer.stop()
        broker.stop()


async def test_a_row_set_aside_for_a_refused_record_keeps_the_brokers_error(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("oberror")
    sessions = session_factory(engine)
    batch = alerts(events, [str(uuid.uuid4()) for _ in range(3)])
    batch[1] = batch[1].model_copy(update={"detail": {"evidence": "x" * 1_200_000}})  # over 1 MiB
    row = await insert_records_row(engine, [wrap(e) for e in batch])
    relay = OutboxRelay(
        sessions, await kit.producer(), service="test-error", relay_id=f"e-{uuid.uuid4().hex[:6]}"
    )
    await relay.drain(max_seconds=1)
    async with engine.connect() as conn:
        dead, error = (
            await conn.execute(
                text("SELECT dead_at IS NOT NULL, last_error FROM outbox WHERE seq = :s"), {"s": row}
            )
        ).one()
    assert dead and "MessageSizeTooLarge" in (error or ""), error


async def test_relays_cancelled_and_replaced_over_and_over_lose_nothing_and_keep_each_keys_order(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obchurn")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(5)]
    producer = await kit.producer()

    def relay() -> OutboxRelay:
        return OutboxRelay(
            sessions, producer, service="test-churn", relay_id=f"c-{uuid.uuid4().hex[:6]}",
            batch_size=5, idle_sleep=0.02, lease_seconds=1,
        )  # fmt: skip

    running = [relay() for _ in range(3)]
    tasks = [asyncio.create_task(r.run()) for r in running]
    writing = asyncio.create_task(write_mixed(sessions, events, accounts, 40))
    try:
        for turn in range(8):  # one relay after another stops dead in the middle of whatever it does
            await asyncio.sleep(0.15)
            tasks[turn % 3].cancel()
            done, _ = await asyncio.wait([tasks[turn % 3]], timeout=1)
            if not done:  # Python 3.11's wait_for (aiokafka's) can drop a cancel: stop it as a service does
                running[turn % 3].stop()
            with contextlib.suppress(BaseException):
                await tasks[turn % 3]
            running[turn % 3] = relay()
            tasks[turn % 3] = asyncio.create_task(running[turn % 3].run())
        await writing

        await kit.wait_until(lambda: all_published(engine), within=30, what="every row published")
    finally:
        writing.cancel()
        for r in running:
            r.stop()
        await asyncio.gather(*tasks, writing, return_exceptions=True)
    expected = await outbox_order(engine)
    ids = {i for mine in expected.values() for i in mine}
    records = await kit.read_topic(
        AlertRaised.topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=len(ids)
    )
    assert first_deliveries(records) == expected, "per key, first copies in outbox order; nothing lost"


async def test_rows_of_several_records_out_when_the_broker_is_lost_arrive_on_the_new_one_in_order(
    kit: PlumbingKit, events: EventFactory, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    broker.start(lambda _: None)
    kafka = KafkaSettings(bootstrap=broker.bootstrap)
    producer = make_producer(kafka, "records-mid-batch")
    try:
        await ensure_topics(kafka, [AlertRaised.topic])
        await producer.start()
        engine = await kit.database("oblost")
        sessions = session_factory(engine)
        accounts = [str(uuid.uuid4()) for _ in range(3)]
        relay = OutboxRelay(sessions, producer, service="test-lost", kafka=kafka, topic_wait_seconds=5)
        await write_mixed(sessions, events, accounts, 3)
        await relay.drain()
        await write_mixed(sessions, events, accounts, 3)

        guard = relay._guard
        rows = await guard.enter(relay.claim)
        sent, outcome = await guard.send(rows)  # the records are out
        assert broker.process is not None
        os.kill(broker.process.pid, signal.SIGSTOP)
        await asyncio.sleep(0.3)
        broker.process.kill()
        broker.process.wait(10)
        broker.start(lambda _: None)  # same port, empty, a new cluster id; the producer retries into it
        await ensure_topics(kafka, [AlertRaised.topic], repair=True)
        outcome = await guard.acknowledged(sent, outcome)
        assert outcome.error is not None and not outcome.published, "nothing marked"
        await relay.release(rows, repr(outcome.error))
        await guard.leave()  # takes the new broker on: the topic is recreated, everything queued again
        assert relay.broker == broker.cluster_id
        await relay.drain()

        expected = await outbox_order(engine)
        ids = {i for mine in expected.values() for i in mine}
        reader = type(kit)(kit.infra)
        reader.kafka = kafka
        records = await reader.read_topic(
            AlertRaised.topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=len(ids)
        )
        assert first_deliveries(records) == expected, "everything on the new broker, each key's in order"
    finally:
        await producer.stop()
        broker.stop()
