"""Monitor benchmark: bulk ingest of metric snapshots against PostgreSQL COPY, and a full sweep.

On a fresh, migrated monitor database (PostgreSQL as the tests start it), in the same run:

* ``metrics ingest``: ``metrics.ingest_metrics`` in batches of 5,000 snapshots, one transaction each —
  the set-based ``INSERT … SELECT FROM unnest(<array of rows>) … ON CONFLICT DO NOTHING`` plus one
  ``MetricsObserved`` event per new snapshot (``json`` value by ``row_to_json``, one header template), sixteen
  to an outbox row (``sql_outbox_records_cte``), built in the same statement; request models are built before
  the clock starts;
* ``metrics ingest over HTTP``: the same number of other snapshots (a day later) as ``POST /v1/metrics/bulk``
  requests of 5,000 to the monitor's app in this process (ASGI, no socket; relay and consumers off): the
  input policy, token, validation, scoping and the answer on top of the service path. Bodies are encoded
  before the clock starts;
* ``COPY`` (yardstick): ``copy_records_to_table`` of the same rows into a table of the same shape, one
  transaction, no events, no conflict handling — strictly less work;
* ``ingest_vs_copy_per_5000`` (secondary): against ``COPY`` of the same rows committed as often as the
  ingest commits, 5,000 rows a transaction (each bulk request is its own transaction);
* ``ingest_vs_copy_cpu``: the same comparison by CPU time per row (this process plus its PostgreSQL
  backends, read from ``/proc``), which moves far less with the machine's load than rates do; beside it
  the wall time per row of each (``wall_us_per_row``): ours is its CPU plus round trips and commits, COPY's
  is less than its CPU (Python encodes while PostgreSQL parses), which is why the ratio by rate is lower;
* ``ingest_vs_copy_two_streams``: both again with two streams at once, as a bulk API fed by several
  connectors sees them: ``ingest_metrics`` in two sessions (half the batches each, snapshots of another
  day) against ``COPY`` of the same rows on two connections (half each, one transaction each, into one
  table). One statement keeps one core busy at a time, ``COPY`` both (Python encodes while PostgreSQL
  parses): with two in flight each side can use both cores;
* ``sweep``: ``sweeps.run`` (not updated, zombie, interaction off, unanswered messages in working days) over
  100,000 accounts with 300,000 observed posts and 50,000 messages: the first sweep (raising tens of
  thousands of alerts and their events) and a second one (steady state: re-evaluates everything, changes
  nothing).

A benchmark, not a test: nothing is asserted. Goals: ingest ≥ 0.2 × COPY; a sweep ≤ 10 s on 2 cores.
The default is the issue's size (100,000 accounts); ``--accounts N`` measures a smaller one, and the result
then says it is not the issue's size. Prints a table and writes ``bench/results/monitor.json`` with the load
average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.engine import make_url

from govmedia_common.auth import TokenVerifier
from govmedia_common.db import create_engine, session_factory
from govmedia_common.events import IngestChannel
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_monitor import schemas as s
from govmedia_monitor.main import SchedulerSettings, create_app
from govmedia_monitor.observations import metrics
from govmedia_monitor.rules import calendar, sweeps
from govmedia_platform.pytest_plugin import fresh_database, test_infrastructure

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
AS_OF = date(2025, 10, 20)
ISSUE_ACCOUNTS = 100_000  # the issue's goal: a full sweep over 100,000 accounts in <= 10 s on 2 cores


def progress(message: str) -> None:
    print(f"[bench_monitor] {message}", flush=True)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


SEED_SQL = [
    # 100,000 accounts over 60 counties of Zhejiang; every tenth high-attention; 1% with interaction off.
    """
    INSERT INTO accounts (account_id, name, platform, unit_id, unit_name, region_code, status,
                          attention_tier, active_since, interaction_enabled, interaction_off_since,
                          interaction_changed_at, as_of)
    SELECT md5('a' || g)::uuid::text, '账号' || g, 'wechat', md5('u' || g)::uuid::text, '单位' || g,
           '33' || lpad((10 + g % 60)::text, 2, '0') || '02', 'active',
           CASE WHEN g % 10 = 0 THEN 'high' ELSE 'ordinary' END,
           DATE '2025-01-01', g % 100 <> 0,
           CASE WHEN g % 100 = 0 THEN TIMESTAMPTZ '2025-10-01 10:00+08' END, now(), now()
    FROM generate_series(1, :accounts) g
    """,
    # Three posts per account, the last one 0..39 days before as_of: about a third are silent for 14+ days.
    """
    INSERT INTO observed_posts (account_id, platform_post_id, platform, region_code, title, text,
                                content_hash, published_at, observed_at, ingest_channel, match_kind,
                                text_truncated)
    SELECT a.account_id, 'p' || k, 'wechat', a.region_code, '', '今日要闻',
           'sha256:' || md5(a.account_id),
           TIMESTAMPTZ '2025-10-20 10:00+08'
               - ((abs(hashtext(a.account_id)) % 40) + k * 3) * interval '1 day',
           now(), 'connector', 'exact', false
    FROM accounts a CROSS JOIN generate_series(0, 2) k
    """,
    # Messages: one per other account, received 0..29 days before as_of, half answered.
    """
    INSERT INTO messages (account_id, message_id, channel, received_at, received_on, answered_at,
                          ingest_channel)
    SELECT a.account_id, 'm1', 'message', t, (t AT TIME ZONE 'Asia/Shanghai')::date,
           CASE WHEN abs(hashtext(a.account_id)) % 2 = 0 THEN t + interval '1 day' END, 'connector'
    FROM (SELECT account_id,
                 TIMESTAMPTZ '2025-10-20 09:00+08'
                     - (abs(hashtext(account_id || 'm')) % 30) * interval '1 day' AS t
          FROM accounts) a
    WHERE abs(hashtext(a.account_id || 'x')) % 2 = 0
    """,
    "ANALYZE",
]


def metric_items(n: int, accounts: list[str], *, day: int = 1) -> list[s.MetricSnapshotIn]:
    start = datetime(2025, 10, day, 8, tzinfo=SHANGHAI)
    return [
        s.MetricSnapshotIn(
            account_id=accounts[i % len(accounts)],
            platform_post_id=f"wx-{i % 97}",
            taken_at=start + timedelta(minutes=i // len(accounts)),
            reads=1000 + i,
            watching=i % 50,
            likes=i % 300,
            shares=i % 40,
            comments=i % 20,
            followers=None,
        )
        for i in range(n)
    ]


async def run(infra: Any, args: argparse.Namespace) -> dict[str, Any]:
    url = await fresh_database(infra, "bench_monitor", "monitor")
    engine = create_engine(url, pool_size=4)
    sessions = session_factory(engine)
    out: dict[str, Any] = {}
    try:
        progress(f"seeding {args.accounts:,} accounts, posts and messages")
        async with sessions() as session, session.begin():
            await calendar.load_package_years(session)
            for sql in SEED_SQL:
                await session.execute(text(sql), {"accounts": args.accounts} if ":accounts" in sql else {})
        async with sessions() as session:
            ids = list((await session.execute(text("SELECT account_id FROM accounts LIMIT 2000"))).scalars())

        progress(f"building {args.metrics:,} metric snapshots")
        items = metric_items(args.metrics, ids)
        now = datetime.now(SHANGHAI)
        progress("ingest_metrics, batches of 5,000")
        meter = CpuMeter()
        t0 = time.perf_counter()
        accepted = 0
        for i in range(0, len(items), 5_000):
            async with sessions() as session, session.begin():
                meter.backend((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                report = await metrics.ingest_metrics(
                    session, items[i : i + 5_000], channel=IngestChannel.INGEST_API, now=now
                )
            accepted += report.accepted
        ours = time.perf_counter() - t0
        out["ingest"] = {
            "rows": accepted,
            "seconds": round(ours, 3),
            "rows_per_s": round(accepted / ours),
            "wall_us_per_row": round(ours / accepted * 1e6, 2),
            "cpu_us_per_row": meter.per_row(accepted),
        }

        progress("the same over HTTP: POST /v1/metrics/bulk, 5,000 a request")
        http = await _ingest_over_http(infra, url, metric_items(args.metrics, ids, day=2), now)
        out["http_ingest"] = {
            "rows": http[0],
            "seconds": round(http[1], 3),
            "rows_per_s": round(http[0] / http[1]),
        }

        progress("COPY of the same rows (yardstick)")
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("CREATE TABLE bench_metric_copy (LIKE metric_snapshots INCLUDING ALL)")
            records = [
                (
                    i.account_id,
                    i.platform_post_id or "",
                    i.taken_at,
                    i.reads,
                    i.watching,
                    i.likes,
                    i.shares,
                    i.comments,
                    i.followers,
                    "ingest_api",
                )
                for i in items
            ]
            meter = CpuMeter()
            meter.backend(conn.get_server_pid())
            t0 = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("bench_metric_copy", records=records)
            copy = time.perf_counter() - t0
            copy_cpu = meter.per_row(len(records))
            # The same rows again (a table of their own) in the ingest's transactions: 5,000 a commit.
            await conn.execute("CREATE TABLE bench_metric_copy_batched (LIKE metric_snapshots INCLUDING ALL)")
            t0 = time.perf_counter()
            for k in range(0, len(records), 5_000):
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "bench_metric_copy_batched", records=records[k : k + 5_000]
                    )
            copy_batched = time.perf_counter() - t0
        finally:
            await conn.close()
        out["copy"] = {
            "rows": len(records),
            "seconds": round(copy, 3),
            "rows_per_s": round(len(records) / copy),
            "wall_us_per_row": round(copy / len(records) * 1e6, 2),
            "cpu_us_per_row": copy_cpu,
        }
        out["copy_per_5000"] = {
            "rows": len(records),
            "seconds": round(copy_batched, 3),
            "rows_per_s": round(len(records) / copy_batched),
        }
        out["ingest_vs_copy"] = round(out["ingest"]["rows_per_s"] / out["copy"]["rows_per_s"], 3)
        # Secondary: against COPY committed as often as the ingest commits (once per 5,000 rows).
        out["ingest_vs_copy_per_5000"] = round(
            out["ingest"]["rows_per_s"] / out["copy_per_5000"]["rows_per_s"], 3
        )
        # Steadier under a shared machine's load than rates: CPU per row (this process and its PostgreSQL
        # backends) of COPY over ours. None when the backends' CPU cannot be read (a remote server).
        ours_cpu = out["ingest"]["cpu_us_per_row"]
        out["ingest_vs_copy_cpu"] = (
            round(copy_cpu["total"] / ours_cpu["total"], 3)
            if copy_cpu["total"] is not None and ours_cpu["total"] is not None
            else None
        )
        out["http_ingest_vs_copy"] = round(out["http_ingest"]["rows_per_s"] / out["copy"]["rows_per_s"], 3)

        # Two streams at once, ours and the yardstick's: a bulk API is fed by several connectors and
        # importers, and two cores can only both work for one statement at a time when two are in flight.
        progress("two streams at once: ingest_metrics in two sessions; COPY on two connections")
        two = metric_items(args.metrics, ids, day=3)
        seconds = await _two_streams(
            [two[: len(two) // 2], two[len(two) // 2 :]],
            lambda part: _ingest_stream(sessions, part, now),
        )
        out["ingest_two_streams"] = {"rows": len(two), "seconds": round(seconds, 3)}
        out["ingest_two_streams"]["rows_per_s"] = round(len(two) / seconds)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("CREATE TABLE bench_metric_copy_two (LIKE metric_snapshots INCLUDING ALL)")
        finally:
            await conn.close()
        seconds = await _two_streams(
            [records[: len(records) // 2], records[len(records) // 2 :]], lambda part: _copy_stream(url, part)
        )
        out["copy_two_streams"] = {"rows": len(records), "seconds": round(seconds, 3)}
        out["copy_two_streams"]["rows_per_s"] = round(len(records) / seconds)
        out["ingest_vs_copy_two_streams"] = round(
            out["ingest_two_streams"]["rows_per_s"] / out["copy_two_streams"]["rows_per_s"], 3
        )

        # The sweeps run on their day's evening, as the scheduler does: a sweep judges the alerts raised by
        # the end of its day, so with the wall clock (a year later) the steady sweep would judge none.
        sweep_now = datetime.combine(AS_OF, datetime.min.time().replace(hour=23), tzinfo=SHANGHAI)
        for name in ("sweep_first", "sweep_steady"):
            progress(f"{name.replace('_', ' ')} over {args.accounts:,} accounts")
            t0 = time.perf_counter()
            async with sessions() as session, session.begin():
                result = await sweeps.run(session, as_of=AS_OF, now=sweep_now)
            seconds = time.perf_counter() - t0
            out[name] = {
                "seconds": round(seconds, 3),
                "raised": dict(result.raised),
                "escalated": dict(result.escalated),
                "resolved": dict(result.resolved),
                "seconds_by_step": result.seconds,
            }
    finally:
        await engine.dispose()
    return out


class CpuMeter:
    """CPU seconds of this process and of the PostgreSQL backends it used since it was made.

    Backends are read from ``/proc`` (the embedded or a local server); elsewhere their share is None.
    """

    def __init__(self) -> None:
        self.started = time.process_time()
        self.backends: dict[int, float | None] = {}

    @staticmethod
    def _ticks(pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def backend(self, pid: int) -> None:
        if pid not in self.backends:
            self.backends[pid] = self._ticks(pid)

    def per_row(self, rows: int) -> dict[str, float | None]:
        process = (time.process_time() - self.started) / rows * 1e6
        spent = [(self._ticks(pid), start) for pid, start in self.backends.items()]
        known = [(now, start) for now, start in spent if now is not None and start is not None]
        postgres = (
            sum(now - start for now, start in known) / rows * 1e6
            if spent and len(known) == len(spent)
            else None
        )
        return {
            "process": round(process, 2),
            "postgres": None if postgres is None else round(postgres, 2),
            "total": None if postgres is None else round(process + postgres, 2),
        }


async def _two_streams(parts: list[Any], stream: Any) -> float:
    """Seconds for ``stream(part)`` of every part at once (each on a connection of its own)."""
    t0 = time.perf_counter()
    await asyncio.gather(*(stream(part) for part in parts))
    return time.perf_counter() - t0


async def _ingest_stream(sessions: Any, items: list[s.MetricSnapshotIn], now: datetime) -> None:
    """``ingest_metrics`` of ``items`` in batches of 5,000, one transaction each (as the first reading)."""
    for i in range(0, len(items), 5_000):
        async with sessions() as session, session.begin():
            await metrics.ingest_metrics(
                session, items[i : i + 5_000], channel=IngestChannel.INGEST_API, now=now
            )


async def _copy_stream(url: str, records: list[tuple[Any, ...]]) -> None:
    """``COPY`` of ``records`` into ``bench_metric_copy_two`` on a connection of its own, one transaction."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("bench_metric_copy_two", records=records)
    finally:
        await conn.close()


async def _ingest_over_http(
    infra: Any, url: str, items: list[s.MetricSnapshotIn], now: datetime
) -> tuple[int, float]:
    """Accepted snapshots and seconds of ``POST /v1/metrics/bulk`` in requests of 5,000 (in-process ASGI)."""
    settings = ServiceSettings(
        service_name="monitor",
        environment="test",
        database_url=url,
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
        run_consumers=False,
        run_relay=False,
        log_json=False,
        log_level="WARNING",
    )
    key = SigningKey.generate()
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    app = create_app(
        settings, verifier=verifier, clock=FixedClock(now), schedule=SchedulerSettings(sweep_enabled=False)
    )
    token = mint_token(
        key,
        subject=str(uuid.uuid4()),
        name="bench-connector",
        region="330000",
        unit=None,
        roles=[],
        scopes=["monitor:ingest"],
        kind="client",
        ttl_seconds=3600,
    )
    bodies = [
        orjson.dumps({"items": [i.model_dump(mode="json", exclude_none=True) for i in items[k : k + 5_000]]})
        for k in range(0, len(items), 5_000)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted = 0
    async with (
        LifespanManager(app, startup_timeout=60),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://monitor", headers=headers, timeout=300
        ) as client,
    ):
        t0 = time.perf_counter()
        for body in bodies:
            r = await client.post("/v1/metrics/bulk", content=body)
            if r.status_code != 200:
                raise RuntimeError(f"bulk ingest answered {r.status_code}: {r.text[:300]}")
            accepted += r.json()["accepted"]
        seconds = time.perf_counter() - t0
    return accepted, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=ISSUE_ACCOUNTS,
        help="accounts the sweep runs over (default: the issue's 100,000; smaller only for a quick look)",
    )
    parser.add_argument("--metrics", type=int, default=100_000, help="metric snapshots to ingest")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()
    if args.accounts != ISSUE_ACCOUNTS:
        progress(
            f"NOTE: {args.accounts:,} accounts, not the issue's {ISSUE_ACCOUNTS:,}: not a result to report"
        )
    progress("starting infrastructure (like the tests: environment URLs, Docker, or embedded)")
    with test_infrastructure() as infra:
        out = asyncio.run(run(infra, args))
    print()
    print(f"{'measure':<28}{'value':>16}  goal")
    print(f"{'metrics ingest rows/s':<28}{out['ingest']['rows_per_s']:>16,}")
    print(f"{'COPY rows/s (yardstick)':<28}{out['copy']['rows_per_s']:>16,}")
    print(f"{'ingest / COPY':<28}{out['ingest_vs_copy']:>16}  >= 0.2")
    print(f"{'ingest / COPY by CPU':<28}{out['ingest_vs_copy_cpu']!s:>16}")
    print(f"{'ingest / COPY per 5,000':<28}{out['ingest_vs_copy_per_5000']:>16}")
    for phase in ("ingest", "copy"):
        cpu = out[phase]["cpu_us_per_row"]
        print(f"{phase + ' CPU us/row py+pg':<28}{cpu['process']!s:>8} + {cpu['postgres']!s}")
        print(f"{phase + ' wall us/row':<28}{out[phase]['wall_us_per_row']:>16}")
    print(f"{'two streams: ingest / COPY':<28}{out['ingest_vs_copy_two_streams']:>16}")
    print(f"{'  ingest, COPY rows/s':<28}{out['ingest_two_streams']['rows_per_s']:>16,} / ", end="")
    print(f"{out['copy_two_streams']['rows_per_s']:,}")
    print(f"{'HTTP ingest rows/s':<28}{out['http_ingest']['rows_per_s']:>16,}")
    print(f"{'HTTP ingest / COPY':<28}{out['http_ingest_vs_copy']:>16}")
    print(f"{'first sweep s':<28}{out['sweep_first']['seconds']:>16}  <= 10")
    print(f"{'steady sweep s':<28}{out['sweep_steady']['seconds']:>16}  <= 10")
    print(f"{'accounts swept':<28}{args.accounts:>16,}")
    print(f"{'load average before/after':<28}{load_before[0]:>10.2f} / {os.getloadavg()[0]:.2f}")
    doc = {
        "benchmark": "monitor",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "parameters": vars(args),
        "issue_size": args.accounts == ISSUE_ACCOUNTS,
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "results": out,
        "goals": {"ingest_vs_copy": 0.2, "sweep_seconds": 10},
        "total_seconds": round(time.perf_counter() - started, 1),
        "run_id": uuid.uuid4().hex[:8],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "monitor.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    progress(f"done in {doc['total_seconds']}s; wrote {RESULTS / 'monitor.json'}")


if __name__ == "__main__":
    main()
