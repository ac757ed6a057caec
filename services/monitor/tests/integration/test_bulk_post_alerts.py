"""A bulk of observed posts writes their alerts (and the alerts' events) set-based, one statement a batch.

A connector catching up sends thousands of posts that match no approved post; each raises its
"published without review" (未审先发) alert. Written one by one, 5,000 of them took most of a minute and the
client gave up; written by one statement, they are the same alerts and the same CloudEvents.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from sqlalchemy import event, select

from govmedia_common.db import outbox_table
from govmedia_common.envelope import from_record, wrap
from govmedia_common.events import AlertRaised
from govmedia_common.outbox import record_headers

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


@contextmanager
def statements(monitor: MonitorKit, fragment: str) -> Iterator[list[str]]:
    """The SQL statements containing ``fragment`` the monitor's engine runs meanwhile (one per execute)."""
    engine = monitor.sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if fragment in sql:
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def posts(accounts: list[str], n: int, monitor: MonitorKit, prefix: str = "p") -> list[dict[str, Any]]:
    start = monitor.clock.now() - timedelta(days=1)
    return [
        {
            "account_id": accounts[i % len(accounts)],
            "platform_post_id": f"{prefix}{i}",
            "text": f"第{i}号通知：未经审核发布的内容。",
            "published_at": (start + timedelta(seconds=i)).isoformat(),
        }
        for i in range(n)
    ]


async def test_a_bulk_of_unreviewed_posts_raises_every_alert_in_one_statement_and_once(
    monitor: MonitorKit,
) -> None:
    accounts = [await monitor.account() for _ in range(3)]
    items = posts(accounts, 120, monitor)
    with (
        statements(monitor, "INSERT INTO alerts") as writes,
        statements(monitor, "UPDATE observed") as updates,
    ):
        r = await monitor.connector.post("/v1/observed-posts/bulk", json={"items": items})
    assert r.status_code == 200 and r.json()["accepted"] == 120, r.text
    assert len(writes) == 1, f"{len(writes)} statements wrote the batch's alerts"
    # The matches and the machine check's findings of the batch: one executemany, not an UPDATE a post.
    assert len(updates) == 1, f"{len(updates)} statements wrote the batch's matches and findings"

    again = await monitor.connector.post("/v1/observed-posts/bulk", json={"items": items})
    assert again.json()["duplicates"] == 120, again.text
    for account in accounts:
        alerts = await monitor.alerts(account)
        assert len(alerts) == 40 and {a.rule for a in alerts} == {"unreviewed_publication"}
    async with monitor.sessions() as session:
        raised = (
            await session.execute(
                select(outbox_table.c.payload).where(outbox_table.c.type == AlertRaised.event_type)
            )
        ).all()
    assert len(raised) == 120 and len({p.payload["alert_id"] for p in raised}) == 120, "one event an alert"


async def test_alerts_raised_set_based_are_the_cloudevents_add_event_writes(monitor: MonitorKit) -> None:
    account = await monitor.account()
    answer = await monitor.connector.post(
        "/v1/observed-posts/bulk", json={"items": posts([account], 2, monitor)}
    )
    assert answer.json()["accepted"] == 2, answer.text
    alerts = {a.id: a for a in await monitor.alerts(account)}
    async with monitor.sessions() as session:
        rows = (
            await session.execute(
                select(outbox_table)
                .where(outbox_table.c.type == AlertRaised.event_type, outbox_table.c.aggregateid == account)
                .order_by(outbox_table.c.seq)
            )
        ).all()
    assert len(rows) == 2
    for r in rows:
        event = AlertRaised.model_validate(r.payload)
        alert = alerts[event.alert_id]
        assert (event.rule, event.severity, event.period) == (
            "unreviewed_publication",
            "serious",
            alert.period,
        )
        assert (event.unit_id, event.region_code, event.detail) == (
            alert.unit_id,
            alert.region_code,
            alert.detail,
        )
        assert event.detail["platform_post_id"] == alert.period and event.occurred_at == monitor.clock.now()
        expected = wrap(event, event_id=r.id, traceparent=r.headers.get("traceparent"))
        assert record_headers(dict(r.headers), r.id, r.aggregateid) == expected.headers()
        assert list(r.payload) == list(expected.data)
        assert from_record(expected.headers(), orjson.dumps(r.payload)).event() == event
