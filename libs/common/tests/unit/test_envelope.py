"""The CloudEvents envelope (Kafka binary mode): a round trip keeps everything, bad records are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import orjson
import pytest

from govmedia_common.envelope import EnvelopeError, from_record, wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory

Headers = list[tuple[str, bytes]]


def _without(headers: Headers, name: str) -> Headers:
    return [(k, v) for k, v in headers if k != name]


def _replaced(headers: Headers, name: str, value: bytes) -> Headers:
    return [*_without(headers, name), (name, value)]


def test_round_trip_keeps_every_attribute_the_data_and_the_typed_event(events: EventFactory) -> None:
    event = events.account_filed(reason="新设账号")
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    env = wrap(event, traceparent=traceparent, event_id="evt-1")
    env_headers = [*env.headers(), ("x-tenant", b"331004")]

    back = from_record(env_headers, env.value())

    assert back.id == "evt-1"
    assert back.source == "/govmedia/registry"
    assert back.type == AccountFiled.event_type
    assert back.time == event.occurred_at == env.time
    assert back.subject == event.account_id
    assert back.data == event.model_dump(mode="json")
    assert back.traceparent == traceparent
    assert back.extra_headers == {"x-tenant": "331004"}
    assert back.event() == event


def test_headers_are_binary_mode_cloudevents_with_json_content_type(events: EventFactory) -> None:
    env = wrap(events.account_filed())
    names = [k for k, _ in env.headers()]
    assert names[:7] == [
        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type",
    ]  # fmt: skip
    assert dict(env.headers())["ce_specversion"] == b"1.0"
    assert dict(env.headers())["content-type"] == b"application/json"
    assert "traceparent" not in names  # only when there is one
    assert orjson.loads(env.value()) == env.data


def test_each_wrap_gets_a_fresh_id_and_an_explicit_time_wins(events: EventFactory) -> None:
    event = events.account_filed()
    at = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert wrap(event).id != wrap(event).id
    assert wrap(event, time=at).time == at


@pytest.mark.parametrize("header", ["ce_id", "ce_source", "ce_type", "ce_specversion"])
def test_a_record_missing_a_required_header_is_refused(events: EventFactory, header: str) -> None:
    env = wrap(events.account_filed())
    with pytest.raises(EnvelopeError, match=f"missing CloudEvents headers: {header}"):
        from_record(_without(env.headers(), header), env.value())


def test_a_record_without_any_headers_is_refused(events: EventFactory) -> None:
    with pytest.raises(EnvelopeError, match="missing CloudEvents headers"):
        from_record([], wrap(events.account_filed()).value())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\x00not json", "not JSON"),
        (b"", "not JSON"),
        (None, "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
    ],
)
def test_a_value_that_is_not_a_json_object_is_refused(
    events: EventFactory, value: bytes | None, message: str
) -> None:
    with pytest.raises(EnvelopeError, match=message):
        from_record(wrap(events.account_filed()).headers(), value)


def test_another_spec_version_is_refused(events: EventFactory) -> None:
    env = wrap(events.account_filed())
    with pytest.raises(EnvelopeError, match="unsupported ce_specversion"):
        from_record(_replaced(env.headers(), "ce_specversion", b"0.3"), env.value())


def test_a_header_that_is_not_utf8_is_refused(events: EventFactory) -> None:
    env = wrap(events.account_filed())
    with pytest.raises(EnvelopeError, match="not UTF-8"):
        from_record(_replaced(env.headers(), "ce_subject", b"\xff\xfe"), env.value())


@pytest.mark.parametrize(
    "ce_time", [b"yesterday", b"2025-13-01T00:00:00Z", b"2025-06-01T08:00:00", b"2025-06-01"]
)
def test_a_ce_time_that_is_not_rfc3339_with_an_offset_is_refused(
    events: EventFactory, ce_time: bytes
) -> None:
    env = wrap(events.account_filed())
    with pytest.raises(EnvelopeError, match="RFC 3339"):
        from_record(_replaced(env.headers(), "ce_time", ce_time), env.value())


@pytest.mark.parametrize("ce_time", [b"2025-06-01T08:00:00Z", b"2025-06-01T16:00:00.5+08:00"])
def test_rfc3339_times_in_utc_or_with_an_offset_are_read(events: EventFactory, ce_time: bytes) -> None:
    env = wrap(events.account_filed())
    back = from_record(_replaced(env.headers(), "ce_time", ce_time), env.value())
    assert back.time.utcoffset() is not None
    assert back.time.astimezone(UTC).replace(microsecond=0) == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert back.time.tzinfo in (UTC, timezone(timedelta(hours=8)))


def test_an_unknown_event_type_is_readable_but_has_no_typed_event(events: EventFactory) -> None:
    env = wrap(events.account_filed())
    back = from_record(_replaced(env.headers(), "ce_type", b"gov.registry.account.filed.v9"), env.value())
    with pytest.raises(EnvelopeError, match="unknown event type"):
        back.event()


def test_data_that_does_not_match_its_type_has_no_typed_event(events: EventFactory) -> None:
    env = wrap(events.account_filed())
    data = dict(env.data, account_id="not-a-uuid")
    back = from_record(env.headers(), orjson.dumps(data))
    with pytest.raises(EnvelopeError, match="does not match"):
        back.event()
