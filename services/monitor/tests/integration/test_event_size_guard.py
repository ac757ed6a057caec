"""Every outbox write of the monitor goes through the event-size guard: a change whose event could never be
published is refused whole (413), whether its events are built in Python or in set-based SQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Table, Text, func, select

from govmedia_common.db import outbox_records_view, outbox_table
from govmedia_common.events import IngestChannel
from govmedia_common.outbox import EventTooLarge, record_headers
from govmedia_monitor import schemas as s
from govmedia_monitor.models import Alert, Base, MetricSnapshot, ObservedPost
from govmedia_monitor.observations import metrics

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


async def _count(monitor: MonitorKit, what: Table | type[Base]) -> int:
    async with monitor.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(what))).scalar_one())


async def test_an_observed_post_whose_event_is_too_large_is_refused_with_413_and_nothing_stored(
    monitor: MonitorKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await monitor.account()
    before = await _count(monitor, outbox_table)
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "3000")
    r = await monitor.observe(account, "未经审核的内容。" * 200, post_id="wx-huge")
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "event-too-large"
    assert await _count(monitor, ObservedPost) == 0
    assert await _count(monitor, outbox_table) == before
    monkeypatch.delenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES")
    assert (await monitor.observe(account, "未经审核的内容。", post_id="wx-small")).status_code == 200


async def test_set_based_metric_ingest_checks_each_event_against_the_limit_and_writes_nothing_over_it(
    monitor: MonitorKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await monitor.account()
    now = monitor.clock.now()
    items = [s.MetricSnapshotIn(account_id=account, platform_post_id="wx-1", taken_at=now, reads=1)]
    before = await _count(monitor, outbox_table)
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "400")  # a MetricsObserved record is ~700 bytes
    with pytest.raises(EventTooLarge):
        async with monitor.sessions() as session, session.begin():
            await metrics.ingest_metrics(session, items, channel=IngestChannel.INGEST_API, now=now)
    assert await _count(monitor, MetricSnapshot) == 0
    assert await _count(monitor, outbox_table) == before
    monkeypatch.delenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES")
    async with monitor.sessions() as session, session.begin():
        report = await metrics.ingest_metrics(session, items, channel=IngestChannel.INGEST_API, now=now)
    assert report.accepted == 1 and await _count(monitor, outbox_table) == before + 1


async def test_a_sweep_whose_alert_events_are_too_large_raises_nothing_and_writes_no_event(
    monitor: MonitorKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    await monitor.account()
    sweep_day = monitor.clock.now().date() + timedelta(days=20)
    before = await _count(monitor, outbox_table)
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "500")  # an AlertRaised record is ~1 kB
    with pytest.raises(EventTooLarge):
        await monitor.sweep(sweep_day)
    assert await _count(monitor, Alert) == 0
    assert await _count(monitor, outbox_table) == before
    monkeypatch.delenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES")
    assert (await monitor.sweep(sweep_day))["raised"] == {"not_updated": 1}


async def test_the_metric_ingest_guard_measures_each_record_exactly_as_the_relay_sends_it(
    monitor: MonitorKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-based size (payload text plus header names and values) is the record's own, to the byte."""
    account = await monitor.account()
    now = monitor.clock.now()

    def snapshot(hours: int) -> list[s.MetricSnapshotIn]:
        at = now - timedelta(hours=hours)  # same shape, same size: only the instant differs
        return [s.MetricSnapshotIn(account_id=account, platform_post_id="wx-7", taken_at=at, reads=1)]

    async with monitor.sessions() as session, session.begin():
        await metrics.ingest_metrics(session, snapshot(0), channel=IngestChannel.INGEST_API, now=now)
    async with monitor.sessions() as session:
        row = (
            await session.execute(
                select(
                    outbox_records_view.c.payload.cast(Text),
                    outbox_records_view.c.headers,
                    outbox_records_view.c.id,
                    outbox_records_view.c.key,
                ).order_by(outbox_records_view.c.seq.desc())
            )
        ).first()
    assert row is not None
    payload, headers, event_id, key = row
    size = len(payload.encode()) + sum(len(k) + len(v) for k, v in record_headers(headers, event_id, key))

    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", str(size - 1))
    with pytest.raises(EventTooLarge) as refused:
        async with monitor.sessions() as session, session.begin():
            await metrics.ingest_metrics(session, snapshot(1), channel=IngestChannel.INGEST_API, now=now)
    assert refused.value.extensions["size"] == size
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", str(size))
    async with monitor.sessions() as session, session.begin():
        report = await metrics.ingest_metrics(session, snapshot(1), channel=IngestChannel.INGEST_API, now=now)
    assert report.accepted == 1


async def test_the_bound_that_spares_measuring_each_row_covers_the_largest_record_a_snapshot_makes(
    monitor: MonitorKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the limit the rows are not measured one by one; the bound used for that covers the largest
    record a snapshot can make (longest ids of characters JSON escapes as six bytes, every count at its
    maximum): measured exactly (a limit just under the bound), it is under the bound."""
    account = await monitor.account()
    now = monitor.clock.now()
    worst = s.MetricSnapshotIn(
        account_id=account,
        platform_post_id="\x01" * 200,
        taken_at=now,
        **{m: 10**12 for m in ("reads", "watching", "likes", "shares", "comments", "followers")},
    )
    bound = metrics.metric_record_bound([worst], channel=IngestChannel.INGEST_API, now=now)
    assert 1_000 < bound < 10_000  # three orders under the default limit
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", str(bound - 1))  # measured row by row
    async with monitor.sessions() as session, session.begin():
        report = await metrics.ingest_metrics(session, [worst], channel=IngestChannel.INGEST_API, now=now)
    assert report.accepted == 1
    async with monitor.sessions() as session:
        row = (
            await session.execute(
                select(
                    outbox_records_view.c.payload.cast(Text),
                    outbox_records_view.c.headers,
                    outbox_records_view.c.id,
                    outbox_records_view.c.key,
                ).order_by(outbox_records_view.c.seq.desc())
            )
        ).first()
    assert row is not None
    payload, headers, event_id, key = row
    size = len(payload.encode()) + sum(len(k) + len(v) for k, v in record_headers(headers, event_id, key))
    assert "\\u0001" in payload and size < bound
