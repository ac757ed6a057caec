"""The inbox statement on the real PostgreSQL: a batch's rows are recorded column for column, the rows
handled before are named, and any text an id may hold (the separator the columns travel with, commas,
quotes, backslashes, non-ASCII) is kept exactly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from govmedia_common.db import session_factory
from govmedia_common.inbox import claim_in_inbox, record_in_inbox

if TYPE_CHECKING:
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
