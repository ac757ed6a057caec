"""Metric snapshots: set-based ingest whose outbox rows are built in SQL must be real CloudEvents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from govmedia_common.db import outbox_table
from govmedia_common.envelope import wrap
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_monitor import schemas as s
from govmedia_monitor.observations import metrics

pytestmark = pytest.mark.integration


async def test_sql_built_metrics_events_validate_and_carry_the_same_headers_as_add_event(monitor):
    account = await monitor.account()
    now = monitor.clock.now()
    items = [
        s.MetricSnapshotIn(
            account_id=account, platform_post_id="wx-1", taken_at=now, reads=120, watching=4, likes=9
        ),
        s.MetricSnapshotIn(account_id=account, taken_at=now + timedelta(hours=1), followers=5321),
    ]
    async with monitor.sessions() as session, session.begin():
        report = await metrics.ingest_metrics(session, items, channel=IngestChannel.FILE_IMPORT, now=now)
    assert (report.accepted, report.duplicates) == (2, 0)
    async with monitor.sessions() as session, session.begin():
        again = await metrics.ingest_metrics(session, items, channel=IngestChannel.FILE_IMPORT, now=now)
    assert (again.accepted, again.duplicates) == (0, 2), "the same snapshots again: nothing new"

    async with monitor.sessions() as session:
        rows = (
            await session.execute(
                select(outbox_table)
                .where(outbox_table.c.type == MetricsObserved.event_type)
                .order_by(outbox_table.c.seq)
            )
        ).all()
    events = [MetricsObserved.model_validate(r.payload) for r in rows]
    by_post = {e.platform_post_id: e for e in events}
    assert (by_post["wx-1"].reads, by_post["wx-1"].watching, by_post["wx-1"].likes) == (120, 4, 9)
    assert by_post["wx-1"].as_of == now and by_post[None].followers == 5321
    assert by_post[None].ingest_channel == IngestChannel.FILE_IMPORT
    reference = {k for k, _ in wrap(events[0]).headers()}
    for r in rows:
        assert set(r.headers) >= reference - {"traceparent"}
        assert r.headers["ce_id"] == r.id and r.headers["ce_subject"] == account == r.aggregateid
        assert r.headers["ce_type"] == MetricsObserved.event_type
    assert len({r.id for r in rows}) == 2, "one event per snapshot, none for the replay"
