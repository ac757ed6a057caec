"""Metric ingest passes its snapshots as one array of `metric_snapshots` rows, in the table's order."""

from __future__ import annotations

from datetime import UTC, datetime

from govmedia_common.events import IngestChannel
from govmedia_monitor import schemas as s
from govmedia_monitor.models import MetricSnapshot
from govmedia_monitor.observations.metrics import snapshot_rows


def test_snapshot_rows_hold_every_column_of_the_table_in_its_order() -> None:
    """The statement casts the tuples to the table's row type: a column added, dropped or moved in the
    table must be matched here, or values would land in the wrong column."""
    at = datetime(2025, 10, 1, 8, tzinfo=UTC)
    item = s.MetricSnapshotIn(
        account_id="3f1c9a4e-0000-4000-8000-000000000001",
        platform_post_id="wx-1",
        taken_at=at,
        reads=1,
        watching=2,
        likes=3,
        shares=4,
        comments=5,
        followers=6,
    )
    expected = {
        "account_id": item.account_id,
        "post_key": "wx-1",
        "taken_at": at,
        "reads": 1,
        "watching": 2,
        "likes": 3,
        "shares": 4,
        "comments": 5,
        "followers": 6,
        "ingest_channel": "file_import",
    }
    columns = [c.name for c in MetricSnapshot.__table__.columns]
    assert columns == list(expected)
    (row,) = snapshot_rows([item], IngestChannel.FILE_IMPORT)
    assert row == tuple(expected.values())
    (account_row,) = snapshot_rows(
        [item.model_copy(update={"platform_post_id": None})], IngestChannel.FILE_IMPORT
    )
    assert account_row[1] == "", "a snapshot of the account itself has the empty post key"
