"""Event bus benchmark: our outbox relay and consumer runner against raw aiokafka and PostgreSQL.

Starts the infrastructure the way the tests do (``test_infrastructure()``: environment URLs, else Docker,
else the embedded PostgreSQL + Tansu), then measures in one run, on the same broker and server:

* yardsticks: raw aiokafka produce (~200-byte JSON, ``acks=all``), raw consume + JSON parse, PostgreSQL
  one-row transactions (autocommit INSERT, one connection) and COPY; also the consumer's own transaction
  (inbox + effect INSERTs) on raw asyncpg, which shows what the ORM layer costs;
* ours: an in-process :class:`OutboxRelay` draining N outbox rows (one relay, then two, then one relay over
  the same N records written sixteen to a row as a bulk statement writes them; pipelined: the next
  claim overlaps the send and the broker's acknowledgements, the mark overlaps the next send; the relay is
  also put beside a raw produce of the very records it sends: ~1 KiB with CloudEvents headers), and a
  :class:`ConsumerRunner` handling messages with an aggregate-style effect: a batch handler that upserts
  per-account counters (inbox rows for the whole polled batch in one statement, one upsert per batch).

Goals (issue #8): relay ×1 ≥ 0.5 × raw produce; consumer runner ≥ 0.3 × raw consume+parse. Both are
printed beside their goal.

The yardstick, decided (2026-12): "raw" means raw aiokafka handling THE SAME records as ours, like for
like. For the consumer: a plain ``AIOKafkaConsumer`` (no group) reading the runner's own topic — the same
CloudEvents headers, keys and ~270-byte values — and parsing each value with ``orjson.loads``. For the
relay: a plain producer (same settings: keyed, ``acks=all``) sending the very records the relay sends
(stored payload text, CloudEvents headers, aggregate key), without a database. These are the primary
ratios, carrying the goals. The issue's first yardstick, 213-byte records without headers, stays as a
secondary line: aiokafka reads such a record about twice as fast and sends it about 2.5x cheaper, a cost of
the record format that no runner or relay can win back. The runner is also run with a no-op handler
(inbox only): its fixed cost per message, the floor under every consumer (scoring's ingest, #13), and a
third time with ``read_ahead=False`` (as services run it, the runner reads the next poll while the
transaction runs; without, the two take turns). Each consumer phase is run ``--repeat`` times (default 2,
the phases interleaved, after the relays' outbox is vacuumed) and its best run kept; the like-for-like
yardstick is read before and after them and its faster read kept: on a shared machine, the least disturbed
run of each.

Each of ours is reported as a fraction of its yardstick. A benchmark, not a test: nothing is asserted.
Prints a progress line per phase and a table; writes ``bench/results/bus.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext, batch, tune_gc
from govmedia_common.db import create_engine, session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import (
    AccountFiled,
    AccountSnapshot,
    AccountStatus,
    ApprovalLevel,
    AttentionTier,
    FilingType,
    IngestChannel,
    MetricsObserved,
    Platform,
)
from govmedia_common.events.outbox import RECORDS_PER_ROW
from govmedia_common.kafka import ensure_topics, make_producer
from govmedia_common.migrations import create_plumbing_tables
from govmedia_common.outbox import ROW_HEADERS, OutboxRelay
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import test_infrastructure
from govmedia_platform.stack import create_databases, with_database

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
AGGREGATES = 1_000


def progress(message: str) -> None:
    print(f"[bus {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Rate:
    name: str
    items: int
    seconds: float
    note: str = ""
    cpu_us: float | None = None  # this process's CPU µs per item (consumer phases): load moves it less

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.per_second, 1),
            "note": self.note,
            **({"cpu_us_per_item": round(self.cpu_us, 2)} if self.cpu_us is not None else {}),
        }


async def timed(name: str, items: int | None, work: Callable[[], Awaitable[Any]], note: str = "") -> Rate:
    """Time ``work``; ``items=None`` means work returns how many items it did."""
    start = time.perf_counter()
    done = await work()
    rate = Rate(name, done if items is None else items, time.perf_counter() - start, note)
    progress(f"{name}: {rate.per_second:,.0f}/s ({rate.items:,} in {rate.seconds:.2f}s)")
    return rate


# ---- yardsticks ----------------------------------------------------------------------------------


def raw_value(i: int) -> bytes:
    """About 200 bytes of JSON, like a small event."""
    return orjson.dumps(
        {
            "id": str(uuid.uuid4()),
            "account_id": f"acct-{i % AGGREGATES:06d}",
            "type": "gov.registry.account.filed.v1",
            "seq": i,
            "occurred_at": "2025-06-01T08:00:00.123456+00:00",
            "region_code": "331004",
            "status": "pending",
        }
    )


async def raw_produce(kafka: KafkaSettings, topic: str, n: int) -> Rate:
    producer = make_producer(kafka, "bench-raw")  # the services' producer settings (acks=all, linger 5 ms)
    await producer.start()
    values = [raw_value(i) for i in range(n)]
    keys = [f"acct-{i % AGGREGATES:06d}".encode() for i in range(n)]

    async def work() -> None:
        futures = [await producer.send(topic, values[i], key=keys[i]) for i in range(n)]
        await asyncio.gather(*futures)

    try:
        size = sum(map(len, values)) // n
        return await timed("raw produce", n, work, f"{size}-byte JSON values, keyed, acks=all")
    finally:
        await producer.stop()


async def raw_consume(kafka: KafkaSettings, topic: str, n: int, name: str = "raw consume+parse") -> Rate:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    await consumer.topics()
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)

    async def work() -> None:
        seen = 0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value)
                seen += len(records)

    try:
        cpu = time.process_time()
        rate = await timed(name, n, work, "no group, orjson.loads per message")
        rate.cpu_us = (time.process_time() - cpu) / n * 1e6
        return rate
    finally:
        await consumer.stop()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def pg_one_row_transactions(url: str, seconds: float) -> Rate:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    await conn.execute("CREATE TABLE bench_rows (id bigint, v text)")

    async def work() -> int:
        count = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            await conn.execute("INSERT INTO bench_rows VALUES ($1, $2)", count, "x")
            count += 1
        return count

    try:
        return await timed(
            "pg one-row transactions", None, work, "autocommit INSERT, one connection, fsync on"
        )
    finally:
        await conn.close()


async def pg_consumer_transactions(url: str, seconds: float) -> Rate:
    """The consumer's own transaction (inbox row + effect row) on raw asyncpg, without Kafka or SQLAlchemy."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    await conn.execute(
        "CREATE TABLE bench_inbox (source text, event_id text, PRIMARY KEY (source, event_id))"
    )

    async def work() -> int:
        count = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            async with conn.transaction():
                await conn.fetchrow(
                    "INSERT INTO bench_inbox VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id",
                    "/govmedia/bench",
                    str(uuid.uuid4()),
                )
                await conn.execute("INSERT INTO bench_rows VALUES ($1, $2)", count, "effect")
            count += 1
        return count

    try:
        return await timed("pg inbox+effect tx (raw)", None, work, "BEGIN, 2 INSERTs, COMMIT on raw asyncpg")
    finally:
        await conn.close()


# ---- ours ----------------------------------------------------------------------------------------


def template_events() -> list[AccountFiled]:
    events = []
    for _ in range(AGGREGATES):
        account_id = str(uuid.uuid4())
        events.append(
            AccountFiled(
                occurred_at=datetime.now(UTC),
                account_id=account_id,
                account=AccountSnapshot(
                    account_id=account_id,
                    name="路桥发布",
                    platform=Platform.WECHAT,
                    platform_account_id=None,
                    unit_id=str(uuid.uuid4()),
                    unit_name="台州市路桥区人民政府办公室",
                    region_code="331004",
                    status=AccountStatus.PENDING,
                    attention_tier=AttentionTier.ORDINARY,
                    interaction_enabled=True,
                    review_levels=3,
                    certified=False,
                    matrix_badge=None,
                    outsourced=False,
                ),
                filing_id=str(uuid.uuid4()),
                actor_id=str(uuid.uuid4()),
                filing_type=FilingType.OPEN,
                levels=(ApprovalLevel.UNIT, ApprovalLevel.COUNTY),
            )
        )
    return events


async def fill_outbox(url: str, topic: str, n: int, events: list[AccountFiled]) -> Rate:
    """N outbox rows, aggregates interleaved, written with COPY (as if N use cases had committed)."""
    templates = []
    for event in events:
        env = wrap(event)
        templates.append((env, {k: v.decode() for k, v in env.headers()}))
    records = []
    for i in range(n):
        env, headers = templates[i % len(templates)]
        event_id = str(uuid.uuid4())
        records.append(
            (
                event_id,
                "account",
                env.subject,
                env.type,
                topic,
                orjson.dumps(env.data).decode(),
                orjson.dumps({**headers, "ce_id": event_id}).decode(),
            )
        )
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("TRUNCATE outbox")
        columns = ["id", "aggregatetype", "aggregateid", "type", "topic", "payload", "headers"]

        async def work() -> None:
            await conn.copy_records_to_table("outbox", records=records, columns=columns)

        return await timed("pg COPY into outbox", n, work, "asyncpg copy_records_to_table")
    finally:
        await conn.close()


async def fill_outbox_of_records(url: str, topic: str, n: int, events: list[AccountFiled]) -> Rate:
    """The same N records as :func:`fill_outbox`, sixteen to an outbox row (``records``, ``keys``), as a bulk
    statement writes them (``sql_outbox_records_cte``): one header template per row."""
    templates = [(wrap(event), orjson.dumps(wrap(event).data).decode()) for event in events]
    header_template = {k: v.decode() for k, v in templates[0][0].headers()} | dict.fromkeys(ROW_HEADERS, "")
    headers = orjson.dumps(header_template).decode()
    rows = []
    for start in range(0, n, RECORDS_PER_ROW):
        part = [templates[i % len(templates)] for i in range(start, min(start + RECORDS_PER_ROW, n))]
        ids = [str(uuid.uuid4()) for _ in part]
        payload = (
            "["
            + ",".join(f'["{i}","{env.subject}",{value}]' for i, (env, value) in zip(ids, part, strict=True))
            + "]"
        )
        keys = [env.subject for env, _ in part]
        rows.append((ids[0], "account", keys[0], part[0][0].type, topic, payload, headers, len(part), keys))
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("TRUNCATE outbox")
        columns = [
            "id",
            "aggregatetype",
            "aggregateid",
            "type",
            "topic",
            "payload",
            "headers",
            "records",
            "keys",
        ]

        async def work() -> None:
            await conn.copy_records_to_table("outbox", records=rows, columns=columns)

        return await timed("pg COPY, 16 to a row", n, work, "asyncpg copy_records_to_table")
    finally:
        await conn.close()


async def raw_produce_outbox_records(url: str, kafka: KafkaSettings, topic: str) -> Rate:
    """Like-for-like yardstick of the relay: the very records it will send (the outbox rows' stored payload
    text, their CloudEvents headers, the aggregate as key), produced with plain ``send`` on the same
    producer settings, keyed, ``acks=all`` — and no database. Read before the relay runs."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT aggregateid, payload::text, headers::text FROM outbox ORDER BY seq")
    finally:
        await conn.close()
    records = [
        (r[0].encode(), r[1].encode(), [(k, v.encode()) for k, v in orjson.loads(r[2]).items()]) for r in rows
    ]
    producer = make_producer(kafka, "bench-raw-records")
    await producer.start()

    async def work() -> None:
        futures = [await producer.send(topic, v, key=k, headers=h) for k, v, h in records]
        await asyncio.gather(*futures)

    try:
        size = sum(len(v) + sum(len(k) + len(x) for k, x in h) for _, v, h in records) // len(records)
        return await timed(
            "raw produce, relay's recs",
            len(records),
            work,
            f"the relay's records (~{size} bytes with headers)",
        )
    finally:
        await producer.stop()


async def drain(relay: OutboxRelay, engine: AsyncEngine) -> None:
    while True:
        if await relay.drain():
            continue
        async with engine.connect() as conn:
            left = (
                await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            ).scalar()
        if not left:
            return
        await asyncio.sleep(0.005)  # the rest is claimed by the other relay


async def relay_throughput(
    engine: AsyncEngine, kafka: KafkaSettings, replicas: int, n: int, rows: str = ""
) -> Rate:
    sessions = session_factory(engine)
    producers: list[AIOKafkaProducer] = [make_producer(kafka, f"bench-relay-{i}") for i in range(replicas)]
    for p in producers:
        await p.start()
    relays = [OutboxRelay(sessions, p, service="bench") for p in producers]
    try:
        return await timed(
            f"outbox relay x{replicas}" + (", 16/row" if rows else ""),
            n,
            lambda: asyncio.gather(*(drain(r, engine) for r in relays)),
            f"in-process OutboxRelay, batch {relays[0].batch_size}, claim+publish+mark"
            + (f"; {rows}" if rows else ""),
        )
    finally:
        for p in producers:
            await p.stop()


async def fill_metrics_topic(kafka: KafkaSettings, topic: str, n: int) -> None:
    """N MetricsObserved snapshots over AGGREGATES accounts — the stream scoring consumes — as the relay
    would publish them (CloudEvents binary mode, keyed by account)."""
    accounts = [str(uuid.uuid4()) for _ in range(AGGREGATES)]
    producer = make_producer(kafka, "bench-fill")
    await producer.start()
    try:
        for i in range(n):
            env = wrap(
                MetricsObserved(
                    occurred_at=datetime.now(UTC),
                    account_id=accounts[i % AGGREGATES],
                    platform_post_id=f"post-{i % 7}",
                    reads=i,
                    likes=i // 10,
                    shares=None,
                    comments=3,
                    followers=None,
                    as_of=datetime.now(UTC),
                    ingest_channel=IngestChannel.CONNECTOR,
                )
            )
            await producer.send(topic, env.value(), key=env.subject.encode(), headers=env.headers())
        await producer.flush()
    finally:
        await producer.stop()
    progress(f"{n:,} MetricsObserved snapshots on {topic} for the consumer runner")


async def consumer_throughput(
    engine: AsyncEngine,
    kafka: KafkaSettings,
    topic: str,
    n: int,
    cap: float,
    *,
    read_ahead: bool = True,
    noop: bool = False,
) -> Rate:
    """The runner as a service runs it (GC tuned at startup), on a fresh inbox: each run handles all n.
    ``noop``: the handler does nothing (the inbox rows are the only write): the runner's own cost."""
    tune_gc()
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE inbox, counters"))
    handled = 0
    first_at = first_cpu = 0.0
    done = asyncio.Event()

    @batch
    async def count(session: AsyncSession, items: Sequence[tuple[MetricsObserved, MessageContext]]) -> None:
        """The aggregate-style effect: per-account counters, one upsert for the whole run of events."""
        nonlocal handled, first_at, first_cpu
        if handled == 0:
            first_at, first_cpu = time.perf_counter(), time.process_time()
        handled += len(items)
        if handled >= n:
            done.set()
        if noop:
            return
        per_account = Counter(event.account_id for event, _ in items)
        reads: dict[str, int] = {}
        for event, _ in items:
            reads[event.account_id] = max(reads.get(event.account_id, 0), event.reads or 0)
        await session.execute(
            text(
                "INSERT INTO counters (account_id, n, reads) "
                "SELECT * FROM unnest(CAST(:a AS text[]), CAST(:n AS integer[]), CAST(:r AS bigint[])) "
                "ON CONFLICT (account_id) DO UPDATE "
                "SET n = counters.n + excluded.n, reads = greatest(counters.reads, excluded.reads)"
            ),
            {"a": list(per_account), "n": list(per_account.values()), "r": [reads[a] for a in per_account]},
        )

    dlt = make_producer(kafka, "bench-dlt")
    await dlt.start()
    runner = ConsumerRunner(
        service="bench",
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        handlers={MetricsObserved: count},
        sessions=session_factory(engine),
        kafka=kafka,
        dlt_producer=dlt,
        read_ahead=read_ahead,
    )
    runner.topics = [topic]  # the relay's bench topic instead of the catalogue topic
    task = asyncio.create_task(runner.run())
    try:
        started = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), cap)
        ended, ended_cpu = time.perf_counter(), time.process_time()
        name = "consumer no-op" if noop else "consumer runner" if read_ahead else "consumer, in turn"
        effect = "a no-op batch handler" if noop else "one counter upsert per batch"
        rate = Rate(
            name,
            handled,
            ended - (first_at or started),
            f"ConsumerRunner, batch handler: inbox rows of a polled batch in one statement + {effect}"
            f"{', next poll read during the transaction' if read_ahead else ', no read-ahead'}; "
            f"group join took {(first_at or ended) - started:.1f}s (not counted)",
        )
        if handled:
            rate.cpu_us = (ended_cpu - first_cpu) / handled * 1e6
        progress(f"{name}: {rate.per_second:,.0f}/s ({handled:,} in {rate.seconds:.2f}s)")
        return rate
    finally:
        runner.stop_soon()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.stop()
        await dlt.stop()


# ---- the run -------------------------------------------------------------------------------------


async def run(infra: Infrastructure, args: argparse.Namespace) -> dict[str, Any]:
    kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    run_id = uuid.uuid4().hex[:8]
    raw_topic, relay_topic = f"bench.raw.{run_id}", f"bench.relay.{run_id}"
    await ensure_topics(kafka, [raw_topic, relay_topic, f"bench.same.{run_id}"])
    db_name = f"bench_bus_{run_id}"
    await create_databases(infra.database_server_url, [db_name])
    url = with_database(infra.database_server_url, db_name)
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(create_plumbing_tables)
        await conn.execute(
            text("CREATE TABLE counters (account_id text PRIMARY KEY, n integer NOT NULL, reads bigint)")
        )
    progress(f"infrastructure ready: broker {infra.kafka_bootstrap}, database {db_name}")

    rates: dict[str, Rate] = {}
    rates["raw_produce"] = await raw_produce(kafka, raw_topic, args.raw)
    rates["raw_consume"] = await raw_consume(kafka, raw_topic, args.raw)
    rates["pg_one_row_tx"] = await pg_one_row_transactions(url, args.pg_seconds)
    rates["pg_consumer_tx"] = await pg_consumer_transactions(url, args.pg_seconds)
    events = template_events()
    rates["pg_copy"] = await fill_outbox(url, relay_topic, args.relay, events)
    rates["raw_produce_records"] = await raw_produce_outbox_records(url, kafka, f"bench.same.{run_id}")
    rates["relay_1"] = await relay_throughput(engine, kafka, 1, args.relay)
    await fill_outbox(url, relay_topic, args.relay, events)
    rates["relay_2"] = await relay_throughput(engine, kafka, 2, args.relay)
    rates["pg_copy_records"] = await fill_outbox_of_records(url, relay_topic, args.relay, events)
    rates["relay_records_1"] = await relay_throughput(engine, kafka, 1, args.relay, "16 records to a row")
    consume_topic = f"bench.consume.{run_id}"
    await ensure_topics(kafka, [consume_topic])
    await fill_metrics_topic(kafka, consume_topic, args.consume)
    # The runner's own records (CloudEvents headers, ~270-byte values) read raw: aiokafka's cost for them.
    rates["raw_consume_same"] = await raw_consume(
        kafka, consume_topic, args.consume, "raw consume, same, before"
    )

    # The relays' phases left 100,000 updated outbox rows: vacuumed and checkpointed now, so that neither
    # autovacuum nor a checkpoint lands in the first consumer phases (they did: the first phase of a run was
    # the slowest whichever variant it was).
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE outbox"))
        with contextlib.suppress(Exception):  # a server where the bench's role may not checkpoint
            await conn.execute(text("CHECKPOINT"))
    variants: dict[str, dict[str, bool]] = {
        "consumer": {},
        "consumer_noop": {"noop": True},
        "consumer_in_turn": {"read_ahead": False},
    }
    runs: dict[str, list[Rate]] = {key: [] for key in variants}
    for _ in range(args.repeat):  # interleaved, so that a drift of the machine's load hits every variant
        for key, variant in variants.items():
            runs[key].append(
                await consumer_throughput(
                    engine, kafka, consume_topic, args.consume, args.consume_cap, **variant
                )
            )
    for key, tries in runs.items():  # the best run of each: the one the shared machine disturbed least
        fastest = max(tries, key=lambda r: r.per_second)
        fastest.note += f"; best of {len(tries)}: " + ", ".join(f"{r.per_second:,.0f}/s" for r in tries)
        rates[key] = fastest
    # The yardstick read again after ours, and the faster read kept (as ours are the best of their runs):
    # the load of a shared machine moves during a run. Both reads are in the results.
    after = await raw_consume(kafka, consume_topic, args.consume, "raw consume, same, after")
    before = rates["raw_consume_same"]
    rates["raw_consume_same_before"], rates["raw_consume_same_after"] = before, after
    fastest = max((before, after), key=lambda r: r.per_second)
    rates["raw_consume_same"] = Rate(
        "raw consume, same records",
        fastest.items,
        fastest.seconds,
        "no group, orjson.loads per message; the faster of a read before and one after the runner",
        fastest.cpu_us,
    )
    await engine.dispose()

    def ratio(ours: str, yardstick: str) -> float:
        return round(rates[ours].per_second / rates[yardstick].per_second, 3)

    def by_cpu(ours: str) -> float:
        return round((rates["raw_consume_same"].cpu_us or 0) / (rates[ours].cpu_us or float("inf")), 3)

    # Primary: like for like (the same records raw); the goals are on these. Secondary: headerless.
    ratios = {
        "relay_1 / raw produce of its own records (goal >= 0.5)": ratio("relay_1", "raw_produce_records"),
        "relay_2 / raw produce of its own records": ratio("relay_2", "raw_produce_records"),
        "relay_1, 16 records to a row / raw produce of the records": ratio(
            "relay_records_1", "raw_produce_records"
        ),
        "consumer / raw consume+parse of its own records (goal >= 0.3)": ratio(
            "consumer", "raw_consume_same"
        ),
        "consumer no-op / raw consume+parse of its own records": ratio("consumer_noop", "raw_consume_same"),
        "consumer without read-ahead / raw consume+parse of its own records": ratio(
            "consumer_in_turn", "raw_consume_same"
        ),
        "consumer / own records raw, by CPU time": by_cpu("consumer"),
        "consumer no-op / own records raw, by CPU time": by_cpu("consumer_noop"),
        "relay_1 / raw_produce, headerless 213-byte records (secondary)": ratio("relay_1", "raw_produce"),
        "consumer / raw_consume, headerless 213-byte records (secondary)": ratio("consumer", "raw_consume"),
        "consumer / pg_one_row_tx": ratio("consumer", "pg_one_row_tx"),
        "consumer / its tx on raw asyncpg": ratio("consumer", "pg_consumer_tx"),
    }
    return {"rates": rates, "ratios": ratios}


def table(rates: dict[str, Rate], ratios: dict[str, float]) -> str:
    lines = [f"{'phase':<26}{'items':>9}{'seconds':>9}{'per second':>12}{'CPU µs/item':>13}", "-" * 74]
    for r in rates.values():
        cpu = f"{r.cpu_us:>13.2f}" if r.cpu_us is not None else ""
        lines.append(f"{r.name:<26}{r.items:>9,}{r.seconds:>9.2f}{r.per_second:>12,.0f}{cpu}")
    lines += ["", "ours as a fraction of the yardstick (primary: the same records raw)", "-" * 74]
    lines += [f"{name:<66}{value:>8.1%}" for name, value in ratios.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw", type=int, default=100_000, help="messages for raw produce/consume")
    parser.add_argument("--relay", type=int, default=50_000, help="outbox rows per relay run")
    parser.add_argument("--consume", type=int, default=50_000, help="messages for the consumer runner")
    parser.add_argument("--consume-cap", type=float, default=30.0, help="seconds at most for the consumer")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each consumer phase (best kept)")
    parser.add_argument("--pg-seconds", type=float, default=3.0, help="duration of the one-row tx phase")
    args = parser.parse_args()
    started = time.perf_counter()
    progress("starting infrastructure (like the tests: environment URLs, Docker, or embedded)")
    with test_infrastructure() as infra:
        result = asyncio.run(run(infra, args))
    rates, ratios = result["rates"], result["ratios"]
    print()
    print(table(rates, ratios))
    doc = {
        "benchmark": "bus",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "broker": "external"
        if os.environ.get("GOVMEDIA_TEST_KAFKA_BOOTSTRAP")
        else "as started by the tests",
        "parameters": vars(args),
        "load_average": os.getloadavg(),
        "yardstick": {
            "primary": "raw aiokafka on the SAME records as ours: the consumer's own topic read by a plain "
            "consumer (no group) parsing each value with orjson; the relay's own records (payload, "
            "CloudEvents headers, key) sent by a plain producer with the same settings, no database",
            "secondary": "213-byte JSON records without headers (the issue's first yardstick)",
        },
        "rates": {k: v.as_json() for k, v in rates.items()},
        "ratios": ratios,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bus.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    progress(f"done in {doc['total_seconds']}s; wrote {RESULTS / 'bus.json'}")


if __name__ == "__main__":
    main()
