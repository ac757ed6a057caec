"""The envelope's ``ce_time`` is the same text as the event's ``occurred_at`` (docs/events.md says they are
equal), for the monitor's events built on a UTC clock as for any offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from govmedia_common.envelope import wrap
from govmedia_common.events import IngestChannel, Platform, PostObserved
from govmedia_common.hashing import content_hash


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 1, 6, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 6, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 12, 1, 14, 30, tzinfo=timezone(timedelta(hours=8))),
    ],
)
def test_post_observed_ce_time_is_the_text_of_occurred_at(at: datetime) -> None:
    event = PostObserved(
        occurred_at=at,
        account_id="0190f5c2-6c7e-7000-8000-000000000001",
        platform=Platform("wechat"),
        platform_post_id="p-1",
        url=None,
        title="t",
        text="x",
        text_truncated=False,
        content_hash=content_hash("t", "x"),
        published_at=at,
        observed_at=at,
        matched_post_id=None,
        ingest_channel=IngestChannel.INGEST_API,
    )
    headers = {k: v.decode() for k, v in wrap(event).headers()}
    assert headers["ce_time"] == event.model_dump(mode="json")["occurred_at"]
