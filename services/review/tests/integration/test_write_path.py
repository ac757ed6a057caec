"""The submit path does only the work a submission needs (``bench/bench_write_path.py`` measures it).

Each avoidable database round trip or thread hop of ``POST /v1/posts`` costs every submission, and far more
on a busy machine, where each one waits to be scheduled again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def test_submitting_a_post_reads_no_post_row(review: ReviewKit) -> None:
    unit = review.unit("路桥")
    account_id = await review.account(unit)
    await review.submit(unit.editor, account_id)  # the engine is built and cached by the first submission
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = review.app.state.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        post, _ = await review.submit(unit.editor, account_id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert post["status"] == "in_review"
    written = [s.split(" (")[0] for s in statements if s.startswith("INSERT")]
    assert "INSERT INTO posts" in written and "INSERT INTO post_revisions" in written
    post_reads = [s for s in statements if s.startswith("SELECT") and " FROM posts " in f"{s} "]
    assert post_reads == [], "a new post is inserted, never looked up first"
