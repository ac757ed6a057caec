"""Metric snapshots: set-based ingest whose outbox rows are built in SQL must be real CloudEvents."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
import pytest
from sqlalchemy import select

from govmedia_common.db import outbox_records_view, outbox_table
from govmedia_common.envelope import from_record, wrap
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.outbox import record_headers
from govmedia_monitor import schemas as s
from govmedia_monitor.observations import metrics

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


async def test_sql_built_metrics_events_validate_and_carry_the_same_headers_as_add_event(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    now = monitor.clock.now()
    items = [
        s.MetricSnapshotIn(
            account_id=account, platform_post_id="wx-1", taken_at=now, reads=120, watching=4, likes=9
        ),
        s.MetricSnapshotIn(account_id=account, taken_at=now - timedelta(hours=1), followers=5321),
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
                select(outbox_records_view)
                .where(outbox_records_view.c.type == MetricsObserved.event_type)
                .order_by(outbox_records_view.c.seq)
            )
        ).all()
        stored = (
            await session.execute(
                select(outbox_table.c.records, outbox_table.c["keys"]).where(
                    outbox_table.c.type == MetricsObserved.event_type
                )
            )
        ).all()
    assert [tuple(r) for r in stored] == [(2, [account, account])], "the statement's events: one row"
    events = [MetricsObserved.model_validate(r.payload) for r in rows]
    by_post = {e.platform_post_id: e for e in events}
    assert (by_post["wx-1"].reads, by_post["wx-1"].watching, by_post["wx-1"].likes) == (120, 4, 9)
    assert by_post["wx-1"].as_of == now and by_post[None].followers == 5321
    assert by_post[None].ingest_channel == IngestChannel.FILE_IMPORT
    for r, event in zip(rows, events, strict=True):
        # The record the relay sends is the one add_event would have written for this event and id: the
        # same headers in the same order (ce_id and ce_subject filled in from the row), the data's fields
        # in the same order, equal values.
        expected = wrap(event, event_id=r.id, traceparent=r.headers.get("traceparent"))
        assert record_headers(dict(r.headers), r.id, r.key) == expected.headers()
        assert r.headers["ce_id"] == r.headers["ce_subject"] == "", "one constant template per statement"
        assert list(r.payload) == list(expected.data) and r.key == account
        assert from_record(expected.headers(), orjson.dumps(r.payload)).event() == event
    assert len({r.id for r in rows}) == 2, "one event per snapshot, none for the replay"
