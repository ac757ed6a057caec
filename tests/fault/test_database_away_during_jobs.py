"""The database goes away in the middle of a monitor sweep and of a scoring recompute run over HTTP.

The job is held inside its transaction (a lock it needs is taken by another session), its backend is then
terminated, as a database restart or a failover does. The caller gets a problem+json saying to retry, nothing
of the job is left half-written, and the job run again does it once: one alert per account and rule, one
score per account and period, one event each.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from govmedia_common.keys import mint_token
from govmedia_platform.launcher import Infrastructure
from tests.hostile.consumer_kit import NOW, Running, opened, running

pytestmark = pytest.mark.integration


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def client(service: Running, *, roles: list[str], scopes: list[str]) -> httpx.AsyncClient:
    token = mint_token(
        service.key, subject=str(uuid.uuid4()), name="管理员", region="330000", unit=None, roles=roles,
        scopes=scopes,
    )  # fmt: skip
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app),
        base_url="http://service",
        headers={"Authorization": f"Bearer {token}"},
    )


@asynccontextmanager
async def holding(service: Running, statement: str) -> AsyncIterator[asyncpg.Connection]:
    """A session of its own holding ``statement``'s lock until the block ends."""
    url = service.app.state.runtime.settings.database_url
    conn = await asyncpg.connect(_dsn(url))
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(statement)
        yield conn
    finally:
        await tx.rollback()
        await conn.close()


async def cut_while_waiting(holder: asyncpg.Connection, job: asyncio.Task[httpx.Response]) -> httpx.Response:
    """Terminate every backend of the database waiting on a lock (the job's, held by ``holder``) until the job
    answers: the database going away under it."""
    deadline = time.monotonic() + 30
    while not job.done() and time.monotonic() < deadline:
        await holder.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        await asyncio.sleep(0.1)
    return await asyncio.wait_for(job, timeout=30)


async def test_a_sweep_cut_by_the_database_leaves_nothing_and_runs_again_once(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    async with running(infra, "monitor") as monitor:
        await monitor.handled(await monitor.publish([opened(account)]))  # silent since 2025: not updated
        async with client(monitor, roles=["office_admin"], scopes=["monitor:read", "monitor:write"]) as http:
            body = {"as_of": NOW.date().isoformat()}
            async with holding(monitor, "SELECT pg_advisory_xact_lock(30803292635751792)") as holder:
                r = await cut_while_waiting(holder, asyncio.create_task(http.post("/v1/sweeps", json=body)))
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json"), r.headers
            alerts = "SELECT rule, count(*) FROM alerts WHERE account_id = :a GROUP BY rule ORDER BY rule"
            events = "SELECT count(*) FROM outbox WHERE aggregateid = :a AND type LIKE '%alert.raised%'"
            assert await monitor.sql(alerts, a=account) == []  # nothing half-written
            assert await monitor.sql(events, a=account) == [(0,)]
            for _ in range(2):  # run again (and once more: a retry that was not needed)
                r = await http.post("/v1/sweeps", json=body)
                assert r.status_code == 200, r.text
            raised = await monitor.sql(alerts, a=account)
            assert raised and all(n == 1 for _, n in raised), raised
            assert await monitor.sql(events, a=account) == [(len(raised),)]


async def test_a_recompute_cut_by_the_database_leaves_nothing_and_runs_again_once(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    async with running(infra, "scoring") as scoring:
        await scoring.handled(await scoring.publish([opened(account)]))
        async with client(scoring, roles=["office_admin"], scopes=["scoring:read"]) as http:
            body = {"period_kind": "week", "period_start": "2026-11-09"}
            async with holding(scoring, "LOCK TABLE scores IN ACCESS EXCLUSIVE MODE") as holder:
                r = await cut_while_waiting(
                    holder, asyncio.create_task(http.post("/v1/recompute", json=body))
                )
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json"), r.headers
            scores = "SELECT count(*) FROM scores WHERE account_id = :a"
            events = "SELECT count(*) FROM outbox WHERE aggregateid = :a"
            assert await scoring.sql(scores, a=account) == [(0,)]
            assert await scoring.sql(events, a=account) == [(0,)]
            for _ in range(2):
                r = await http.post("/v1/recompute", json=body)
                assert r.status_code == 200, r.text
            assert await scoring.sql(scores, a=account) == [(1,)]
            assert await scoring.sql(events, a=account) == [(1,)]  # announced once: the rerun changed nothing
