"""A job run over HTTP whose process is SIGKILLed half-way, then run again on a new process.

Notify's sweep acts case by case (one transaction each): killed after some cases, what it committed stands
once and the run again does the rest, each reminder (its event, its inbox messages) exactly once. A bulk
ingest of 5,000 messages is one transaction: killed in it, nothing is stored, and the same request again
stores every message once with one event each; so is a bulk of posts killed as it writes their alerts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest

from govmedia_common.events.monitor import AlertRaised, MessageReceived, PostObserved
from govmedia_common.events.notify import ReminderSent
from govmedia_common.keys import SigningKey, mint_token
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.fault.jobs_kit import dsn, open_cases, quiet
from tests.fault.killable import killable
from tests.hostile.consumer_kit import NOW, opened

pytestmark = pytest.mark.integration

REMINDERS = "SELECT payload->>'case_id', count(*) FROM outbox WHERE type = $1 GROUP BY 1"


def http(url: str, key: SigningKey, *, roles: list[str], scopes: list[str]) -> httpx.AsyncClient:
    token = mint_token(
        key, subject=str(uuid.uuid4()), name="管理员", region="330000", unit=None, roles=roles, scopes=scopes
    )
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


async def waiting_on_a_lock(
    conn: asyncpg.Connection, job: asyncio.Task[httpx.Response], *, fragment: str = "", within: float = 30
) -> None:
    """Until the job (a statement holding ``fragment``) waits on the lock ``conn`` holds (it must not
    have answered before)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if job.done():
            raise AssertionError(f"the job answered before it reached the held lock: {job.result().text}")
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        if await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND position($1 in query) > 0",
            fragment,
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the job did not reach the held row")


async def test_a_notify_sweep_killed_after_some_cases_is_done_once_by_the_next_run(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "jobs_notify", "notify")
    cases = await open_cases(infra, url, [NOW - timedelta(days=1, minutes=-i) for i in range(4)])
    key = SigningKey.generate()
    body = {"as_of": NOW.isoformat()}
    holder = await asyncpg.connect(dsn(url))
    try:
        with killable(infra, "notify", url, key, NOW) as notify:
            async with http(
                notify.url, key, roles=["office_admin"], scopes=["notify:read", "notify:write"]
            ) as c:
                tx = holder.transaction()
                await tx.start()
                await holder.execute("SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", cases[2])
                sweep = asyncio.create_task(c.post("/v1/sweeps", json=body))
                await waiting_on_a_lock(holder, sweep)  # two cases done, the third held
                notify.kill()
                with pytest.raises(httpx.HTTPError):
                    await sweep
                await tx.rollback()
        sent = {
            r["id"]: r["reminders_sent"] for r in await holder.fetch("SELECT id, reminders_sent FROM cases")
        }
        assert [sent[c] for c in cases] == [1, 1, 0, 0], sent  # what was committed stands, nothing half
        with killable(infra, "notify", url, key, NOW) as notify:
            async with http(
                notify.url, key, roles=["office_admin"], scopes=["notify:read", "notify:write"]
            ) as c:
                for _ in range(2):  # the run again, and a retry that was not needed
                    r = await c.post("/v1/sweeps", json=body)
                    assert r.status_code == 200, r.text
        sent = {
            r["id"]: r["reminders_sent"] for r in await holder.fetch("SELECT id, reminders_sent FROM cases")
        }
        assert [sent[c] for c in cases] == [1, 1, 1, 1], sent
        reminded = {r[0]: r[1] for r in await holder.fetch(REMINDERS, ReminderSent.event_type)}
        assert reminded == dict.fromkeys(cases, 1), reminded  # one ReminderSent per case
        inbox = await holder.fetch(
            "SELECT case_id, recipient, count(*) FROM deliveries "
            "WHERE kind = 'reminder' AND channel = 'inbox' GROUP BY 1, 2"
        )
        assert sorted(r[0] for r in inbox) == sorted(cases) and all(r[2] == 1 for r in inbox), inbox
    finally:
        await holder.close()


async def test_a_bulk_of_5000_messages_killed_in_its_transaction_stores_nothing_and_all_once_when_sent_again(
    infra: Infrastructure, kafka_topics: None
) -> None:
    from govmedia_monitor import handlers

    url = await fresh_database(infra, "jobs_monitor", "monitor")
    accounts = [str(uuid.uuid4()) for _ in range(50)]
    async with quiet(infra, "monitor", url=url) as monitor:
        for account in accounts:
            async with monitor.sessions() as session, session.begin():
                await handlers.on_account_event(opened(account), None, session)
    items = [
        {"account_id": accounts[i % 50], "message_id": f"m-{i}",
         "received_at": (NOW - timedelta(minutes=i)).isoformat()}
        for i in range(5000)
    ]  # fmt: skip
    key = SigningKey.generate()
    stored = "SELECT count(*) FROM messages"
    events = "SELECT count(*), count(DISTINCT payload->>'message_id') FROM outbox WHERE type = $1"
    holder = await asyncpg.connect(dsn(url))
    try:
        with killable(infra, "monitor", url, key, NOW) as monitor:
            async with http(monitor.url, key, roles=[], scopes=["monitor:ingest"]) as c:
                tx = holder.transaction()
                await tx.start()
                await holder.execute(
                    "LOCK TABLE outbox IN SHARE MODE"
                )  # its messages written, not its events
                ingest = asyncio.create_task(c.post("/v1/messages/bulk", json={"items": items}))
                await waiting_on_a_lock(holder, ingest, fragment="INSERT INTO outbox", within=60)
                monitor.kill()
                with pytest.raises(httpx.HTTPError):
                    await ingest
                await tx.rollback()
        assert await holder.fetchval(stored) == 0  # nothing of the request
        with killable(infra, "monitor", url, key, NOW) as monitor:
            async with http(monitor.url, key, roles=[], scopes=["monitor:ingest"]) as c:
                r = await c.post("/v1/messages/bulk", json={"items": items})
                assert r.status_code == 200 and r.json()["accepted"] == 5000, r.text
        assert await holder.fetchval(stored) == 5000
        assert tuple(await holder.fetchrow(events, MessageReceived.event_type)) == (5000, 5000)  # once each
    finally:
        await holder.close()


async def test_a_bulk_of_posts_killed_writing_its_alerts_stores_nothing_and_all_once_when_sent_again(
    infra: Infrastructure, kafka_topics: None
) -> None:
    from govmedia_monitor import handlers

    url = await fresh_database(infra, "jobs_monitor_posts", "monitor")
    accounts = [str(uuid.uuid4()) for _ in range(20)]
    async with quiet(infra, "monitor", url=url) as monitor:
        for account in accounts:
            async with monitor.sessions() as session, session.begin():
                await handlers.on_account_event(opened(account), None, session)
    items = [
        {"account_id": accounts[i % 20], "platform_post_id": f"p-{i}", "text": f"第{i}号通知",
         "published_at": (NOW - timedelta(minutes=i)).isoformat()}
        for i in range(1000)
    ]  # fmt: skip
    key = SigningKey.generate()
    stored = "SELECT (SELECT count(*) FROM observed_posts), (SELECT count(*) FROM alerts)"
    events = "SELECT count(*), count(DISTINCT payload->>'platform_post_id') FROM outbox WHERE type = $1"
    alerted = "SELECT count(*), count(DISTINCT payload->>'alert_id') FROM outbox WHERE type = $1"
    holder = await asyncpg.connect(dsn(url))
    try:
        with killable(infra, "monitor", url, key, NOW) as monitor:
            async with http(monitor.url, key, roles=[], scopes=["monitor:ingest"]) as c:
                tx = holder.transaction()
                await tx.start()
                await holder.execute("LOCK TABLE alerts IN SHARE MODE")  # posts and PostObserved written
                ingest = asyncio.create_task(c.post("/v1/observed-posts/bulk", json={"items": items}))
                await waiting_on_a_lock(holder, ingest, fragment="INSERT INTO alerts", within=60)
                monitor.kill()
                with pytest.raises(httpx.HTTPError):
                    await ingest
                await tx.rollback()
        assert tuple(await holder.fetchrow(stored)) == (0, 0)  # nothing of the request
        assert await holder.fetchval("SELECT count(*) FROM outbox") == 0
        with killable(infra, "monitor", url, key, NOW) as monitor:
            async with http(monitor.url, key, roles=[], scopes=["monitor:ingest"]) as c:
                for _ in range(2):  # sent again, and a retry that was not needed
                    r = await c.post("/v1/observed-posts/bulk", json={"items": items})
                    assert r.status_code == 200, r.text
        assert tuple(await holder.fetchrow(stored)) == (1000, 1000)
        assert tuple(await holder.fetchrow(events, PostObserved.event_type)) == (1000, 1000)
        assert tuple(await holder.fetchrow(alerted, AlertRaised.event_type)) == (1000, 1000)
    finally:
        await holder.close()
