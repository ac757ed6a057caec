"""Observations written while a monitor sweep runs: the sweep's verdict and the observation both stand.

A sweep judges every account in a few statements over seconds (100,000 accounts); connectors keep
ingesting meanwhile. An observation that ends a rule's condition (a post ends a silence, an answer an
unanswered message, the switch turned on an interaction-off) and commits while the sweep runs must not leave
an open alert the observation had ended: either the sweep saw it, or the observation clears what the sweep
raised. The sweep is held mid-job (after it read the accounts' silences, before it writes the alerts) by a
row lock of another account's alert, as a slow disk or a busy replica would hold it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from govmedia_common.workdays import SHANGHAI
from govmedia_monitor import handlers
from govmedia_platform.launcher import Infrastructure
from tests.fault.jobs_kit import client, dsn, quiet
from tests.hostile.consumer_kit import NOW, Running, opened

pytestmark = pytest.mark.integration

TODAY = NOW.date()
OPEN = "SELECT rule, severity FROM alerts WHERE account_id = :a AND state = 'open' AND rule = 'not_updated'"


SCOPES = ["monitor:read", "monitor:write", "monitor:ingest"]


def post(account_id: str) -> dict[str, str]:
    """A post of the account published this morning."""
    return {
        "account_id": account_id, "platform_post_id": "2247483901_1", "title": "路桥区政务服务中心通知",
        "text": "区政务服务中心本周六照常办理业务。", "published_at": f"{TODAY.isoformat()}T09:00:00+08:00",
    }  # fmt: skip


async def account(monitor: Running, *, opened_on: date) -> str:
    """An active account the monitor learnt from the registry's event (as its consumer hands it over)."""
    account_id = str(uuid.uuid4())
    async with monitor.sessions() as session, session.begin():
        await handlers.on_account_event(opened(account_id, on=opened_on), None, session)
    return account_id


@asynccontextmanager
async def holding_alerts_of(
    monitor: Running, account_id: str, rule: str = "not_updated"
) -> AsyncIterator[asyncpg.Connection]:
    """A session of its own holding the account's alerts of ``rule`` locked until the block ends."""
    conn = await asyncpg.connect(dsn(monitor.app.state.runtime.settings.database_url))
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(
            "SELECT 1 FROM alerts WHERE account_id = $1 AND rule = $2 FOR UPDATE", account_id, rule
        )
        yield conn
    finally:
        await tx.rollback()
        await conn.close()


async def waiting_on_a_lock(conn: asyncpg.Connection, fragment: str, *, within: float = 20) -> None:
    """Until a backend of the database runs a statement containing ``fragment`` and waits on a lock."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await conn.execute("SELECT pg_stat_clear_snapshot()")  # read anew inside the holder's transaction
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND position($1 in query) > 0",
            fragment,
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no statement with {fragment!r} waited on a lock within {within}s")


async def landed_or_waiting(conn: asyncpg.Connection, write: asyncio.Task[Any]) -> None:
    """Until the write has answered or waits for the sweep (an advisory lock)."""
    deadline = time.monotonic() + 20
    while not write.done() and time.monotonic() < deadline:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        if await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        ):
            return
        await asyncio.sleep(0.05)
    assert write.done(), "the write neither answered nor waited for the sweep"


async def test_a_post_ingested_while_the_sweep_runs_leaves_no_open_silence_alert(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with quiet(infra, "monitor") as monitor, client(monitor, scopes=SCOPES) as http:
        # Another account whose warning today's sweep escalates: its row lock holds the sweep mid-job.
        other = await account(monitor, opened_on=TODAY - timedelta(days=14))
        r = await http.post("/v1/sweeps", json={"as_of": (TODAY - timedelta(days=7)).isoformat()})
        assert r.status_code == 200 and r.json()["raised"] == {"not_updated": 1}, r.text
        warm = await account(monitor, opened_on=TODAY)  # the first post of a process loads the check
        r = await http.post("/v1/observed-posts", json={**post(warm), "platform_post_id": "1"})
        assert r.status_code == 200, r.text
        # Silent for 14 days today (no alert yet: learnt after that sweep), and posting this morning.
        silent = await account(monitor, opened_on=TODAY - timedelta(days=14))
        async with holding_alerts_of(monitor, other) as holder:
            sweep = asyncio.create_task(http.post("/v1/sweeps", json={"as_of": TODAY.isoformat()}))
            await waiting_on_a_lock(holder, "SELECT * FROM unnest(")  # a rule statement
            ingest = asyncio.create_task(http.post("/v1/observed-posts", json=post(silent)))
            await landed_or_waiting(holder, ingest)
        swept, ingested = await asyncio.wait_for(asyncio.gather(sweep, ingest), timeout=30)
        assert swept.status_code == 200, swept.text
        assert ingested.status_code == 200 and ingested.json()["accepted"] == 1, ingested.text
        # The account posted today: no silence alert of it stays open, whichever of the two came first.
        assert await monitor.sql(OPEN, a=silent) == []
        assert await monitor.sql(OPEN, a=other) == [("not_updated", "violation")]


async def test_an_answer_ingested_while_the_sweep_runs_leaves_no_open_unanswered_alert(
    infra: Infrastructure, kafka_topics: None
) -> None:
    unanswered = (
        "SELECT severity FROM alerts WHERE period = :m AND state = 'open' AND rule = 'message_unanswered'"
    )
    async with quiet(infra, "monitor") as monitor, client(monitor, scopes=SCOPES) as http:
        other = await account(monitor, opened_on=date(2026, 1, 5))
        asked = await account(monitor, opened_on=date(2026, 1, 5))
        messages = [
            # 11 working days unanswered on 13 November (a warning), 16 today (a violation: it escalates).
            {"account_id": other, "message_id": "m-old", "received_at": "2026-10-29T10:00:00+08:00"},
            # 6 working days unanswered today: today's sweep raises its warning.
            {"account_id": asked, "message_id": "m-new", "received_at": "2026-11-12T10:00:00+08:00"},
        ]
        r = await http.post("/v1/messages/bulk", json={"items": messages})
        assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
        r = await http.post("/v1/sweeps", json={"as_of": "2026-11-13"})
        assert r.status_code == 200 and r.json()["raised"].get("message_unanswered") == 1, r.text
        answer = {"account_id": asked, "message_id": "m-new", "answered_at": f"{TODAY}T09:00:00+08:00"}
        async with holding_alerts_of(monitor, other, "message_unanswered") as holder:
            sweep = asyncio.create_task(http.post("/v1/sweeps", json={"as_of": TODAY.isoformat()}))
            await waiting_on_a_lock(holder, "SELECT * FROM unnest(")
            reply = asyncio.create_task(http.post("/v1/replies", json=answer))
            await landed_or_waiting(holder, reply)
        swept, replied = await asyncio.wait_for(asyncio.gather(sweep, reply), timeout=30)
        assert swept.status_code == 200, swept.text
        assert replied.status_code == 200 and replied.json()["accepted"] == 1, replied.text
        # The message was answered this morning: its alert does not stay open, whichever came first.
        assert await monitor.sql(unanswered, m="m-new") == []
        assert await monitor.sql(unanswered, m="m-old") == [("violation",)]


async def test_an_interaction_switched_on_by_the_registry_while_the_sweep_runs_leaves_no_open_alert(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """The same through the account consumer: the registry's AccountChanged turning interaction on."""
    from govmedia_common.events.registry import AccountChanged, AccountStatus

    interaction_off = "SELECT state FROM alerts WHERE account_id = :a AND rule = 'interaction_off'"

    def at(day: int, hour: int = 9) -> datetime:
        return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)

    async def handle(event: Any) -> None:
        async with monitor.sessions() as session, session.begin():
            await handlers.on_account_event(event, None, session)

    def changed(event: Any, when: datetime, **fields: Any) -> AccountChanged:
        return AccountChanged(
            occurred_at=when, account_id=event.account_id, account=event.account.model_copy(update=fields),
            filing_id=None, actor_id="system", changed_fields=tuple(fields), previous=event.account,
            effective_on=when.date(),
        )  # fmt: skip

    def switched_off(account_id: str, when: datetime) -> Any:
        event = opened(account_id, on=when.date())
        off = event.account.model_copy(update={"interaction_enabled": False})
        return event.model_copy(update={"account": off, "occurred_at": when})

    async with quiet(infra, "monitor") as monitor, client(monitor, scopes=SCOPES) as http:
        # Another account whose interaction_off alert today's sweep resolves (it was suspended since):
        # its row lock holds the sweep inside the interaction statement.
        other = switched_off(str(uuid.uuid4()), at(10))
        await handle(other)
        r = await http.post("/v1/sweeps", json={"as_of": "2026-11-12"})
        assert r.status_code == 200 and r.json()["raised"].get("interaction_off") == 1, r.text
        await handle(changed(other, at(15), status=AccountStatus.SUSPENDED))
        # Interaction off since yesterday (no alert yet), switched on by the registry this morning.
        account = switched_off(str(uuid.uuid4()), at(19))
        await handle(account)
        async with holding_alerts_of(monitor, other.account_id, "interaction_off") as holder:
            sweep = asyncio.create_task(http.post("/v1/sweeps", json={"as_of": TODAY.isoformat()}))
            await waiting_on_a_lock(holder, "SELECT * FROM unnest(")
            switch = asyncio.create_task(handle(changed(account, at(20), interaction_enabled=True)))
            await landed_or_waiting(holder, switch)
        swept, _ = await asyncio.wait_for(asyncio.gather(sweep, switch), timeout=30)
        assert swept.status_code == 200, swept.text
        # Interaction is on: no interaction_off alert of the account stays open, whichever came first.
        assert "open" not in [s for (s,) in await monitor.sql(interaction_off, a=account.account_id)]
