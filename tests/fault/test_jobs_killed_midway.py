"""A job run over HTTP whose process is SIGKILLed half-way, then run again on a new process.

Notify's sweep acts case by case (one transaction each): killed after some cases, what it committed stands
once and the run again does the rest, each reminder (its event, its inbox messages) exactly once. A bulk
ingest of 5,000 messages is one transaction: killed in it, nothing is stored, and the same request again
stores every message once with one event each.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Platform,
)
from govmedia_common.events.monitor import AlertRaised, MessageReceived
from govmedia_common.events.notify import ReminderSent
from govmedia_common.events.registry import UnitRegistered
from govmedia_common.keys import SigningKey, mint_token
from govmedia_common.workdays import FixedClock, WorkCalendar
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.fault.jobs_kit import dsn, quiet
from tests.fault.killable import killable
from tests.hostile.consumer_kit import NOW, opened

pytestmark = pytest.mark.integration

REGION = "331004"
REMINDERS = "SELECT payload->>'case_id', count(*) FROM outbox WHERE type = $1 GROUP BY 1"


def http(url: str, key: SigningKey, *, roles: list[str], scopes: list[str]) -> httpx.AsyncClient:
    token = mint_token(
        key, subject=str(uuid.uuid4()), name="管理员", region="330000", unit=None, roles=roles, scopes=scopes
    )
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


async def open_cases(infra: Infrastructure, url: str, n: int) -> list[str]:
    """An office, a unit with ``n`` accounts and a case per account opened yesterday, a minute apart (the
    monitor's not-updated violations handed to notify's handler); the case ids in opening order."""
    from govmedia_notify.cases.handlers import alert_handlers
    from govmedia_notify.directory.handlers import on_account_event, on_unit_event

    yesterday = NOW - timedelta(days=1)
    office, unit = str(uuid.uuid4()), str(uuid.uuid4())
    async with quiet(infra, "notify", url=url) as notify:
        runtime = notify.app.state.runtime
        steps: list[tuple[Any, Any]] = [
            (on_unit_event, UnitRegistered(occurred_at=yesterday, unit_id=office, name="路桥区人民政府办公室",
                                           region_code=REGION, kind="office", duty_keywords=("政务",))),
            (on_unit_event, UnitRegistered(occurred_at=yesterday, unit_id=unit, name="路桥区市场监督管理局",
                                           region_code=REGION, kind="unit", duty_keywords=("市场监管",))),
        ]  # fmt: skip
        for handler, event in steps:
            async with runtime.sessions() as session, session.begin():
                await handler(event, None, session)
        for i in range(n):
            at = yesterday + timedelta(minutes=i)
            account = str(uuid.uuid4())
            snap = AccountSnapshot(
                account_id=account, name=f"路桥市场监管{i}", platform=Platform.WECHAT,
                platform_account_id=None, unit_id=unit, unit_name="路桥区市场监督管理局", region_code=REGION,
                status=AccountStatus.ACTIVE,
                attention_tier=AttentionTier.ORDINARY, interaction_enabled=True, review_levels=3,
                certified=False, matrix_badge=None, outsourced=False,
            )  # fmt: skip
            alert = AlertRaised(
                occurred_at=at, alert_id=str(uuid.uuid4()), account_id=account, unit_id=unit,
                region_code=REGION, rule="not_updated", severity="violation", alert_class="not_updated",
                period=(at.date() - timedelta(days=15)).isoformat(), detail={"days_silent": 15},
            )  # fmt: skip
            opened_event = AccountOpened(
                occurred_at=at - timedelta(days=30), account_id=account, account=snap, filing_id=None,
                actor_id="system", effective_on=(at - timedelta(days=30)).date(),
            )  # fmt: skip
            on_alert = alert_handlers(FixedClock(at), runtime.component(WorkCalendar))[AlertRaised]
            pairs: list[tuple[Any, Any]] = [(on_account_event, opened_event), (on_alert, alert)]
            for handler, event in pairs:
                async with runtime.sessions() as session, session.begin():
                    await handler(event, None, session)
        rows = await notify.sql("SELECT id FROM cases ORDER BY opened_at")
    assert len(rows) == n, rows
    return [r[0] for r in rows]


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
    cases = await open_cases(infra, url, 4)
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
