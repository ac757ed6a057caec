"""The submit path does only the work a submission needs (``bench/bench_write_path.py`` measures it).

Each avoidable database round trip or thread hop of ``POST /v1/posts`` costs every submission, and far more
on a busy machine, where each one waits to be scheduled again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def _statements_of(review: ReviewKit, call: Awaitable[Any]) -> list[str]:
    """The SQL statements the request ran while ``call`` was awaited, whitespace collapsed (the relay's,
    which runs meanwhile on the same engine, left out)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "pg_advisory" not in statement and "outbox" not in statement:
            statements.append(" ".join(statement.split()))

    engine = review.app.state.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await call
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


async def test_submitting_a_post_reads_no_post_row(review: ReviewKit) -> None:
    unit = review.unit("路桥")
    account_id = await review.account(unit)
    await review.submit(unit.editor, account_id)  # the engine is built and cached by the first submission
    statements = await _statements_of(review, review.submit(unit.editor, account_id))
    written = [s.split(" (")[0] for s in statements if s.startswith("INSERT")]
    assert "INSERT INTO posts" in written and "INSERT INTO post_revisions" in written
    post_reads = [s for s in statements if s.startswith("SELECT") and " FROM posts " in f"{s} "]
    assert post_reads == [], "a new post is inserted, never looked up first"


async def test_submitting_a_post_reads_the_account_and_the_lexicon_versions_in_one_statement(
    review: ReviewKit,
) -> None:
    unit = review.unit("椒江", region="331002")
    account_id = await review.account(unit)
    await review.submit(unit.editor, account_id)  # builds and caches the region's engine
    statements = await _statements_of(review, review.submit(unit.editor, account_id))
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1, reads
    assert " FROM accounts" in reads[0] and " FROM lexicons" in reads[0]


async def test_an_account_outside_the_editors_own_region_is_checked_with_its_own_regions_lists(
    review: ReviewKit,
) -> None:
    """The one-statement read guesses the editor's region; an account of the unit elsewhere still gets the
    lists of the account's region (a city's addition applies to its county's account)."""
    unit = review.unit("市本级", region="331000")
    account_id = await review.account(unit, region="331004")
    await review.submit(unit.editor, account_id)
    statements = await _statements_of(review, review.submit(unit.editor, account_id))
    assert sum(1 for s in statements if s.startswith("SELECT")) == 2  # the guess, then the account's lists
