"""The consumer's fast record reader gives exactly what ``from_record`` gives (the same envelope, the same
refusals) for every shape of record, and a batch's durations are counted as if observed one by one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry, Histogram

from govmedia_common.consumer_read import Item, observe_many, read_envelope, read_items
from govmedia_common.envelope import EnvelopeError, from_record, wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory

Headers = list[tuple[str, Any]]


def _record(headers: Headers | None, value: bytes | None, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=AccountFiled.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=tuple(headers) if headers is not None else (),
    )


def _edit(headers: Headers, name: str, value: Any = ..., *, drop: bool = False) -> Headers:
    out = [(k, v) for k, v in headers if k != name]
    return out if drop else [*out, (name, value)]


SHAPES: dict[str, Callable[[Headers, bytes], tuple[Headers | None, bytes | None]]] = {
    "as our producers write it": lambda h, v: (h, v),
    "with a traceparent": lambda h, v: (
        [*h, ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
        v,
    ),
    "with an empty traceparent": lambda h, v: ([*h, ("traceparent", b"")], v),
    "with a null traceparent": lambda h, v: ([*h, ("traceparent", None)], v),
    "with a header of another system": lambda h, v: ([*h, ("x-tenant", b"331004")], v),
    "without ce_time": lambda h, v: (_edit(h, "ce_time", drop=True), v),
    "without ce_subject": lambda h, v: (_edit(h, "ce_subject", drop=True), v),
    "with an empty ce_subject": lambda h, v: (_edit(h, "ce_subject", b""), v),
    "with ce_time in +08:00": lambda h, v: (_edit(h, "ce_time", b"2026-03-01T08:00:00+08:00"), v),
    "without ce_id": lambda h, v: (_edit(h, "ce_id", drop=True), v),
    "with an empty ce_id": lambda h, v: (_edit(h, "ce_id", b""), v),
    "with a null ce_source": lambda h, v: (_edit(h, "ce_source", None), v),
    "with another specversion": lambda h, v: (_edit(h, "ce_specversion", b"0.3"), v),
    "with a naive ce_time": lambda h, v: (_edit(h, "ce_time", b"2026-03-01T08:00:00"), v),
    "with a ce_time that is no time": lambda h, v: (_edit(h, "ce_time", b"yesterday"), v),
    "with a ce_type not in UTF-8": lambda h, v: (_edit(h, "ce_type", b"\xff\xfe"), v),
    "with a value that is no JSON": lambda h, v: (h, b"poison"),
    "with a JSON list as value": lambda h, v: (h, b"[1, 2]"),
    "without a value": lambda h, v: (h, None),
    "without headers": lambda h, v: (None, v),
    "with ce_id given twice": lambda h, v: ([*h, ("ce_id", b"second")], v),
    # Headers may come in any order (the relay sends them as stored; rows written before outbox_0006 had
    # them ordered by length, as JSONB keeps its keys).
    "in the relay's header order": lambda h, v: (sorted(h, key=lambda kv: (len(kv[0]), kv[0])), v),
    "without content-type": lambda h, v: (_edit(h, "content-type", drop=True), v),
    "without content-type, with a traceparent": lambda h, v: (
        [*_edit(h, "content-type", drop=True), ("traceparent", b"00-0af7651916cd43dd-b7ad6b71-01")],
        v,
    ),
    "with a null ce_subject": lambda h, v: (_edit(h, "ce_subject", None), v),
    "with a null content-type": lambda h, v: (_edit(h, "content-type", None), v),
    "without ce_specversion": lambda h, v: (_edit(h, "ce_specversion", drop=True), v),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_fast_reader_gives_what_from_record_gives_for_every_shape_of_record(
    shape: str, events: EventFactory
) -> None:
    env = wrap(events.account_filed(reason="新设账号"))
    headers, value = SHAPES[shape]([*env.headers()], env.value())
    record = _record(headers, value)
    try:
        expected = from_record(headers or (), value)
    except EnvelopeError as exc:
        with pytest.raises(EnvelopeError) as refused:
            read_envelope(record)
        assert str(refused.value) == str(exc)  # the same fault named the same way
        return
    got = read_envelope(record)
    if not any(k == "ce_time" for k, _ in headers or ()):  # both say "now": equal up to the clock's tick
        assert abs((got.time - expected.time).total_seconds()) < 5
        got = dataclasses.replace(got, time=expected.time)
    assert got == expected


def test_items_read_ahead_are_taken_and_a_record_that_cannot_be_read_stops_the_batch(
    events: EventFactory,
) -> None:
    async def handler(event: Any, ctx: Any, session: Any) -> None:
        return None

    handlers: dict[str, Any] = {AccountFiled.event_type: (AccountFiled, handler)}
    envs = [wrap(events.account_filed()) for _ in range(3)]
    records = [_record(env.headers(), env.value(), offset=i) for i, env in enumerate(envs)]
    early = Item(records[0], read_envelope(records[0]), None, None)
    ready = {id(records[0]): early}

    items = read_items(records, handlers, ready)

    assert isinstance(items, list)
    assert items[0] is early and not ready  # taken, not read again
    assert [i.ctx.offset for i in items] == [0, 1, 2]
    assert [i.env.id for i in items] == [e.id for e in envs]
    assert isinstance(items[1].event, AccountFiled) and items[1].handler is handler
    poison = _record(envs[0].headers(), orjson.dumps({"account_id": 5}), offset=3)
    assert read_items([*records, poison], handlers) is poison


def test_many_observations_at_once_equal_the_same_observations_one_by_one() -> None:
    registry = CollectorRegistry()
    hist = Histogram("h", "h", ["t"], buckets=(0.001, 0.01, 0.1, 1), registry=registry)
    one, many = hist.labels("one"), hist.labels("many")
    for value, count in [(0.0004, 3), (0.05, 7), (0.5, 1), (9.0, 2)]:
        for _ in range(count):
            one.observe(value)
        observe_many(many, value, count)

    samples = {
        (s.name, s.labels.get("le")): s.value
        for m in registry.collect()
        for s in m.samples
        if s.labels["t"] == "one"
    }
    for (name, le), value in samples.items():
        if name.endswith("_created"):
            continue
        got = registry.get_sample_value(name, {"t": "many", **({"le": le} if le else {})})
        assert got == pytest.approx(value), (name, le)


def test_tuning_the_collector_freezes_startup_objects_and_raises_the_young_threshold_once() -> None:
    import gc

    from govmedia_common import consumer_read

    before, was_tuned = gc.get_threshold(), consumer_read._tuned
    consumer_read._tuned = False
    try:
        consumer_read.tune_gc()
        frozen = gc.get_freeze_count()
        assert frozen > 0  # modules, classes, schemas: no longer walked by full collections
        assert gc.get_threshold() == (consumer_read.GC_GEN0_THRESHOLD, before[1], before[2])
        gc.set_threshold(*before)
        consumer_read.tune_gc()  # once per process: a second runner or app changes nothing
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        consumer_read._tuned = was_tuned


def test_events_validated_together_come_out_as_one_by_one_and_the_first_bad_record_is_named(
    events: EventFactory,
) -> None:
    from govmedia_common.events import AlertRaised

    async def handler(event: Any, ctx: Any, session: Any) -> None:
        return None

    handlers: dict[str, Any] = {
        AccountFiled.event_type: (AccountFiled, handler),
        AlertRaised.event_type: (AlertRaised, handler),
    }
    envs = [wrap(events.account_filed()), wrap(events.alert_raised()), wrap(events.account_filed())]
    records = [_record(env.headers(), env.value(), offset=i) for i, env in enumerate(envs)]

    items = read_items(records, handlers)

    assert isinstance(items, list)
    assert [type(i.event) for i in items] == [AccountFiled, AlertRaised, AccountFiled]
    assert [i.event for i in items] == [
        AccountFiled.model_validate(envs[0].data),
        AlertRaised.model_validate(envs[1].data),
        AccountFiled.model_validate(envs[2].data),
    ]
    bad_event = _record(envs[1].headers(), orjson.dumps({"alert_id": 5}), offset=3)
    bad_envelope = _record(envs[0].headers(), b"not json", offset=4)
    assert read_items([*records, bad_event, bad_envelope], handlers) is bad_event
    assert read_items([*records, bad_envelope, bad_event], handlers) is bad_envelope


@pytest.mark.parametrize(
    "shape", ["as our producers write it", "with a traceparent", "in the relay's header order"]
)
def test_records_as_our_producers_and_relays_write_them_never_take_the_general_reader(
    shape: str, events: EventFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_common import consumer_read

    env = wrap(events.account_filed())
    headers, value = SHAPES[shape]([*env.headers()], env.value())

    def general(*args: Any) -> Any:
        raise AssertionError("the general reader was used")

    monkeypatch.setattr(consumer_read, "from_record", general)
    got = read_envelope(_record(headers, value))
    assert (got.id, got.source, got.type, got.subject, got.data) == (
        env.id,
        env.source,
        env.type,
        env.subject,
        env.data,
    )


def test_the_young_generation_holds_two_full_polls_so_batches_are_freed_before_a_collection(
    events: EventFactory,
) -> None:
    """The runner handles one poll while it reads the next: both stay alive together. A young collection in
    the middle walks them again and again (and promotes them), so the threshold must hold both."""
    import gc

    from govmedia_common import consumer_read
    from govmedia_common.consumer import MAX_POLL_RECORDS

    async def handler(event: Any, ctx: Any, session: Any) -> None:
        return None

    handlers: dict[str, Any] = {AccountFiled.event_type: (AccountFiled, handler)}
    envs = [(env.headers(), env.value()) for env in (wrap(events.account_filed()) for _ in range(200))]
    gc.disable()
    try:
        before = gc.get_count()[0]
        records = [
            _record([(k, v) for k, v in headers], value, offset=i) for i, (headers, value) in enumerate(envs)
        ]
        items = read_items(records, handlers)
        assert isinstance(items, list)
        pairs = [(item.event, item.ctx) for item in items]
        per_record = (gc.get_count()[0] - before) / len(records)
    finally:
        gc.enable()
    assert len(pairs) == len(records)
    assert 2 * MAX_POLL_RECORDS * per_record <= consumer_read.GC_GEN0_THRESHOLD, per_record
