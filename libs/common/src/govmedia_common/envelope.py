"""CloudEvents 1.0 in Kafka binary mode: the value is the JSON event data, attributes are ``ce_*`` headers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from govmedia_common.events.base import Event, event_class

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class EnvelopeError(ValueError):
    """A record that is not a valid CloudEvent of our catalogue (a poison message)."""


def rfc3339(at: datetime) -> str:
    """``at`` as the event data renders it (pydantic): UTC as ``Z``, another offset as ``+hh:mm``, so
    ``ce_time`` is the same text as the data's ``occurred_at``, not only the same instant."""
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass(frozen=True)
class Envelope:
    """CloudEvents attributes of one record plus its data."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    data: dict[str, Any]
    traceparent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers in binary content mode."""
        hs = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", rfc3339(self.time)),
            ("ce_subject", self.subject),
            ("content-type", CONTENT_TYPE),
        ]
        if self.traceparent:
            hs.append(("traceparent", self.traceparent))
        hs.extend(self.extra_headers.items())
        return [(k, v.encode()) for k, v in hs]

    def value(self) -> bytes:
        return orjson.dumps(self.data)

    def event(self) -> Event:
        """The typed catalogue event; raises EnvelopeError for unknown types or invalid data."""
        cls = event_class(self.type)
        if cls is None:
            raise EnvelopeError(f"unknown event type {self.type!r}")
        try:
            return cls.model_validate(self.data)
        except ValueError as exc:
            raise EnvelopeError(f"data does not match {self.type}: {exc}") from exc


def wrap(
    event: Event, *, traceparent: str | None = None, event_id: str | None = None, time: datetime | None = None
) -> Envelope:
    """Put a catalogue event into an envelope with a fresh id."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=event.source(),
        type=event.event_type,
        # ce_time is when the fact happened (business time) when the event says so.
        time=time or getattr(event, "occurred_at", None) or datetime.now(UTC),
        subject=event.aggregate_id,
        data=event.model_dump(mode="json"),
        traceparent=traceparent,
    )


# The headers our own producers write (anything else a record carries is kept as an extra header).
KNOWN_HEADERS = frozenset(
    {
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_specversion",
        "ce_time",
        "ce_subject",
        "content-type",
        "traceparent",
    }
)


def _new_envelope(**fields: Any) -> Envelope:
    """An :class:`Envelope` without the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per
    field): the consumer builds one per record, and this is a third of the cost of reading one."""
    env = object.__new__(Envelope)
    env.__dict__.update(fields)
    return env


def from_record(
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None
) -> Envelope:
    """Read a Kafka record written in binary mode; raises EnvelopeError when it is not one."""
    try:
        h: dict[str, str] = {k: v.decode() if v is not None else "" for k, v in headers or ()}
    except UnicodeDecodeError as exc:
        bad = next(k for k, v in headers if v is not None and not _is_utf8(v))
        raise EnvelopeError(f"header {bad!r} is not UTF-8") from exc
    ce_id, source, type_, spec = h.get("ce_id"), h.get("ce_source"), h.get("ce_type"), h.get("ce_specversion")
    if not (ce_id and source and type_ and spec):
        missing = [k for k in ("ce_id", "ce_source", "ce_type", "ce_specversion") if not h.get(k)]
        raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
    if spec != SPEC_VERSION:
        raise EnvelopeError(f"unsupported ce_specversion {spec!r}")
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"value is not JSON: {exc}") from exc
    if type(data) is not dict:
        raise EnvelopeError("value is not a JSON object")
    ce_time = h.get("ce_time")
    try:
        time = datetime.fromisoformat(ce_time) if ce_time else datetime.now(UTC)
    except ValueError as exc:
        raise EnvelopeError(f"ce_time is not RFC 3339: {ce_time!r}") from exc
    if time.tzinfo is None:  # RFC 3339 requires the offset; a naive time would break comparisons later
        raise EnvelopeError(f"ce_time is not RFC 3339 (no UTC offset): {ce_time!r}")
    return _new_envelope(
        id=ce_id,
        source=source,
        type=type_,
        time=time,
        subject=h.get("ce_subject", ""),
        data=data,
        traceparent=h.get("traceparent"),
        # Our own records carry no other header: skip the filtering then.
        extra_headers={}
        if KNOWN_HEADERS.issuperset(h)
        else {k: v for k, v in h.items() if k not in KNOWN_HEADERS},
    )


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
