"""Reading polled records for the consumer runner: envelope, typed event and context, cheaply, in bulk.

Kept apart from :mod:`govmedia_common.consumer` (which holds what is done with the items) so both files stay
small. Everything here is CPU work on the records of a poll; the runner does it for the NEXT poll while the
database works on the current one.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import orjson
from aiokafka import ConsumerRecord
from pydantic import TypeAdapter

from govmedia_common.envelope import SPEC_VERSION, Envelope, EnvelopeError, from_record
from govmedia_common.events.base import Event
from govmedia_common.handlers import Handler, MessageContext

Record: TypeAlias = ConsumerRecord[bytes, bytes]

_SPEC = SPEC_VERSION.encode()
_new = object.__new__
_set_dict = object.__setattr__  # a frozen dataclass's whole __dict__ at once, past its __setattr__
_fromisoformat = datetime.fromisoformat
_loads = orjson.loads


class Item:
    """A parsed record on its way to a handler."""

    __slots__ = ("ctx", "env", "event", "handler", "record")

    def __init__(self, record: Record, env: Envelope, event: Event | None, handler: Handler | None) -> None:
        self.record = record
        self.env = env
        self.event = event
        self.handler = handler
        # Not through the frozen dataclass __init__ (one object.__setattr__ per field): one per record.
        ctx = self.ctx = _new(MessageContext)
        _set_dict(
            ctx,
            "__dict__",
            {"envelope": env, "topic": record.topic, "partition": record.partition, "offset": record.offset},
        )


def read_envelope(record: Record) -> Envelope:
    """The record's CloudEvent, as :func:`govmedia_common.envelope.from_record` reads it (same result, same
    errors), about twice as fast for the records our producers and relays write (in any header order):
    headers are decoded only where an attribute needs them. Anything unusual (other headers, a missing or
    empty attribute, a bad time, a value that is not a JSON object) goes to ``from_record``, which decides
    and names the fault."""
    headers = record.headers
    try:
        h: dict[str, Any] = dict(headers)
        traceparent = h.get("traceparent")
        # Exactly the six attributes, and content-type and traceparent when present: no other header
        # (a missing attribute raises KeyError below, a None value AttributeError).
        if h["ce_specversion"] != _SPEC or len(h) != 6 + ("content-type" in h) + (traceparent is not None):
            raise LookupError
        ce_id = h["ce_id"].decode()
        source = h["ce_source"].decode()
        type_ = h["ce_type"].decode()
        time = _fromisoformat(h["ce_time"].decode())
        subject = h["ce_subject"]
        data = _loads(record.value)
        if not (ce_id and source and type_) or time.tzinfo is None or type(data) is not dict:
            raise LookupError
    except Exception:  # let the general reader decide (and name the fault when there is one)
        return from_record(headers or (), record.value)
    env: Envelope = _new(Envelope)
    _set_dict(
        env,
        "__dict__",
        {
            "id": ce_id,
            "source": source,
            "type": type_,
            "time": time,
            "subject": subject.decode() if subject else "",
            "data": data,
            "traceparent": None if traceparent is None else traceparent.decode(),
            "extra_headers": {},
        },
    )
    return env


def read_item(record: Record, handlers: Mapping[str, tuple[type[Event], Handler]]) -> Item:
    """Envelope + typed event (None when no handler here takes its type); raises EnvelopeError/ValueError."""
    env = read_envelope(record)
    entry = handlers.get(env.type)
    if entry is None:
        return Item(record, env, None, None)
    # The model's validator itself: what model_validate calls, without its Python frame (one per record).
    return Item(record, env, entry[0].__pydantic_validator__.validate_python(env.data), entry[1])


def read_items(
    records: Sequence[Record],
    handlers: Mapping[str, tuple[type[Event], Handler]],
    ready: dict[int, Item] | None = None,
) -> list[Item] | Record:
    """Items for ``records``, taking those read in advance from ``ready`` (by ``id`` of the record); returns
    the first record that cannot be read instead.

    The events of one type are validated together, in one call of a list validator (per-record calls cost
    a Python frame each); when anything fails, the records are read one by one to find the first culprit.
    """
    try:
        return _read_items_together(records, handlers, ready)
    except (EnvelopeError, ValueError):
        pass
    for record in records:
        try:
            read_item(record, handlers)
        except (EnvelopeError, ValueError):
            return record
    return [read_item(record, handlers) for record in records]  # pragma: no cover - a list refusing no item


def _read_items_together(
    records: Sequence[Record],
    handlers: Mapping[str, tuple[type[Event], Handler]],
    ready: dict[int, Item] | None,
) -> list[Item]:
    items: list[Item] = []
    append = items.append
    take = ready.pop if ready else None
    typed: dict[type[Event], list[Item]] = {}
    for record in records:
        if take is not None:
            item = take(id(record), None)
            if item is not None:
                append(item)
                continue
        env = read_envelope(record)
        entry = handlers.get(env.type)
        if entry is None:
            append(Item(record, env, None, None))
            continue
        item = Item(record, env, None, entry[1])
        append(item)
        typed.setdefault(entry[0], []).append(item)
    for cls, group in typed.items():
        events = _list_validator(cls)([item.env.data for item in group])
        for item, event in zip(group, events, strict=True):
            item.event = event
    return items


_LIST_VALIDATORS: dict[type[Event], Callable[[Any], list[Event]]] = {}


def _list_validator(cls: type[Event]) -> Callable[[Any], list[Event]]:
    validate = _LIST_VALIDATORS.get(cls)
    if validate is None:
        validate = _LIST_VALIDATORS[cls] = TypeAdapter(list[cls]).validate_python  # type: ignore[valid-type]
    return validate


def read_ahead(
    records: Sequence[Record], handlers: Mapping[str, tuple[type[Event], Handler]], ready: dict[int, Item]
) -> None:
    """Read ``records`` into ``ready`` (validated together, as :func:`read_items` does); a record that cannot
    be read is left out (read again, and refused, when its batch is handled)."""
    try:
        items = _read_items_together(records, handlers, None)
    except (EnvelopeError, ValueError):
        for record in records:
            try:
                ready[id(record)] = read_item(record, handlers)
            except (EnvelopeError, ValueError):
                continue
        return
    for item in items:
        ready[id(item.record)] = item


def observe_many(histogram: Any, value: float, count: int) -> None:
    """``count`` observations of ``value`` on a prometheus histogram child, in O(buckets) not O(count)."""
    try:
        bounds, buckets, total = histogram._upper_bounds, histogram._buckets, histogram._sum
    except AttributeError:  # another client version: the plain way
        for _ in range(count):
            histogram.observe(value)
        return
    total.inc(value * count)
    for bound, bucket in zip(bounds, buckets, strict=False):
        if value <= bound:
            bucket.inc(count)
            break


# Young objects the cyclic collector lets pile up before it runs (CPython's default is 700). A polled batch
# keeps some 20-27 container objects per record alive (record, its header tuples, envelope, data, event,
# context, item, each with its dict): at 700 the collector runs every few dozen records, walks the live batch
# again and again and promotes it to the older generations, whose full collections then walk it once more.
# 300,000 is above what two polls of 5,000 records keep alive (the one handled and the one read ahead), so a
# batch is mostly freed by reference counting before a collection comes. At 100,000 a bench_bus run of
# 50,000 messages still had 6 young collections of ~25 ms each (~3 µs per message); at 300,000 none.
GC_GEN0_THRESHOLD = 300_000
_tuned = False


def tune_gc(gen0_threshold: int = GC_GEN0_THRESHOLD) -> None:
    """Once per process, at service startup: collect, :func:`gc.freeze` what exists (modules, the app,
    pools, schemas: full collections then walk only newer objects) and raise the young generation's
    threshold. In ``bench/bench_bus.py`` this took the consumer from about 21 to 15 µs of CPU per message.
    Objects freed later are still freed by reference counting; cycles are still collected, less often."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0_threshold, 1), gen1, gen2)
