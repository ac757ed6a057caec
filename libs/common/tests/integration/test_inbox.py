"""The inbox statements on the real PostgreSQL: a batch's rows are recorded column for column (by the one
INSERT, or by COPY for a large batch), the rows handled before are named, and any text an id may hold (the
separator the columns travel with, commas, quotes, backslashes, tabs, non-ASCII) is kept exactly. A large
batch redelivered in part reaches its handler without the events handled before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext, batch
from govmedia_common.db import session_factory
from govmedia_common.envelope import Envelope, wrap
from govmedia_common.events import AccountFiled
from govmedia_common.inbox import INBOX_COPY_FROM, claim_in_inbox, copy_into_inbox, record_in_inbox

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

ODD_IDS = ["a,b", 'q"uote', "back\\slash", "{brace}", "NULL", "空格 id", " ", "tab\tid", "'"]


@pytest.mark.parametrize(
    "ids",
    [["e1", "e2", "e3"], ODD_IDS, [*ODD_IDS, "unit\x1fseparator"]],
    ids=["plain ids", "ids of any text", "an id holding the separator"],
)
async def test_a_batch_is_recorded_column_for_column_and_a_repeat_names_only_the_new_rows(
    kit: PlumbingKit, ids: list[str]
) -> None:
    engine = await kit.database("inbox")
    sessions = session_factory(engine)
    n = len(ids)
    sources = ["/govmedia/registry"] * n
    rows = list(
        zip(sources, ids, ["t.v1"] * n, ["gov.topic"] * n, range(n), range(100, 100 + n), strict=True)
    )
    async with sessions() as session, session.begin():
        assert await claim_in_inbox(session, *[list(c) for c in zip(*rows, strict=True)]) is None  # all new

    async with engine.connect() as conn:
        stored = set(
            await conn.execute(text('SELECT source, event_id, type, topic, partition, "offset" FROM inbox'))
        )
    assert stored == {tuple(r) for r in rows}

    later = [("/govmedia/registry", "later", "t.v1", "gov.topic", 0, 999)]
    async with sessions() as session, session.begin():
        new = await record_in_inbox(session, [*rows[:2], *later, *rows[2:]])
    assert new == {("/govmedia/registry", "later")}
    async with sessions() as session, session.begin():
        assert await record_in_inbox(session, rows) == set()  # all handled before


async def test_the_same_id_from_two_sources_is_two_events(kit: PlumbingKit) -> None:
    engine = await kit.database("inbox_sources")
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        first = await record_in_inbox(session, [("/govmedia/a", "same", "t", "x", 0, 1)])
    async with sessions() as session, session.begin():
        second = await record_in_inbox(session, [("/govmedia/b", "same", "t", "x", 0, 2)])
    assert first == {("/govmedia/a", "same")} and second == {("/govmedia/b", "same")}


async def test_a_batch_copied_into_the_inbox_is_recorded_exactly_and_a_repeat_is_refused_as_a_whole(
    kit: PlumbingKit,
) -> None:
    """The COPY path (large batches): every row lands column for column; a batch holding an event handled
    before is refused (False) with nothing of it written, so the caller can claim it row by row instead."""
    engine = await kit.database("inbox_copy")
    sessions = session_factory(engine)
    n = 300
    ids = [*ODD_IDS, "unit\x1fseparator", *(f"e{i}" for i in range(n))]
    rows = [("/govmedia/monitor", i, "t.v1", "gov.topic", k % 3, 1000 + k) for k, i in enumerate(ids)]
    columns = [list(c) for c in zip(*rows, strict=True)]
    async with sessions() as session, session.begin():
        assert await copy_into_inbox(session, *columns) is True
    async with engine.connect() as conn:
        stored = set(
            await conn.execute(text('SELECT source, event_id, type, topic, partition, "offset" FROM inbox'))
        )
    assert stored == set(rows)

    later = [("/govmedia/monitor", f"later{i}", "t.v1", "gov.topic", 0, 5000 + i) for i in range(n)]
    again = [*later[: n // 2], rows[7], *later[n // 2 :]]
    async with sessions() as session:
        assert await copy_into_inbox(session, *[list(c) for c in zip(*again, strict=True)]) is False
        await session.rollback()
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
    assert count == len(rows), "nothing of a refused copy is written"
    async with sessions() as session, session.begin():
        new = await record_in_inbox(session, again)
    assert new == {(r[0], r[1]) for r in later}


def _record(env: Envelope, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = env.value()
    return ConsumerRecord(
        topic=AccountFiled.topic, partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=env.subject.encode(), value=value, checksum=None, serialized_key_size=36,
        serialized_value_size=len(value), headers=tuple(env.headers()),
    )  # fmt: skip


async def test_a_redelivered_large_batch_reaches_its_handler_without_the_events_handled_before(
    kit: PlumbingKit, events: EventFactory
) -> None:
    """A large batch claims its inbox rows by COPY; when some of them were handled before (a redelivery), the
    transaction is tried again with the statement that names the new rows: each event takes effect once, and
    the next batch that is all new is copied again."""
    engine = await kit.database("inbox_runner", "CREATE TABLE handled (event_id text PRIMARY KEY)")
    seen: list[str] = []

    @batch
    async def handle(session: AsyncSession, items: Sequence[tuple[AccountFiled, MessageContext]]) -> None:
        seen.extend(ctx.envelope.id for _, ctx in items)
        await session.execute(
            text("INSERT INTO handled SELECT unnest(CAST(:ids AS text[]))"),
            {"ids": [ctx.envelope.id for _, ctx in items]},
        )

    runner = ConsumerRunner(
        service="test", group_id="inbox-copy", handlers={AccountFiled: handle},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=None,
    )  # fmt: skip
    envelopes = [wrap(events.account_filed()) for _ in range(3 * INBOX_COPY_FROM)]
    records = [_record(env, k) for k, env in enumerate(envelopes)]
    first, second, third = (records[i * INBOX_COPY_FROM : (i + 1) * INBOX_COPY_FROM] for i in range(3))

    assert await runner.handle_batch(first) is None
    assert runner.inbox_by_copy
    # Redelivered: the first batch's second half again, then the new ones.
    assert await runner.handle_batch([*first[INBOX_COPY_FROM // 2 :], *second]) is None
    assert not runner.inbox_by_copy, "the copy was refused: the events handled before were found"
    assert await runner.handle_batch(third) is None
    assert runner.inbox_by_copy, "an all-new batch goes by COPY again"
    assert seen == [env.id for env in envelopes], "each event handled once, in order"
    async with engine.connect() as conn:
        handled = (await conn.execute(text("SELECT count(*) FROM handled"))).scalar_one()
        inbox = (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
    assert handled == inbox == len(envelopes)
