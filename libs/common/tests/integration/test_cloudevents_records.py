"""What the outbox relay puts on the real broker is a CloudEvents 1.0 record in Kafka binary mode.

``ce_time`` is the business time of the fact (the event's ``occurred_at``, CloudEvents' "time of the
occurrence"); when the record was produced is the Kafka record timestamp (CreateTime, set on publishing).
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from govmedia_common.db import session_factory
from govmedia_common.envelope import from_record
from govmedia_common.events import Event, event_class
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.tracing import TraceContext, current_trace, parse_traceparent

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


async def test_relayed_records_carry_cloudevents_headers_the_aggregate_key_and_catalogue_valid_json(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("ce")
    sessions = session_factory(engine)
    written: list[Event] = [
        events.account_filed(),
        events.account_filed(),
        events.person_registered(),
        events.alert_raised(),
        events.region_settings_changed(),
    ]
    trace = TraceContext(secrets.token_hex(16), secrets.token_hex(8))
    token = current_trace.set(trace)
    try:
        async with sessions() as session, session.begin():
            envelopes = [await add_event(session, e) for e in written]
    finally:
        current_trace.reset(token)
    by_id = {env.id: (env, event) for env, event in zip(envelopes, written, strict=True)}

    relay = OutboxRelay(sessions, await kit.producer(), service="test", relay_id=f"ce-{uuid.uuid4().hex[:6]}")
    published_after_ms = int(time.time() * 1000)
    assert await relay.run_once() == len(written)
    assert await relay.run_once() == 0

    per_topic = Counter(type(e).topic for e in written)
    records = []
    for topic, count in per_topic.items():
        records += await kit.read_topic(
            topic, lambda r: dict(r.headers).get("ce_id", b"").decode() in by_id, expect=count
        )
    assert len(records) == len(written)

    seen_ids: dict[str, int] = defaultdict(int)
    for record in records:
        headers = {k: v.decode() for k, v in record.headers}
        _, event = by_id[headers["ce_id"]]
        cls = type(event)
        seen_ids[headers["ce_id"]] += 1
        assert record.topic == cls.topic
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == f"/govmedia/{cls.service}"
        assert headers["ce_type"] == cls.event_type
        assert event_class(headers["ce_type"]) is cls
        assert RFC3339.match(headers["ce_time"]), headers["ce_time"]
        assert datetime.fromisoformat(headers["ce_time"]) == event.occurred_at  # type: ignore[attr-defined]  # every catalogue event has it, not Event
        # ce_time is the business time (occurred_at); the production time is the record's CreateTime.
        assert record.timestamp_type == 0 and record.timestamp >= published_after_ms, record
        assert headers["ce_subject"] == event.aggregate_id
        assert headers["content-type"] == "application/json"
        assert TRACEPARENT.match(headers["traceparent"]), headers["traceparent"]
        parsed = parse_traceparent(headers["traceparent"])
        assert parsed is not None and parsed.trace_id == trace.trace_id  # the writer's trace carries on
        assert record.key == event.aggregate_id.encode()
        assert cls.model_validate_json(record.value) == event
        # and our own reader agrees with all of the above
        assert from_record(list(record.headers), record.value).event() == event
    assert sorted(seen_ids) == sorted(by_id) and set(seen_ids.values()) == {1}
    assert len({type(e).topic for e in written}) >= 3  # several topics and owners were covered
