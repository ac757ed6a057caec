"""The runbook of docs/operations.md ("A dead-outbox row") for a row of several records (the monitor's metric
snapshots) whose one record the broker refuses, with later rows of its keys and of other accounts: the relay
sets it aside, ``govmedia outbox list`` shows it with every row that waits behind it, the operator reads the
record in ``outbox_records``, shortens it with ``jsonb_set`` on its element, releases it with ``govmedia
outbox release``, and every event goes out, each account's first copies in order."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from typer.testing import CliRunner

from govmedia_common.db import create_engine, session_factory
from govmedia_common.envelope import Envelope
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.events.outbox import write_records
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.settings import KafkaSettings
from govmedia_platform import outbox_cli
from govmedia_platform.cli import app
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

if TYPE_CHECKING:
    from .conftest import FaultKit

pytestmark = pytest.mark.integration

TOPIC = MetricsObserved.topic


NOW = datetime.now(UTC)  # the snapshots of one ingest share their instant (one header template)


def snapshot(account: str, post: str = "p") -> MetricsObserved:
    now = NOW
    return MetricsObserved(
        occurred_at=now, account_id=account, platform_post_id=post, reads=1, as_of=now,
        ingest_channel=IngestChannel.CONNECTOR,
    )  # fmt: skip


async def write_snapshots(
    engine: AsyncEngine, snapshots: list[MetricsObserved], *, limit: int
) -> list[Envelope]:
    """The snapshots as the monitor's bulk ingest writes them (one row of several records), by a service
    whose GOVMEDIA_OUTBOX_MAX_EVENT_BYTES (``limit``) is set larger than its broker accepts."""
    async with AsyncSession(engine) as session, session.begin():
        return await write_records(session, snapshots, max_bytes=limit)


async def first_copies(bootstrap: str, ids: set[bytes]) -> dict[bytes, list[bytes]]:
    """Per key, the event ids (of ``ids``) in the order of their first copy on the topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[tuple[int, int, bytes, bytes]] = []
        for _ in range(100):
            positions = [await consumer.position(tp) for tp in tps]
            if all(at >= ends[tp] for at, tp in zip(positions, tps, strict=True)):
                break
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found += [
                    (r.partition, r.offset, r.key, dict(r.headers)["ce_id"])
                    for r in records
                    if dict(r.headers).get("ce_id") in ids
                ]
    finally:
        await consumer.stop()
    seen: set[bytes] = set()
    order: dict[bytes, list[bytes]] = {}
    for _, _, key, event_id in sorted(found):
        if event_id not in seen:
            seen.add(event_id)
            order.setdefault(key, []).append(event_id)
    return order


async def test_the_runbook_releases_a_row_of_several_records_the_broker_refused(
    infra: Infrastructure, fault_kit: FaultKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    await ensure_topics(kafka, [TOPIC])
    url = await fresh_database(infra, "obrunbook", "monitor")  # the monitor's schema, view and all
    monkeypatch.setattr(outbox_cli, "database_name", lambda service: make_url(url).database)
    engine = create_engine(url)
    a, b, c, z, w = (str(uuid.uuid4()) for _ in range(5))
    snapshots = [snapshot(a), snapshot(b, "x" * 1_200_000), snapshot(c)]  # b's: over the producer's 1 MiB
    row = await write_snapshots(engine, snapshots, limit=2_000_000)
    async with engine.begin() as conn:
        (dead,) = (await conn.execute(text("SELECT seq FROM outbox"))).one()
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        behind_a = await add_event(session, snapshot(a))  # waits: a is a key of the refused row
    behind_c = await write_snapshots(engine, [snapshot(c), snapshot(z)], limit=2_000_000)  # c: waits
    async with sessions() as session, session.begin():
        behind_z = await add_event(session, snapshot(z))  # waits behind the row of c and z
        flows = await add_event(session, snapshot(w))  # another account: flows

    producer = make_producer(kafka, "runbook")
    await producer.start()
    relay = OutboxRelay(sessions, producer, service="runbook", kafka=kafka)
    try:
        await relay.drain(max_seconds=1)
        await relay.drain(max_seconds=1)
        async with engine.connect() as conn:
            state: dict[str, tuple[bool, bool]] = dict(
                (
                    await conn.execute(
                        text("SELECT id, (published_at IS NOT NULL, dead_at IS NOT NULL) FROM outbox")
                    )
                ).all()
            )
            view = (
                await conn.execute(
                    text("SELECT id, key, octet_length(payload::text) FROM outbox_records WHERE seq = :s"),
                    {"s": dead},
                )
            ).all()
        assert state == {
            row[0].id: (False, True),
            behind_a.id: (False, False),
            behind_c[0].id: (False, False),
            behind_z.id: (False, False),
            flows.id: (True, False),
        }, state
        assert [(v.id, v.key) for v in view] == [(e.id, e.subject) for e in row], "the view: each record"
        assert [v[2] for v in view] == [len(e.value()) for e in row], "each record's size as sent"
        await relay.update_gauges()
        assert REGISTRY.get_sample_value("govmedia_outbox_backlog", {"service": "runbook"}) == 3 + 1 + 2 + 1

        runner = CliRunner()
        server = infra.database_server_url
        listed = await asyncio.to_thread(
            runner.invoke, app, ["outbox", "list", "monitor", "--database-url", server]
        )
        assert listed.exit_code == 0, listed.output
        line = re.search(rf"monitor  seq {dead}  {row[0].type}  3 records.*", listed.output)
        assert line is not None, repr(listed.output)
        assert "3 later row(s) waiting" in line.group(0), (
            "every row that waits behind it: of its keys a and c, and z's behind the row of c and z"
        )

        # The runbook: shorten the second record's post id on its element, then release the row.
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE outbox SET payload = jsonb_set(payload::jsonb, '{1,2,platform_post_id}', "
                    "'\"shortened\"') WHERE seq = :s"
                ),
                {"s": dead},
            )
        released = await asyncio.to_thread(
            runner.invoke, app, ["outbox", "release", "monitor", "--seq", str(dead), "--database-url", server]
        )
        assert released.exit_code == 0, released.output
        await relay.drain(max_seconds=2)
    finally:
        await producer.stop()
        await engine.dispose()

    async with engine.connect() as conn:
        assert not (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        ).scalar()
    mine = [*row, behind_a, *behind_c, behind_z, flows]
    order = await first_copies(infra.kafka_bootstrap, {e.id.encode() for e in mine})
    assert order == {
        key.encode(): [e.id.encode() for e in mine if e.subject == key] for key in (a, b, c, z, w)
    }, "every event, each account's first copies in the order written"


async def test_the_list_counts_behind_each_set_aside_row_only_the_rows_after_it(
    infra: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await fresh_database(infra, "obrunbook_two", "monitor")
    monkeypatch.setattr(outbox_cli, "database_name", lambda service: make_url(url).database)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for key, keys, dead in (("a", ["a", "b"], True), ("b", None, False), ("b", ["b", "c"], True)):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, "
                        "records, keys, dead_at) VALUES (gen_random_uuid()::text, 'account', :k, 't', "
                        "'gov.monitor.observations', '[]', '{}', "
                        "CASE WHEN CAST(:keys AS text[]) IS NOT NULL THEN 2 END, "
                        "CAST(:keys AS text[]), CASE WHEN CAST(:dead AS boolean) THEN now() END)"
                    ),
                    {"k": key, "keys": keys, "dead": dead},
                )
            for key in ("c", "z"):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers) "
                        "VALUES (gen_random_uuid()::text, 'account', :k, 't', 'gov.monitor.observations', "
                        "'{}', '{}')"
                    ),
                    {"k": key},
                )
    finally:
        await engine.dispose()
    rows = await outbox_cli.set_aside(infra.database_server_url, ["monitor"])
    assert [(r.seq, r.waiting) for r in rows] == [(1, 3), (3, 1)], (
        "behind 1 (a, b): the row of b, the row 3 of b and c, and c's behind it; behind 3: c's only"
    )
