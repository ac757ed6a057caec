"""Notify benchmark: opening cases from alerts, sending webhook deliveries, rendering a bulletin.

On a fresh, migrated notify database (PostgreSQL as the tests start it), in the same run:

* ``open cases``: ``cases.service.open_case`` for 2,000 violation alerts, 200 per transaction (as the
  consumer applies a polled batch): per alert the case row, the ladder counter, NoticeIssued (and
  InterviewScheduled at the ladder's steps) in the outbox, and the deliveries (inbox, e-mail, webhook);
* yardstick: one-row ``INSERT`` transactions through asyncpg on the same server;
* ``webhook deliveries``: the dispatcher sending 1,000 signed deliveries to a local receiver (a uvicorn
  process of its own), claim, send (50 at a time) and mark included;
* yardstick: the same number of bare ``httpx`` POSTs of the same body to the same receiver, 50 at a time;
* ``bulletin``: HTML and PDF of a month with 500 cases (absolute time; no yardstick is meaningful).

A benchmark, not a test: nothing is asserted. Prints a table and writes ``bench/results/notify.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from govmedia_common.db import create_engine, session_factory
from govmedia_common.events.monitor import AlertRaised
from govmedia_common.workdays import SHANGHAI, FixedClock, WorkCalendar
from govmedia_notify.bulletins import render
from govmedia_notify.cases import service as cases
from govmedia_notify.channels.service import Dispatcher
from govmedia_notify.models import Subscription, UnitView
from govmedia_notify.settings import NotifySettings
from govmedia_platform.pytest_plugin import fresh_database, test_infrastructure

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
START = datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI)
ALERTS, PER_TXN, DELIVERIES, CONCURRENCY = 2_000, 200, 1_000, 50

RECEIVER = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def progress(message: str) -> None:
    print(f"[bench_notify] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alert(unit: str, n: int) -> AlertRaised:
    return AlertRaised(
        occurred_at=START,
        alert_id=str(uuid.uuid4()),
        account_id=str(uuid.uuid5(uuid.NAMESPACE_URL, unit)),
        unit_id=unit,
        region_code="331004",
        rule="not_updated",
        severity="violation",
        alert_class="not_updated",
        period=f"2025-09-{n % 28 + 1:02d}",
        detail={},
    )


async def one_row_transactions(dsn: str, n: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE yard (id text PRIMARY KEY, v jsonb)")
        started = time.perf_counter()
        for i in range(n):
            async with conn.transaction():
                await conn.execute("INSERT INTO yard VALUES ($1, '{}'::jsonb)", str(i))
        return n / (time.perf_counter() - started)
    finally:
        await conn.close()


async def run(infra: Any, port: int) -> dict[str, Any]:
    url = await fresh_database(infra, "bench_notify", "notify")
    engine = create_engine(url, pool_size=5)
    try:
        return await measure(url, session_factory(engine), port)
    finally:
        await engine.dispose()


async def measure(url: str, sessions: Any, port: int) -> dict[str, Any]:
    hook = f"http://127.0.0.1:{port}/hook"
    units = [str(uuid.uuid4()) for _ in range(ALERTS // 4)]
    async with sessions() as session, session.begin():
        office = UnitView(
            unit_id=str(uuid.uuid4()),
            name="台州市路桥区人民政府办公室",
            region_code="331004",
            kind="office",
            contact_email="office@example.gov.cn",
            as_of=START,
        )
        session.add(office)
        for u in units:
            session.add(
                UnitView(
                    unit_id=u,
                    name=f"单位{u[:4]}",
                    region_code="331004",
                    kind="unit",
                    principal_name="张",
                    contact_email=f"{u[:8]}@example.gov.cn",
                    as_of=START,
                )
            )
        session.add(
            Subscription(
                id=str(uuid.uuid4()),
                org_id=office.unit_id,
                region_code="331004",
                scope="region",
                event_kinds=["notice"],
                url=hook,
                secret="s" * 32,
                active=True,
                created_by="bench",
                created_at=START,
            )
        )
    alerts = [alert(units[i % len(units)], i) for i in range(ALERTS)]
    calendar = WorkCalendar()
    progress(f"opening {ALERTS} cases, {PER_TXN} per transaction")
    started = time.perf_counter()
    for i in range(0, ALERTS, PER_TXN):
        async with sessions() as session, session.begin():
            for a in alerts[i : i + PER_TXN]:
                await cases.open_case(session, a, now=START, calendar=calendar)
    open_rate = ALERTS / (time.perf_counter() - started)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    yard_txn = await one_row_transactions(dsn, 2_000)

    # Only webhooks are sent (e-mail rows are parked in the future so they stay out of the way).
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE deliveries SET next_attempt_at = now() + interval '10 years' WHERE channel <> 'webhook'"
        )
        await conn.execute(
            "DELETE FROM deliveries WHERE channel = 'webhook' AND seq NOT IN "
            "(SELECT seq FROM deliveries WHERE channel = 'webhook' ORDER BY seq LIMIT $1)",
            DELIVERIES,
        )
    finally:
        await conn.close()
    settings = NotifySettings(database_url=url, delivery_batch_size=CONCURRENCY)
    clock = FixedClock(START + timedelta(minutes=1))
    dispatcher = Dispatcher(sessions, settings, clock, client=httpx.AsyncClient(timeout=10))
    progress(f"sending {DELIVERIES} webhook deliveries")
    started = time.perf_counter()
    sent = 0
    while (tried := await dispatcher.run_once()) > 0:
        sent += tried
    send_rate = sent / (time.perf_counter() - started)
    body = b'{"delivery_id":"x","kind":"notice","subject":"s","data":{"case_id":"c"}}'
    async with httpx.AsyncClient(timeout=10) as client:
        started = time.perf_counter()
        for _ in range(DELIVERIES // CONCURRENCY):
            await asyncio.gather(*(client.post(hook, content=body) for _ in range(CONCURRENCY)))
        raw_rate = DELIVERIES / (time.perf_counter() - started)
    await dispatcher.close()

    rows = [
        [f"账号{i}", f"单位{i}", "内容不更新", "违规", "2025-09-01", "2025-09-08", "待整改"]
        for i in range(500)
    ]
    content = {
        "title": "台州市路桥区政务新媒体月通报（2025年9月）",
        "period_start": "2025-09-01",
        "period_end": "2025-09-30",
        "issuer": "台州市路桥区人民政府办公室",
        "published_on": date(2025, 10, 8).isoformat(),
        "summary": {"violations": 500, "rectified": 0, "overdue": 0, "interviews": 0, "closures": 0},
        "sections": [
            {
                "heading": "违规警报",
                "columns": ["账号", "主办单位", "问题", "等级", "通报日期", "整改期限", "状态"],
                "rows": rows,
            }
        ],
    }
    started = time.perf_counter()
    html = render.html(content)
    html_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pdf = render.pdf(content)
    pdf_seconds = time.perf_counter() - started

    return {
        "open_cases_per_s": round(open_rate, 1),
        "yardstick_one_row_transactions_per_s": round(yard_txn, 1),
        "open_cases_vs_one_row_transactions": round(open_rate / yard_txn, 3),
        "webhook_deliveries_per_s": round(send_rate, 1),
        "yardstick_raw_httpx_posts_per_s": round(raw_rate, 1),
        "deliveries_vs_raw_posts": round(send_rate / raw_rate, 3),
        "bulletin_500_rows_html_s": round(html_seconds, 3),
        "bulletin_500_rows_pdf_s": round(pdf_seconds, 3),
        "bulletin_pdf_bytes": len(pdf),
        "bulletin_html_bytes": len(html),
    }


def main() -> None:
    started = time.perf_counter()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        with test_infrastructure() as infra:
            results = asyncio.run(run(infra, port))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"  {key:<{width}}  {value}")
    doc = {
        "benchmark": "notify",
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "results": results,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notify.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    progress(f"done in {doc['total_seconds']}s; wrote {RESULTS / 'notify.json'}")


if __name__ == "__main__":
    main()
