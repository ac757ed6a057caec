"""A bulk of posts edited back on the platform clears their alerts set-based, one statement a batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, select

from govmedia_common.db import outbox_table
from govmedia_common.events import AlertResolved

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

TITLE = "关于国庆假期政务服务安排的通知"
TEXT = "国庆假期期间，区政务服务中心10月1日至8日暂停现场办理业务，10月9日起恢复正常。第{i}期。"
EDITED = "国庆假期期间，区政务服务中心10月1日至8日暂停现场办理业务，10月12日起恢复正常，请相互转告。第{i}期。"
N = 12


def items(account: str, text: str, monitor: MonitorKit) -> list[dict[str, Any]]:
    at = monitor.clock.now().isoformat()
    return [
        {"account_id": account, "platform_post_id": f"wx-{i}", "title": TITLE, "text": text.format(i=i),
         "published_at": at}
        for i in range(N)
    ]  # fmt: skip


async def test_posts_edited_back_clear_their_mismatch_alerts_in_one_statement(monitor: MonitorKit) -> None:
    account = await monitor.account()
    for i in range(N):
        post_id = await monitor.approve(account, TITLE, TEXT.format(i=i))
        await monitor.published(account, post_id, f"wx-{i}", TITLE, TEXT.format(i=i))
    r = await monitor.connector.post(
        "/v1/observed-posts/bulk", json={"items": items(account, EDITED, monitor)}
    )
    assert r.json()["accepted"] == N, r.text
    assert {a.rule for a in await monitor.alerts(account)} == {"content_mismatch"}

    engine = monitor.sessions.kw["bind"].sync_engine
    updates: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith("UPDATE alerts"):
            updates.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:  # the platform shows the approved text again
        r = await monitor.connector.post(
            "/v1/observed-posts/bulk", json={"items": items(account, TEXT, monitor)}
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert r.json()["accepted"] == N, r.text
    assert len(updates) == 1, f"{len(updates)} statements cleared the batch's alerts"
    alerts = await monitor.alerts(account)
    assert len(alerts) == N and {(a.state, a.resolution) for a in alerts} == {("resolved", "cleared")}
    async with monitor.sessions() as session:
        resolved = (
            (
                await session.execute(
                    select(outbox_table.c.payload).where(
                        outbox_table.c.type == AlertResolved.event_type, outbox_table.c.aggregateid == account
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(p["alert_id"] for p in resolved) == sorted(a.id for a in alerts), "one event an alert"
