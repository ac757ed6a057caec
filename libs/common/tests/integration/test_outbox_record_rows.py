"""An outbox row of several records (a bulk statement's events, ``sql_outbox_records_cte``) goes out as the
records ``add_event`` would have written one by one, and the relay keeps each key's order as it keeps an
aggregate's: behind another relay's lease, behind a row set aside, and across the rows of several records
that share a key."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.db import session_factory
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events import AlertRaised
from govmedia_common.events.outbox import sql_headers, write_records
from govmedia_common.outbox import EventTooLarge, OutboxRelay, add_event, event_size, takeable

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


async def write(sessions: async_sessionmaker[AsyncSession], events: list[AlertRaised]) -> list[Envelope]:
    """The events as a bulk statement writes them (four to a row here); the envelopes add_event would make."""
    async with sessions() as session, session.begin():
        return await write_records(session, events, per_row=4)


def alerts(events: EventFactory, accounts: list[str]) -> list[AlertRaised]:
    first = events.alert_raised()
    return [first.model_copy(update={"alert_id": str(uuid.uuid4()), "account_id": a}) for a in accounts]


async def test_a_row_of_several_records_goes_out_as_each_record_add_event_would_write(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obmany")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(5)]
    batch = alerts(events, [accounts[i % 5] for i in range(10)])
    expected = await write(sessions, batch)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT records, keys FROM outbox ORDER BY seq"))).all()
        view = (
            await conn.execute(text("SELECT id, key, payload::text FROM outbox_records ORDER BY seq"))
        ).all()
    assert [r.records for r in rows] == [4, 4, 2], "ten events in three rows"
    assert [k for r in rows for k in r.keys] == [e.account_id for e in batch]
    assert [(v.id, v.key, v.payload.encode()) for v in view] == [
        (env.id, env.subject, env.value()) for env in expected
    ], "the view shows each record as written"

    relay = OutboxRelay(
        sessions, await kit.producer(), service="test-many", relay_id=f"m-{uuid.uuid4().hex[:6]}"
    )
    await relay.update_gauges()
    assert REGISTRY.get_sample_value("govmedia_outbox_backlog", {"service": "test-many"}) == 10, "events"
    assert await relay.run_once() == 10
    ids = {env.id.encode() for env in expected}
    records = await kit.read_topic(batch[0].topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=10)
    by_id = {dict(r.headers)["ce_id"].decode(): r for r in records}
    for env in expected:
        record = by_id[env.id]
        assert record.value == env.value() and list(record.headers) == env.headers()
        assert record.key == env.subject.encode()
    for account in accounts:  # each key's records in the order written
        sent = [
            dict(r.headers)["ce_id"]
            for r in sorted(records, key=lambda r: r.offset)
            if r.key == account.encode()
        ]
        assert sent == [env.id.encode() for env in expected if env.subject == account]
    async with engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        ).scalar() == 0


async def test_a_claim_keeps_each_keys_order_behind_another_relays_lease(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obkeys")
    sessions = session_factory(engine)
    x, y, w, z, v = (str(uuid.uuid4()) for _ in range(5))
    await write(sessions, alerts(events, [x, y]))  # R1 (seq 1): x, y
    async with sessions() as session, session.begin():
        await add_event(session, events.alert_raised(x))  # 2: x, behind R1
        await add_event(session, events.alert_raised(w))  # 3: free
    await write(sessions, alerts(events, [z, y]))  # R2 (4): y is R1's, so R2 waits
    async with sessions() as session, session.begin():
        await add_event(session, events.alert_raised(z))  # 5: z, behind R2, which waits
        await add_event(session, events.alert_raised(v))  # 6: free
    producer = await kit.producer()
    holder = OutboxRelay(
        sessions, producer, service="test", relay_id=f"b-{uuid.uuid4().hex[:6]}", batch_size=2
    )
    other = OutboxRelay(sessions, producer, service="test", relay_id=f"a-{uuid.uuid4().hex[:6]}")

    held = await holder.claim()
    assert {r.seq for r in held} == {1} and [r.key for r in held] == [x, y]
    taken = await other.claim()
    assert sorted({r.seq for r in taken}) == [3, 6], "only what shares no key with a held or waiting row"

    await holder.mark(held)
    rest = await other.claim(in_flight=[r.seq for r in taken])
    assert [r.seq for r in rest] == [2, 4, 4, 5], "the rest, in order, once R1 is out"
    assert [r.key for r in rest] == [x, z, y, z]


def test_a_row_left_out_holds_back_every_later_row_of_any_of_its_keys() -> None:
    rows = [
        (1, "a", ["a", "b"], 2, False),  # b is busy: left out, and with it a and b
        (2, "a", None, 1, False),  # behind row 1
        (3, "c", ["c", "a"], 2, False),  # shares a with row 1: left out, and c with it
        (4, "c", None, 1, False),  # behind row 3
        (5, "d", None, 1, False),
        (6, "e", ["e"], 1, False),
    ]
    assert takeable(["b"], rows, 100) == [5, 6]
    assert takeable([], rows, 100) == [1, 2, 3, 4, 5, 6]
    assert takeable([], rows, 3) == [1, 2], "up to the limit of records"
    assert takeable([], rows, 1) == [1], "the first row always, whatever its size"
    held = [(0, "f", ["f", "d"], 0, True), *rows]  # found sharing a busy key: its keys wait with it
    assert takeable([], held, 100) == [1, 2, 3, 4, 6]


async def test_a_record_the_broker_refuses_sets_its_whole_row_aside_and_its_keys_wait(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obdead")
    sessions = session_factory(engine)
    a, b, c, d = (str(uuid.uuid4()) for _ in range(4))
    batch = alerts(events, [a, b, c])
    batch[1] = batch[1].model_copy(update={"detail": {"evidence": "x" * 1_200_000}})  # over 1 MiB
    template = sql_headers(batch[0])
    envs = [wrap(e, traceparent=template.get("traceparent")) for e in batch]
    async with engine.begin() as conn:  # as a writer with a larger limit than this broker's would leave it
        await conn.execute(
            text(
                "INSERT INTO outbox "
                "(id, aggregatetype, aggregateid, type, topic, payload, headers, records, keys) "
                "VALUES (:id, 'account', :a, :type, :topic, CAST(:payload AS json), "
                "CAST(:headers AS json), 3, CAST(:keys AS text[]))"
            ),
            {
                "id": envs[0].id,
                "a": a,
                "type": envs[0].type,
                "topic": batch[0].topic,
                "payload": "["
                + ",".join(f'["{e.id}","{e.subject}",{e.value().decode()}]' for e in envs)
                + "]",
                "headers": orjson.dumps(template).decode(),
                "keys": [a, b, c],
            },
        )
    async with sessions() as session, session.begin():
        behind_b = await add_event(session, events.alert_raised(b))
        behind_c = await add_event(session, events.alert_raised(c))
        flows = await add_event(session, events.alert_raised(d))
    relay = OutboxRelay(
        sessions, await kit.producer(), service="test-dead", relay_id=f"d-{uuid.uuid4().hex[:6]}"
    )

    await relay.drain(max_seconds=1)
    await relay.drain(max_seconds=1)
    async with engine.connect() as conn:
        state: dict[int, tuple[bool, bool]] = dict(
            (
                await conn.execute(
                    text("SELECT seq, (published_at IS NOT NULL, dead_at IS NOT NULL) FROM outbox")
                )
            ).all()
        )
    assert state == {1: (False, True), 2: (False, False), 3: (False, False), 4: (True, False)}, (
        "the row is set aside whole; the later events of its keys wait; another key flows"
    )

    async with engine.begin() as conn:  # the operator shortens the record and releases the row
        await conn.execute(
            text("UPDATE outbox SET dead_at = NULL, payload = CAST(:p AS json) WHERE seq = 1"),
            {"p": "[" + ",".join(f'["{e.id}","{e.subject}",{{"short":true}}]' for e in envs) + "]"},
        )
    await relay.drain(max_seconds=1)
    ids = {e.id.encode() for e in envs} | {behind_b.id.encode(), behind_c.id.encode(), flows.id.encode()}
    records = await kit.read_topic(batch[0].topic, lambda r: dict(r.headers).get("ce_id") in ids, expect=7)
    firsts: list[bytes] = []
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        if dict(r.headers)["ce_id"] not in firsts:
            firsts.append(dict(r.headers)["ce_id"])
    for key, later in ((b, behind_b), (c, behind_c)):
        mine = [
            i for i in firsts if i in {e.id.encode() for e in envs if e.subject == key} | {later.id.encode()}
        ]
        assert mine == [next(e.id for e in envs if e.subject == key).encode(), later.id.encode()]


async def test_each_record_is_measured_as_the_relay_sends_it_and_one_too_large_refuses_them_all(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obsize")
    sessions = session_factory(engine)
    batch = alerts(events, [str(uuid.uuid4()) for _ in range(5)])
    batch[3] = batch[3].model_copy(update={"detail": {"evidence": "政务" * 300}})
    largest = max(event_size(wrap(e, traceparent=sql_headers(e).get("traceparent"))) for e in batch)
    with pytest.raises(EventTooLarge) as refused:
        async with sessions() as session, session.begin():
            await write_records(session, batch, max_bytes=largest - 1)
    assert refused.value.extensions["size"] == largest, "the largest record, to the byte"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar() == 0, "nothing written"
    async with sessions() as session, session.begin():
        assert len(await write_records(session, batch, max_bytes=largest)) == 5
    with pytest.raises(ValueError, match="one type, topic and time"):
        async with sessions() as session, session.begin():
            await write_records(session, [*batch, events.alert_raised()])
