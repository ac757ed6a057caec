"""Faults put on the bus and the databases during the ledger run, and what is checked once it is quiet."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.events.base import Event
from govmedia_common.kafka import all_topics, make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_common.workdays import SHANGHAI, SystemClock, WorkCalendar
from tests.fault.ledger_drive import Ledger

CONSUMING = ("registry", "review", "monitor", "notify", "scoring")


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), "")


async def read_topics(bootstrap: str, topics: list[str]) -> list[Record]:
    """Every record of ``topics`` from the beginning until nothing more comes (no consumer group).

    Not "up to the end offsets": the embedded broker (Tansu) reports a partition's end as the base offset
    of its last batch plus one, so the other records of a last batch of several lie beyond it.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    out: list[Record] = []
    try:
        await consumer.topics()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        quiet, deadline = 0, time.monotonic() + 60
        while quiet < 2 and time.monotonic() < deadline:
            got = await consumer.getmany(timeout_ms=300)
            for records in got.values():
                out.extend(
                    Record(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers or ()))
                    for r in records
                )
            behind = [tp for tp in tps if await consumer.position(tp) < ends[tp]]
            quiet = 0 if got or behind else quiet + 1
        assert quiet >= 2, "could not read the topics to their end within 60s"
    finally:
        await consumer.stop()
    return out


def service_specs() -> dict[str, Any]:
    """Each service's ServiceSpec as its ``create_app`` builds it (default settings), by service name."""
    from govmedia_monitor import main as monitor
    from govmedia_notify import main as notify
    from govmedia_registry import main as registry
    from govmedia_registry.settings import RegistrySettings
    from govmedia_review import main as review
    from govmedia_scoring import main as scoring

    return {
        "registry": registry.spec(RegistrySettings()),
        "review": review.SPEC,
        "monitor": monitor.spec(monitor.SchedulerSettings()),
        "notify": notify.spec(SystemClock(), WorkCalendar()),
        "scoring": scoring.spec(scoring.ScheduleSettings()),
    }


def consumer_groups(prefix: str) -> dict[str, dict[str, dict[str, str]]]:
    """service → group id → {handled ce_type: its topic}, from the services' own specs."""
    specs = service_specs()
    return {
        service: {
            f"{prefix}.{service}.{group}": {cls.event_type: cls.topic for cls in handlers}
            for group, handlers in spec.consumer_groups.items()
        }
        for service, spec in specs.items()
    }


# ---------------------------------------------------------------------------------------------- faults


async def replay_delivered(bootstrap: str, ledger: Ledger, per_topic: int = 40) -> None:
    """Send records already on the topics again, byte for byte (what a producer retry or a replay does)."""
    topics = ["gov.registry.accounts", "gov.review.posts", "gov.monitor.observations", "gov.monitor.alerts"]
    records = await read_topics(bootstrap, topics)
    chosen: list[Record] = []
    for topic in topics:
        chosen += [r for r in records if r.topic == topic and r.header("ce_id") not in ledger.poison][
            :per_topic
        ]
    producer = make_producer(KafkaSettings(bootstrap=bootstrap), "ledger-replay")
    await producer.start()
    try:
        for r in chosen:
            await producer.send_and_wait(r.topic, value=r.value, key=r.key, headers=r.headers)
    finally:
        await producer.stop()
    ledger.replayed += len(chosen)
    ledger.faults.append(f"replayed {len(chosen)} delivered records")


async def send_poison(bootstrap: str, ledger: Ledger) -> None:
    """Records no consumer can ever handle: a value that is not JSON, and events that break their schema."""
    from govmedia_common.events.monitor import MetricsObserved
    from govmedia_common.events.registry import AccountOpened
    from govmedia_common.events.review import PostPublished

    plan: list[tuple[type[Event], bytes, str]] = [
        (AccountOpened, b"\xff\xfe not json at all", "envelope"),
        (MetricsObserved, b'{"account_id": 42, "reads": "many"}', "schema"),
        (PostPublished, b"{}", "schema"),
    ]
    producer = make_producer(KafkaSettings(bootstrap=bootstrap), "ledger-poison")
    await producer.start()
    try:
        for cls, value, kind in plan:
            event_id = f"poison-{uuid.uuid4()}"
            key = str(uuid.uuid4())
            headers = [
                ("ce_id", event_id.encode()),
                ("ce_source", b"/ledger/poison"),
                ("ce_specversion", b"1.0"),
                ("ce_type", cls.event_type.encode()),
                ("ce_time", datetime.now(SHANGHAI).isoformat().encode()),
                ("ce_subject", key.encode()),
                ("content-type", b"application/json"),
            ]
            await producer.send_and_wait(cls.topic, value=value, key=key.encode(), headers=headers)
            ledger.poison[event_id] = (cls.topic, cls.event_type if kind == "schema" else None)
    finally:
        await producer.stop()
    ledger.faults.append(f"{len(plan)} poison records")


async def pause_database(server_url: str, database: str, seconds: float, ledger: Ledger) -> None:
    """Freeze every backend of one database (SIGSTOP) for ``seconds``, then let them go on (SIGCONT).

    When the server is not a local process of ours (an external PostgreSQL), the database refuses new
    connections and its backends are ended instead for the same time.
    """
    url = make_url(server_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database="postgres"
    )
    try:
        pids = [
            r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
        ]
        stopped: list[int] = []
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        except (ProcessLookupError, PermissionError):
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
            stopped = []
        if stopped or not pids:
            ledger.faults.append(f"SIGSTOP of {len(stopped)} backends of {database} for {seconds:.0f}s")
            try:
                await asyncio.sleep(seconds)
            finally:
                for pid in stopped:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)
            return
        ledger.faults.append(f"connections to {database} refused for {seconds:.0f}s")
        await conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
            )
            await asyncio.sleep(seconds)
        finally:
            await conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------- waiting


async def wait_until(probe: Callable[[], Awaitable[Any]], *, within: float, what: str) -> None:
    """Poll ``probe`` until it returns something empty (nothing missing); fail with what is still missing."""
    deadline = time.monotonic() + within
    while True:
        missing = await probe()
        if not missing:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"after {within:.0f}s still waiting for {what}: {str(missing)[:3000]}")
        await asyncio.sleep(0.5)


async def column(engine: AsyncEngine, query: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return [r[0] for r in await conn.execute(text(query), params)]


async def rows(engine: AsyncEngine, query: str, **params: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(query), params)]


def expected_inbox(
    records: list[Record], handled: dict[str, str], poison: set[str], without: frozenset[str] = frozenset()
) -> set[str]:
    """Event ids on the topics of types a service handles (what its inbox must hold), poison aside, and the
    types it handles ``without`` an inbox row aside (see :func:`no_inbox_types`)."""
    return {
        r.header("ce_id")
        for r in records
        if handled.get(r.header("ce_type")) == r.topic
        and r.header("ce_id") not in poison
        and r.header("ce_type") not in without
    }


def no_inbox_types(service: str) -> frozenset[str]:
    """The event types ``service`` applies idempotently by their own keys: no inbox row is written for them
    (``BatchHandler.idempotent``), they are handled once their group committed past them. Read from the
    service's spec, as its consumer runners read it (``ConsumerRunner.no_inbox``)."""
    from govmedia_common.handlers import BatchHandler

    return frozenset(
        cls.event_type
        for handlers in service_specs()[service].consumer_groups.values()
        for cls, h in handlers.items()
        if isinstance(h, BatchHandler) and cls in h.idempotent
    )


async def not_committed(
    bootstrap: str, groups: dict[str, dict[str, str]], types: frozenset[str], records: list[Record]
) -> int:
    """How many records of ``types`` a group handling them (``groups``: group id → {type: topic}) has not
    committed past yet: an event handled without an inbox row is handled once its group's offset passes it
    (offsets are committed after the transaction of their records)."""
    behind = 0
    for group, handled in groups.items():
        wanted = [
            r for r in records if r.header("ce_type") in types and handled.get(r.header("ce_type")) == r.topic
        ]
        if not wanted:
            continue
        asker = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await asker.start()  # asks for the group's committed offsets without joining it (no rebalance)
        try:
            done = {
                tp: await asker.committed(tp) for tp in {TopicPartition(r.topic, r.partition) for r in wanted}
            }
        finally:
            await asker.stop()
        behind += sum(1 for r in wanted if (done[TopicPartition(r.topic, r.partition)] or 0) <= r.offset)
    return behind


def bus_topics() -> list[str]:
    return [t for t in all_topics() if not t.endswith(".dlt")]


async def dead_letter_pairs(bootstrap: str) -> list[tuple[str, str]]:
    """(event id, consumer group) of every record on every dead-letter topic of this run's broker.

    Read like the topics (until idle), not with ``govmedia_platform.deadletters.read_dead_letters``, which
    stops at the end offsets the embedded broker under-reports (test_dead_letter_listing.py, reported).
    """
    records = await read_topics(bootstrap, [f"{t}.dlt" for t in bus_topics()])
    return [(r.header("ce_id"), r.header("dlt_consumer_group")) for r in records]


def expected_dead_letters(
    ledger: Ledger, groups: dict[str, dict[str, dict[str, str]]]
) -> set[tuple[str, str]]:
    """Each poison record, once for each group that reads it: a record that is not an event is refused by
    every group on its topic; an event that breaks its schema only by the groups that handle its type."""
    out: set[tuple[str, str]] = set()
    for event_id, (topic, ce_type) in ledger.poison.items():
        for service_groups in groups.values():
            for group, handled in service_groups.items():
                if (ce_type is None and topic in handled.values()) or handled.get(ce_type or "") == topic:
                    out.add((event_id, group))
    return out


def scoring_periods(now: datetime) -> list[Any]:
    from govmedia_common.events.scoring import PeriodKind
    from govmedia_scoring.periods import Period

    day = now.date()
    return [
        Period(PeriodKind.DAY, day),
        Period(PeriodKind.WEEK, day - timedelta(days=day.weekday())),
        Period(PeriodKind.MONTH, day.replace(day=1)),
    ]


async def score_everything(engine: AsyncEngine, now: datetime) -> dict[str, list[tuple[Any, ...]]]:
    """Compute the periods around ``now`` on a scoring database; its scores and what they came from."""
    from govmedia_common.db import session_factory
    from govmedia_scoring.engine.compute import compute_period

    sessions = session_factory(engine)
    for period in scoring_periods(now):
        async with sessions() as session, session.begin():
            await compute_period(session, period, now=now, announce=False)
    return {
        "scores": await rows(
            engine,
            "SELECT account_id, period_kind, period_start, diligence, effect, content, cluster, growth, "
            "composite, passed, veto_reasons FROM scores ORDER BY 1, 2, 3",
        ),
        "account_days": await rows(engine, "SELECT * FROM account_days ORDER BY account_id, day"),
        "posts": await rows(
            engine,
            "SELECT account_id, platform_post_id, post_id, day, original, errors_serious, errors_ordinary, "
            "reads, likes, metrics_as_of FROM posts ORDER BY 1, 2",
        ),
        "alerts": await rows(engine, "SELECT * FROM alerts ORDER BY alert_id"),
    }
