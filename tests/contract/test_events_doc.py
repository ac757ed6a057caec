"""``docs/events.md`` shows integrators a sample Kafka record and says which time ``ce_time`` is: the sample
must be a record our own reader accepts, and ``ce_time`` must be what the code writes (``occurred_at``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govmedia_common.envelope import from_record, wrap
from govmedia_common.events import event_class

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _sample() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### A sample record", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert block, "docs/events.md has no JSON sample record under '### A sample record'"
    sample: dict[str, Any] = json.loads(block.group(1))
    return sample


def test_the_documented_sample_record_is_read_by_the_catalogue_as_documented() -> None:
    sample = _sample()
    headers = [(k, v.encode()) for k, v in sample["headers"].items()]
    envelope = from_record(headers, json.dumps(sample["value"]).encode())
    event = envelope.event()
    cls = event_class(envelope.type)
    assert cls is not None and isinstance(event, cls)
    assert sample["topic"] == cls.topic
    assert sample["key"] == sample["headers"]["ce_subject"] == event.aggregate_id
    # ce_time is the business time: the data's occurred_at, and what wrap() writes for this event
    assert envelope.time == event.occurred_at  # type: ignore[attr-defined]
    assert dict((k, v.decode()) for k, v in wrap(event).headers())["ce_time"] == sample["headers"]["ce_time"]
    # the record timestamp (production time) is later than the occurrence, as the doc explains
    produced = datetime.fromtimestamp(sample["timestamp"] / 1000, UTC)
    assert produced >= envelope.time and sample["timestamp_type"] == "CreateTime"


def test_the_doc_says_ce_time_is_the_business_time_and_where_the_production_time_is() -> None:
    text = DOC.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `ce_time`"))
    assert "occurred_at" in row and "produced" not in row
    assert "Kafka record timestamp" in text
    assert "## Loading the initial state" in text and "not compacted" in text
