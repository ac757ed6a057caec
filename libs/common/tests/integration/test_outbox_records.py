"""An outbox row holds its Kafka record as the relay sends it: what was measured is what goes out.

``payload`` and ``headers`` are PostgreSQL ``json`` (the text as written): the value on the bus is the
event's JSON exactly as :func:`add_event` encoded and measured it, and the headers go out in the envelope's
order. A statement that builds its rows in SQL stores one constant header template per statement; the
headers equal to the row's own columns (``ce_id`` = ``id``, ``ce_subject`` = ``aggregateid``) are stored
empty and filled in by the relay, so the record is the one ``add_event`` would have written.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import orjson
import pytest
from sqlalchemy import text

from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events.outbox import check_sql_outbox, sql_headers, sql_outbox_cte, sql_outbox_summary
from govmedia_common.outbox import OutboxRelay, add_event, event_size, record_headers

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


async def test_an_outbox_row_holds_the_record_add_event_measured_and_the_relay_sends_it_byte_for_byte(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obrec")
    sessions = session_factory(engine)
    event = events.person_registered()  # Chinese text: stored as UTF-8, not as \\u escapes
    async with sessions() as session, session.begin():
        env = await add_event(session, event)
    async with engine.connect() as conn:
        payload, headers = (
            await conn.execute(
                text("SELECT payload::text, headers::text FROM outbox WHERE id = :i"), {"i": env.id}
            )
        ).one()
    assert payload.encode() == env.value(), "the stored text is the value add_event measured"
    assert [(k, v.encode()) for k, v in orjson.loads(headers).items()] == env.headers()

    relay = OutboxRelay(
        sessions, await kit.producer(), service="test", relay_id=f"rec-{uuid.uuid4().hex[:6]}"
    )
    assert await relay.run_once() == 1
    (record,) = await kit.read_topic(
        type(event).topic, lambda r: dict(r.headers).get("ce_id") == env.id.encode(), expect=1
    )
    assert record.value == env.value()
    assert list(record.headers) == env.headers(), "the envelope's headers, in its order"
    assert event_size(env) == len(record.value) + sum(len(k.encode()) + len(v) for k, v in record.headers)


async def test_a_sql_built_row_with_its_id_and_subject_left_to_its_columns_goes_out_as_add_events_would(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("obsql")
    sessions = session_factory(engine)
    event = events.alert_raised()
    template = sql_headers(event)
    assert template["ce_id"] == template["ce_subject"] == "", "filled in from the row's id and aggregateid"
    event_id = str(uuid.uuid4())
    statement = text(
        f"""
        WITH src AS (
            SELECT CAST(:id AS text) AS id, CAST(:aggregatetype AS text) AS aggregatetype,
                   CAST(:aggregateid AS text) AS aggregateid, CAST(:type AS text) AS type,
                   CAST(:topic AS text) AS topic, CAST(:payload AS json) AS payload,
                   CAST(:headers AS json) AS headers
        ), {sql_outbox_cte("src")}
        SELECT {sql_outbox_summary()}
        """
    )
    expected = wrap(event, event_id=event_id, traceparent=template.get("traceparent"))
    async with sessions() as session, session.begin():
        summary = (
            await session.execute(
                statement,
                {
                    "id": event_id,
                    "aggregatetype": event.aggregate_type,
                    "aggregateid": event.aggregate_id,
                    "type": event.event_type,
                    "topic": event.topic,
                    "payload": expected.value().decode(),
                    "headers": orjson.dumps(template).decode(),
                },
            )
        ).one()
        assert check_sql_outbox(summary) == 1
    # the guard, reading the stored headers back, measured the record the relay sends
    assert summary.largest_event == event_size(expected)
    stored = dict(template)
    assert record_headers(stored, event_id, event.aggregate_id) == expected.headers()

    relay = OutboxRelay(
        sessions, await kit.producer(), service="test", relay_id=f"sql-{uuid.uuid4().hex[:6]}"
    )
    assert await relay.run_once() == 1
    (record,) = await kit.read_topic(
        event.topic, lambda r: dict(r.headers).get("ce_id") == event_id.encode(), expect=1
    )
    assert list(record.headers) == expected.headers()
    assert record.value == expected.value() and record.key == event.aggregate_id.encode()


async def test_an_event_of_two_kilobytes_is_stored_as_written_not_compressed(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """PostgreSQL compresses a row's longest value once the row passes its toast_tuple_target (2 kB by
    default): an event of that size, such as scoring's ScoresComputed, was compressed on each insert and
    decompressed by each relay read. The outbox keeps rows up to a page as written."""
    engine = await kit.database("obraw")
    sessions = session_factory(engine)
    event = events.alert_raised().model_copy(update={"detail": {"evidence": "政务新媒体" * 150}})
    async with sessions() as session, session.begin():
        env = await add_event(session, event)
    assert 2_000 < len(env.value()) < 8_000
    async with engine.connect() as conn:
        compression = (
            await conn.execute(
                text("SELECT pg_column_compression(payload) FROM outbox WHERE id = :i"), {"i": env.id}
            )
        ).scalar_one()
    assert compression is None, f"the payload was stored compressed ({compression})"
