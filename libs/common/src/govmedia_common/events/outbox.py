"""The one helper that writes what domain objects recorded to the transactional outbox, and its set-based
variants for bulk paths, all under the same event-size guard as :func:`govmedia_common.outbox.add_event`.

* :func:`write_recorded` — what domain objects recorded, one :func:`add_event` each;
* :func:`write_events` — many events in one ``INSERT``, each wrapped and size-checked like ``add_event``
  (:func:`outbox_rows` gives its rows to a statement that writes them with the change itself);
* :func:`write_records` — many events of one type and instant, several to an outbox row;
* :func:`sql_outbox_cte` / :func:`check_sql_outbox` — for a statement that builds its events in SQL from
  the rows it changes (sweeps, bulk ingest): the outbox rows are inserted by the statement, which also
  returns the size of its largest record, exactly as the relay will send it (``payload::text`` and the
  headers). :func:`check_sql_outbox` refuses the change (``EventTooLarge``, 413) when it exceeds the limit;
  the exception rolls back the caller's transaction, so nothing of it is written — the same outcome as
  ``add_event`` refusing before the insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.db import RecordJson, outbox_table
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events.base import Event
from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.ids import time_ordered_prefix
from govmedia_common.outbox import (
    ROW_HEADERS,
    EventTooLarge,
    add_event,
    event_size,
    max_event_bytes,
    outbox_row,
)
from govmedia_common.tracing import current_traceparent


async def write_recorded(session: AsyncSession, *sources: RecordsEvents) -> int:
    """Write every event the objects recorded, in order, in the caller's transaction; returns how many."""
    written = 0
    for source in sources:
        for event in source.pull_events():
            await add_event(session, event)
            written += 1
    return written


def too_large(event_type: str, size: int, limit: int) -> EventTooLarge:
    """The refusal :func:`add_event` raises for a record of ``size`` bytes over ``limit``."""
    return EventTooLarge(
        f"The {event_type} event of this change would be {size:,} bytes, more than the "
        f"{limit:,} the event bus accepts; shorten the longest text fields.",
        event_type=event_type,
        size=size,
        limit=limit,
    )


async def write_events(
    session: AsyncSession, events: Sequence[Event], *, max_bytes: int | None = None
) -> list[Envelope]:
    """Set-based :func:`add_event`: the events, in order, in one ``INSERT`` (caller's transaction).

    Every event is checked before anything is written; one too large refuses them all (``EventTooLarge``).
    """
    if not events:
        return []
    envelopes, rows = outbox_rows(events, max_bytes=max_bytes)
    await session.execute(outbox_table.insert(), rows)
    return envelopes


def outbox_rows(
    events: Sequence[Event], *, max_bytes: int | None = None
) -> tuple[list[Envelope], list[dict[str, Any]]]:
    """The envelopes and outbox rows of ``events``, in order, exactly as :func:`write_events` writes them,
    for a statement that writes them together with the change they announce. Every event is size-checked
    first: one too large raises ``EventTooLarge`` before anything is written."""
    limit = max_bytes if max_bytes is not None else max_event_bytes()
    traceparent = current_traceparent()
    envelopes: list[Envelope] = []
    rows: list[dict[str, Any]] = []
    for event in events:
        env = wrap(event, traceparent=traceparent)
        size = event_size(env)
        if size > limit:
            raise too_large(env.type, size, limit)
        envelopes.append(env)
        rows.append(outbox_row(event, env))
    return envelopes, rows


def sql_headers(event: Event) -> dict[str, str]:
    """The headers :func:`add_event` writes for ``event`` (a real envelope's), in their order, as a constant
    template for the rows a statement builds in SQL: ``ce_id`` and ``ce_subject`` are left empty, and the
    relay takes them from each row's ``id`` and ``aggregateid`` (:func:`govmedia_common.outbox.row_headers`),
    so every row of a statement stores the same headers. A row whose ``ce_time`` differs from the template's
    sets its own."""
    headers = {k: v.decode() for k, v in wrap(event, traceparent=current_traceparent()).headers()}
    return headers | dict.fromkeys(ROW_HEADERS, "")


# The size of a row's header names and values as the relay sends them, read from its stored headers (an
# empty ce_id/ce_subject is the row's id/aggregateid): exact for any row.
_HEADER_BYTES = (
    "(SELECT COALESCE(sum(octet_length(k) + CASE WHEN v <> '' THEN octet_length(v) "
    + " ".join(f"WHEN k = '{k}' THEN octet_length({column})" for k, column in ROW_HEADERS.items())
    + " ELSE 0 END), 0) FROM json_each_text(headers) AS h(k, v))"
)

# ``header_bytes`` for :func:`sql_outbox_cte` when every row's headers are a template's (:func:`sql_headers`):
# the statement's parameter ``:header_bytes`` is :func:`template_header_bytes` of that template, and each
# row adds its ``id`` and ``aggregateid`` (its ce_id and ce_subject). The same bytes as reading each row's
# headers back (a set-returning function per row), for a sum of two lengths.
SQL_TEMPLATE_HEADER_BYTES = "CAST(:header_bytes AS integer) + " + " + ".join(
    f"octet_length({column})" for column in ROW_HEADERS.values()
)


def template_header_bytes(template: dict[str, str]) -> int:
    """The bytes of ``template``'s header names and values but the values of ``ce_id`` and ``ce_subject``
    (each row's own): the ``:header_bytes`` parameter of :data:`SQL_TEMPLATE_HEADER_BYTES`."""
    return sum(len(k.encode()) + (0 if k in ROW_HEADERS else len(v.encode())) for k, v in template.items())


def sql_outbox_cte(
    source: str, name: str = "ob", *, header_bytes: str | None = None, measured: bool = True
) -> str:
    """A data-modifying CTE ``name AS (INSERT INTO outbox …)`` writing one outbox row per row of ``source``.

    ``source`` (a CTE or subquery name) has the outbox's columns ``id, aggregatetype, aggregateid, type,
    topic, payload, headers`` (payload and headers ``json``, the record's text: ``json_build_object``,
    ``row_to_json``; ``headers`` usually :func:`sql_headers`, one constant per statement). The CTE returns
    each record's type and size
    (``payload::text`` as the relay sends it, plus the header names and values); select
    :func:`sql_outbox_summary` from it and pass the row to :func:`check_sql_outbox`. ``header_bytes``, an
    SQL expression over the inserted row, replaces reading the headers back when the caller knows their
    size (:data:`SQL_TEMPLATE_HEADER_BYTES`). ``measured=False`` leaves the rows unmeasured (size 0): only
    for a caller that has shown every record it can write here is within the limit.
    """
    size = f"octet_length(payload::text) + {header_bytes or _HEADER_BYTES}" if measured else "0"
    return f"""{name} AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers)
    SELECT s.id, s.aggregatetype, s.aggregateid, s.type, s.topic, s.payload, s.headers FROM {source} s
    RETURNING type, {size} AS size
)"""


def sql_outbox_summary(name: str = "ob") -> str:
    """Select-list items over :func:`sql_outbox_cte`: ``events``, ``largest_event``, ``largest_type``."""
    return (
        f"(SELECT count(*) FROM {name}) AS events, "
        f"(SELECT max(size) FROM {name}) AS largest_event, "
        f"(SELECT type FROM {name} ORDER BY size DESC LIMIT 1) AS largest_type"
    )


def check_sql_outbox(row: Any, *, max_bytes: int | None = None) -> int:
    """The number of events a statement with :func:`sql_outbox_cte` wrote; ``EventTooLarge`` when one of
    them is over the limit (the caller's transaction then rolls back: nothing of the change is kept)."""
    limit = max_bytes if max_bytes is not None else max_event_bytes()
    largest = int(row.largest_event or 0)
    if largest > limit:
        raise too_large(str(row.largest_type), largest, limit)
    return int(row.events or 0)


# Records a bulk statement puts in one outbox row: about 6 kB of payload for a MetricsObserved of UUID ids,
# under the row size above which PostgreSQL would compress it (OUTBOX_TOAST_TUPLE_TARGET).
RECORDS_PER_ROW = 16


def sql_outbox_records_cte(
    source: str, name: str = "ob", *, per_row: int = RECORDS_PER_ROW, measured: bool = True
) -> str:
    """Data-modifying CTEs writing the rows of ``source`` as records of one type and topic, ``per_row`` to
    an outbox row (``records``, ``keys``; the relay sends each record as its own Kafka record).

    For a statement announcing many changes of one kind, where one outbox row per event would cost more
    than the change itself. ``source`` has ``n`` (1, 2, …: the records' order), ``key`` (text: the Kafka
    key, ``ce_subject`` and the aggregate whose order is kept) and ``payload`` (``json``: the record's
    value). The statement binds ``:id_prefix`` (:func:`govmedia_common.ids.time_ordered_prefix`; record
    ``n``'s id is the prefix and ``n`` in twelve hex digits, a row's id its first record's),
    ``:aggregatetype``, ``:type``, ``:topic``, ``:headers`` (:func:`sql_headers`, one template) and
    ``:header_bytes`` (:func:`template_header_bytes`). Select :func:`sql_outbox_records_summary` and pass the
    row to :func:`check_sql_outbox`: each record is measured as the relay will send it (``measured=False``
    only for a caller that has shown every record is within the limit).
    """
    record_id = "CAST(:id_prefix AS text) || lpad(to_hex({}), 12, '0')"
    size = (
        "octet_length(s.payload::text) + CAST(:header_bytes AS integer) + 36 + octet_length(s.key)"
        if measured
        else "0"
    )
    return f"""{name}_records AS (
    SELECT (s.n - 1) / {per_row} AS part, s.n, s.key, {size} AS size,
           json_build_array({record_id.format("s.n")}, s.key, s.payload) AS record
    FROM {source} s
), {name} AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, records, keys)
    SELECT {record_id.format("g.first")}, CAST(:aggregatetype AS text), g.keys[1], CAST(:type AS text),
           CAST(:topic AS text), g.payload, CAST(:headers AS json), g.records, g.keys
    FROM (
        SELECT r.part, min(r.n) AS first, json_agg(r.record ORDER BY r.n) AS payload, count(*) AS records,
               array_agg(r.key ORDER BY r.n) AS keys
        FROM {name}_records r GROUP BY r.part
    ) g ORDER BY g.part
    RETURNING records
)"""


def sql_outbox_records_summary(name: str = "ob") -> str:
    """Select-list items over :func:`sql_outbox_records_cte`, as :func:`sql_outbox_summary`'s."""
    return (
        f"(SELECT COALESCE(sum(records), 0) FROM {name}) AS events, "
        f"(SELECT max(size) FROM {name}_records) AS largest_event, CAST(:type AS text) AS largest_type"
    )


_RECORDS_SOURCE = """
    WITH src AS (
        SELECT s.n, s.key, CAST(s.payload AS json) AS payload
        FROM unnest(CAST(:keys AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY AS s(key, payload, n)
    ), {cte}
    SELECT {summary}
"""


async def write_records(
    session: AsyncSession,
    events: Sequence[Event],
    *,
    per_row: int = RECORDS_PER_ROW,
    max_bytes: int | None = None,
) -> list[Envelope]:
    """:func:`write_events`, several to an outbox row (:func:`sql_outbox_records_cte`): for many events of one
    type, topic and instant built in Python (one header template serves them all). Each is measured as the
    relay will send it; one over the limit refuses them all (``EventTooLarge``, nothing written). Returns
    their envelopes, as :func:`add_event` would have made them, with the ids written."""
    if not events:
        return []
    first = events[0]
    template = sql_headers(first)
    prefix = time_ordered_prefix()
    envelopes = [
        wrap(e, event_id=f"{prefix}{n:012x}", traceparent=template.get("traceparent"))
        for n, e in enumerate(events, start=1)
    ]
    if len({(env.type, e.topic, env.time) for env, e in zip(envelopes, events, strict=True)}) > 1:
        raise ValueError("write_records takes events of one type, topic and time: one header template")
    statement = text(
        _RECORDS_SOURCE.format(
            cte=sql_outbox_records_cte("src", per_row=per_row), summary=sql_outbox_records_summary()
        )
    ).bindparams(bindparam("headers", type_=RecordJson))
    summary = await session.execute(
        statement,
        {
            "keys": [env.subject for env in envelopes],
            "payloads": [env.value().decode() for env in envelopes],
            "id_prefix": prefix,
            "aggregatetype": first.aggregate_type,
            "type": first.event_type,
            "topic": first.topic,
            "headers": template,
            "header_bytes": template_header_bytes(template),
        },
    )
    check_sql_outbox(summary.one(), max_bytes=max_bytes)
    return envelopes
