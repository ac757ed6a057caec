"""Outbox → Kafka → inbox over the real broker: 10,000 events, exactly-once effects, per-aggregate order.

Writers commit events out of order in transactions of random length; relay processes are killed with SIGKILL
at random points and restarted, or frozen with SIGSTOP past their lease and then resumed (a stalled relay
that wakes up and publishes its stale claim); already-published records are re-produced on purpose; the
consumer is crashed once mid-way. Delivery is at-least-once by design, so duplicates do arrive: the test
proves that the inbox absorbs every one of them (no effect twice), that nothing is lost, and that each
aggregate's events are handled in the order they were written.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.events import AccountFiled
from govmedia_common.kafka import ensure_topics
from govmedia_common.outbox import _RELEASE_SQL, OutboxRelay, add_event

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

N_EVENTS = 10_000
N_WRITERS = 8
N_ACCOUNTS = 1_000
RELAY_BATCH = 50
LEASE_SECONDS = 2.0
MIN_KILLS, MAX_KILLS = 5, 10
INJECTED_DUPLICATES = (200, 100)  # mid-run, then after the outbox drained
DEADLINE_SECONDS = 150.0

ACCOUNTS_DDL = "CREATE TABLE accounts (id text PRIMARY KEY, version integer NOT NULL DEFAULT 0)"
# No unique constraint on purpose: an effect applied twice would show up as two rows.
EFFECTS_DDL = (
    "CREATE TABLE effects (event_id text NOT NULL, account_id text NOT NULL, "
    "handled_seq bigint GENERATED ALWAYS AS IDENTITY)"
)


class RelayFleet:
    """Relay replicas as separate processes (``python -m govmedia_common.relay_main``)."""

    def __init__(self, database_url: str, bootstrap: str, log_dir: Path) -> None:
        self.args = [
            sys.executable, "-m", "govmedia_common.relay_main",
            "--database-url", database_url, "--bootstrap", bootstrap, "--service", "registry",
            "--batch-size", str(RELAY_BATCH), "--lease-seconds", str(LEASE_SECONDS),
        ]  # fmt: skip
        self.log_dir = log_dir
        self.running: list[asyncio.subprocess.Process] = []
        self.started = 0
        self.kills = 0
        self.pauses = 0

    async def start_one(self) -> None:
        with (self.log_dir / f"relay-{self.started}.log").open("wb") as log:
            proc = await asyncio.create_subprocess_exec(*self.args, stdout=log, stderr=log)
        self.running.append(proc)
        self.started += 1

    async def kill_one(self, rng: random.Random) -> None:
        proc = self.running.pop(rng.randrange(len(self.running)))
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        await proc.wait()
        self.kills += 1

    async def pause(self, rng: random.Random, seconds: float, *, everyone: bool = False) -> None:
        """Freeze relays (SIGSTOP) for ``seconds``, then let them carry on (SIGCONT)."""
        frozen = list(self.running) if everyone else [rng.choice(self.running)]
        for proc in frozen:
            proc.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            for proc in frozen:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGCONT)
        self.pauses += len(frozen)

    async def stop_all(self) -> None:
        for proc in self.running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in self.running:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.running.clear()


class CountingRunner(ConsumerRunner):
    """A ConsumerRunner on the test's own topic that counts the outcome of every record of its aggregates."""

    def __init__(self, *, topic: str, keys: set[bytes], outcomes: Counter[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topics = [topic]
        self.keys = keys
        self.outcomes = outcomes

    def record_outcome(self, record: ConsumerRecord[bytes, bytes], outcome: str) -> None:
        super().record_outcome(record, outcome)
        if record.key in self.keys:
            self.outcomes[outcome] += 1


async def _scalar(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_10k_events_through_killed_relays_and_a_crashed_consumer_take_effect_exactly_once_in_order(
    kit: PlumbingKit, events: EventFactory, tmp_path: Path
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"\nseed={seed}")
    started = time.monotonic()
    # A topic of its own: fresh consumer groups of other tests read the catalogue topics from the beginning,
    # and 10,000 more records there would slow them down. The rows still come from outbox.add_event.
    topic = f"test.eo.{uuid.uuid4().hex[:10]}"
    await ensure_topics(kit.kafka, [topic])
    outbox_db = await kit.database("eo_out", ACCOUNTS_DDL, pool_size=N_WRITERS + 2)
    effects_db = await kit.database("eo_in", EFFECTS_DDL)
    out_sessions = session_factory(outbox_db)
    accounts = [str(uuid.uuid4()) for _ in range(N_ACCOUNTS)]
    keys = {a.encode() for a in accounts}
    async with outbox_db.begin() as conn:
        await conn.execute(
            text("INSERT INTO accounts (id) SELECT unnest(CAST(:ids AS text[]))"), {"ids": accounts}
        )

    # ---- consumer: the effect is a row per handled event, with the order in which it was handled
    account_set = set(accounts)

    async def apply_effect(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None:
        if event.account_id in account_set:  # other tests' events share the topic
            await session.execute(
                text("INSERT INTO effects (event_id, account_id) VALUES (:id, :a)"),
                {"id": ctx.envelope.id, "a": event.account_id},
            )

    outcomes: Counter[str] = Counter()
    dlt_producer = await kit.producer()
    group = f"test-eo-{uuid.uuid4().hex[:10]}"

    def new_runner() -> CountingRunner:
        return CountingRunner(
            topic=topic, keys=keys, outcomes=outcomes, service="test", group_id=group,
            handlers={AccountFiled: apply_effect}, sessions=session_factory(effects_db), kafka=kit.kafka,
            dlt_producer=dlt_producer,
        )  # fmt: skip

    runner = new_runner()
    consumer_task = asyncio.create_task(runner.run())

    # ---- writers: random transaction lengths, small sleeps inside, commits out of seq order
    written: list[str] = []
    remaining = N_EVENTS
    deadlocks = 0

    async def writer(w: int) -> None:
        nonlocal remaining, deadlocks
        wrng = random.Random(seed + w)
        while remaining > 0:
            n = min(wrng.randint(1, 50), remaining)
            remaining -= n
            while True:
                ids: list[str] = []
                try:
                    async with out_sessions() as session, session.begin():
                        chosen = [wrng.choice(accounts) for _ in range(n)]
                        # Like a service's use case: lock the aggregates first (serialises each aggregate's
                        # writers, so seq order is each aggregate's commit order), then write the events.
                        await session.execute(
                            text("SELECT id FROM accounts WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
                            {"ids": sorted(set(chosen))},
                        )
                        for account_id in chosen:
                            ids.append((await add_event(session, events.account_filed(account_id))).id)
                            if wrng.random() < 0.1:
                                await asyncio.sleep(wrng.uniform(0, 0.005))
                        await session.execute(
                            text("UPDATE accounts SET version = version + 1 WHERE id = ANY(:ids)"),
                            {"ids": sorted(set(chosen))},
                        )
                        await session.execute(
                            text("UPDATE outbox SET topic = :t WHERE id = ANY(:ids)"),
                            {"t": topic, "ids": ids},
                        )
                except DBAPIError as exc:  # a deadlock between writers: retry, as a service would
                    if "deadlock" not in str(exc):
                        raise
                    deadlocks += 1
                    continue
                written.extend(ids)
                break
            await asyncio.sleep(wrng.uniform(0, 0.01))

    # ---- relays: two at a time, SIGKILLed at random points and replaced
    fleet = RelayFleet(kit.database_urls[outbox_db], kit.kafka.bootstrap, tmp_path)
    for _ in range(2):
        await fleet.start_one()
    writers_done = asyncio.Event()

    async def chaos() -> None:
        while fleet.kills < MAX_KILLS and not (writers_done.is_set() and fleet.kills >= MIN_KILLS):
            await asyncio.sleep(rng.uniform(0.3, 1.0))
            action = rng.random()
            if action < 0.5:
                await fleet.kill_one(rng)
                await fleet.start_one()
            elif action < 0.8:  # one relay stalls, sometimes past its lease; the other one carries on
                await fleet.pause(rng, rng.uniform(0.5, 3.0))
            else:  # both stall: a backlog builds up, so the next faults hit relays in the middle of work
                await fleet.pause(rng, rng.uniform(0.5, 1.5), everyone=True)

    # ---- deliberate duplicates: re-produce records the relays already published (same ce_id, same key)
    injected = 0

    async def inject_duplicates(count: int) -> None:
        nonlocal injected
        async with outbox_db.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT topic, aggregateid, payload, headers FROM outbox "
                        "WHERE published_at IS NOT NULL ORDER BY random() LIMIT :n"
                    ),
                    {"n": count},
                )
            ).all()
        producer = await kit.producer()
        for topic, key, payload, headers in rows:
            await producer.send(
                topic,
                orjson.dumps(payload),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
        await producer.flush()
        injected += len(rows)

    async def published() -> int:
        return await _scalar(outbox_db, "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")

    async def effects_count() -> int:
        return await _scalar(effects_db, "SELECT count(DISTINCT event_id) FROM effects")

    def progress(stage: str, pub: int, eff: int) -> None:
        print(
            f"[{time.monotonic() - started:6.1f}s] {stage:<9} written={len(written):>5} published={pub:>5} "
            f"effects={eff:>5} duplicates={outcomes['duplicate']:>4} relay kills={fleet.kills} "
            f"pauses={fleet.pauses}",
            flush=True,
        )

    chaos_task = asyncio.create_task(chaos())
    consumer_restarted_at: int | None = None
    try:
        writing = asyncio.gather(*(writer(w) for w in range(N_WRITERS)))
        writing.add_done_callback(lambda _: writers_done.set())
        last_print = 0.0
        try:
            async with asyncio.timeout(DEADLINE_SECONDS):  # bounds every await in the loop too
                while True:
                    failed = writing.exception() if writing.done() else None
                    if failed is not None:
                        raise failed
                    assert not consumer_task.done() or consumer_task.cancelled(), consumer_task.exception()
                    pub, eff = await published(), await effects_count()
                    if injected == 0 and pub >= 2_000:
                        await inject_duplicates(INJECTED_DUPLICATES[0])
                    if consumer_restarted_at is None and eff >= N_EVENTS * 2 // 5:
                        # Crash the consumer: no commit of the offsets it handled since its last batch...
                        consumer_task.cancel()
                        await asyncio.wait({consumer_task})
                        assert consumer_task.cancelled(), "the consumer ignored its cancellation"
                        assert runner.consumer is not None
                        await runner.consumer.stop()
                        # ... and start a new member of the same group, which gets them again.
                        consumer_restarted_at = eff
                        runner = new_runner()
                        consumer_task = asyncio.create_task(runner.run())
                        progress("restarted", pub, eff)
                    if time.monotonic() - last_print > 2:
                        progress("running", pub, eff)
                        last_print = time.monotonic()
                    if writers_done.is_set() and chaos_task.done() and pub == N_EVENTS:
                        if injected == sum(INJECTED_DUPLICATES[:1]):
                            await inject_duplicates(INJECTED_DUPLICATES[1])
                        if eff == N_EVENTS and await _caught_up(runner):
                            break
                    await asyncio.sleep(0.25)
        except TimeoutError as exc:
            raise AssertionError(f"not done after {DEADLINE_SECONDS:.0f}s (seed={seed})") from exc
        await writing
        await chaos_task
        progress("done", await published(), await effects_count())
    finally:
        chaos_task.cancel()
        await fleet.stop_all()
        runner.stop_soon()
        consumer_task.cancel()
        await asyncio.wait({consumer_task}, timeout=10)
        await runner.stop()

    # ---- what was written, published and applied
    assert len(written) == len(set(written)) == N_EVENTS
    assert await _scalar(outbox_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    republished_rows = await _scalar(outbox_db, "SELECT count(*) FROM outbox WHERE attempts > 1")
    async with effects_db.connect() as conn:
        effect_rows = (
            await conn.execute(text("SELECT event_id, account_id FROM effects ORDER BY handled_seq"))
        ).all()
        doubled = (
            await conn.execute(text("SELECT event_id FROM effects GROUP BY event_id HAVING count(*) > 1"))
        ).all()
    applied = {r[0] for r in effect_rows}
    lost = set(written) - applied
    assert not lost, f"{len(lost)} events lost, e.g. {sorted(lost)[:3]}"
    assert applied <= set(written)
    assert not doubled, f"{len(doubled)} events took effect twice, e.g. {doubled[:3]}"

    # ---- per-aggregate order: each account's events were handled in outbox seq order
    async with outbox_db.connect() as conn:
        seq_of: dict[str, int] = dict((await conn.execute(text("SELECT id, seq FROM outbox"))).all())
    handled_seqs: dict[str, list[int]] = defaultdict(list)
    for event_id, account_id in effect_rows:
        handled_seqs[account_id].append(seq_of[event_id])
    out_of_order = [a for a, seqs in handled_seqs.items() if seqs != sorted(seqs)]
    assert not out_of_order, (
        f"{len(out_of_order)} aggregates out of order, e.g. {handled_seqs[out_of_order[0]]}"
    )
    busiest = max(handled_seqs.values(), key=len)
    assert len(busiest) > 10  # the order check had aggregates with many events to look at

    # ---- the faults really happened, and every duplicate that reached the consumer was absorbed
    assert fleet.kills >= MIN_KILLS and fleet.pauses >= 1
    assert consumer_restarted_at is not None and consumer_restarted_at < N_EVENTS
    assert injected == sum(INJECTED_DUPLICATES)
    assert outcomes["duplicate"] >= injected
    assert outcomes["dead_lettered"] == 0
    print(
        f"SUMMARY written={len(written)} delivered={sum(outcomes.values())} applied={len(applied)} "
        f"lost={len(lost)} duplicates_delivered_and_absorbed={outcomes['duplicate']} "
        f"(injected={injected}, rows republished by relays={republished_rows}, consumer restarted at "
        f"{consumer_restarted_at}) duplicate_effects={len(doubled)} relay_kills={fleet.kills} "
        f"relay_pauses={fleet.pauses} relay_starts={fleet.started} writer_deadlock_retries={deadlocks} "
        f"aggregates={len(handled_seqs)} "
        f"elapsed={time.monotonic() - started:.1f}s seed={seed}"
    )


async def _caught_up(runner: ConsumerRunner) -> bool:
    """The group's committed offsets reached the end of every partition it holds."""
    consumer = runner.consumer
    if consumer is None or not consumer.assignment():
        return False
    tps = sorted(consumer.assignment())
    ends = await consumer.end_offsets(tps)
    for tp in tps:
        if (await consumer.committed(tp) or 0) < ends[tp]:
            return False
    return True


async def test_a_claim_never_takes_a_later_event_of_an_aggregate_while_an_earlier_one_is_being_released(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """Relay A's lease ran out while its publish failed; as A gives the batch back, relay B claims. B must not
    take the aggregate's second event without its first: that would publish them out of order."""
    engine = await kit.database("claim")
    sessions = session_factory(engine)
    producer = await kit.producer()
    account = str(uuid.uuid4())
    for _ in range(2):
        async with sessions() as session, session.begin():
            await add_event(session, events.account_filed(account))
    relay_a = OutboxRelay(sessions, producer, service="test", batch_size=1, lease_seconds=0.2, relay_id="a")
    relay_b = OutboxRelay(sessions, producer, service="test", batch_size=10, lease_seconds=30, relay_id="b")
    (first,) = await relay_a.claim()
    await asyncio.sleep(0.4)  # A's lease has expired: its rows are claimable again

    async with engine.connect() as conn:
        trans = await conn.begin()
        await conn.execute(_RELEASE_SQL, {"seqs": [first.seq], "err": "publish failed", "me": "a"})
        claim_b = asyncio.create_task(relay_b.claim())
        await asyncio.sleep(0.5)  # B claims while A's release has not committed yet
        await trans.commit()
    claimed = await asyncio.wait_for(claim_b, 10)

    seqs = [r.seq for r in claimed if r.aggregateid == account]
    assert seqs in ([], [first.seq, first.seq + 1]), f"claimed {seqs} while seq {first.seq} was held back"


async def test_a_claim_leaves_an_aggregate_alone_while_another_live_relay_holds_its_earlier_event(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """Relay A holds an aggregate's first event (publishing, or stalled): B may take other aggregates, but
    that one only once A's lease has run out, and then from its first event."""
    engine = await kit.database("busy")
    sessions = session_factory(engine)
    producer = await kit.producer()
    held, other = str(uuid.uuid4()), str(uuid.uuid4())
    for account in (held, held, other):
        async with sessions() as session, session.begin():
            await add_event(session, events.account_filed(account))
    relay_a = OutboxRelay(sessions, producer, service="test", batch_size=1, lease_seconds=1.0, relay_id="a")
    relay_b = OutboxRelay(sessions, producer, service="test", batch_size=10, lease_seconds=30, relay_id="b")
    (first,) = await relay_a.claim()
    assert first.aggregateid == held

    while_held = await relay_b.claim()
    assert [r.aggregateid for r in while_held] == [other]
    await relay_b.mark(while_held)  # B published those

    await asyncio.sleep(1.2)  # A's lease runs out (A died or stalled): B now takes the aggregate, in order
    after_lease = await relay_b.claim()
    assert [(r.aggregateid, r.seq) for r in after_lease] == [(held, first.seq), (held, first.seq + 1)]
