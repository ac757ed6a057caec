"""The submit path does only the work a submission needs (``bench/bench_write_path.py`` measures it).

Each avoidable database round trip or thread hop of ``POST /v1/posts`` costs every submission, and far more
on a busy machine, where each one waits to be scheduled again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, func, select

from govmedia_common.events import PostChecked
from govmedia_review.models import Post

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def _statements_of(review: ReviewKit, call: Awaitable[Any]) -> list[str]:
    """The SQL statements the request ran while ``call`` was awaited, whitespace collapsed (the relay's,
    which runs meanwhile on the same engine, left out: they touch the outbox and never insert into it)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        flat = " ".join(statement.split())
        # the relay's claim writes its lease (INSERT INTO outbox_leases), never an outbox row
        relay = "pg_advisory" in flat or "outbox_leases" in flat
        relay = relay or ("outbox" in flat and "INSERT INTO outbox " not in flat)
        if not relay:
            statements.append(flat)

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
    assert any("INSERT INTO posts" in s and "INSERT INTO post_revisions" in s for s in statements)
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


async def test_a_submission_writes_its_post_revision_audit_entry_and_events_in_one_statement(
    review: ReviewKit,
) -> None:
    """Five inserts, one round trip (data-modifying CTEs): the rows, the audit entry and the events in the
    order the post recorded them are all there, and the events reach the broker."""
    unit = review.unit("黄岩", region="331003")
    account_id = await review.account(unit, region="331003")
    await review.submit(unit.editor, account_id)
    holder: list[tuple[dict[str, Any], str]] = []

    async def submit() -> None:
        holder.append(await review.submit(unit.editor, account_id))

    statements = await _statements_of(review, submit())
    writes = [s for s in statements if not s.startswith("SELECT")]
    assert len(writes) == 1, writes
    tables = ("posts", "post_revisions", "audit_log", "outbox")
    assert all(f"INSERT INTO {t} " in writes[0] for t in tables), writes
    post, etag = holder[0]
    assert post["revision"] == 1 and etag == 'W/"1"'
    entries = [e for e in await review.audit("post.submit") if e["target"] == post["id"]]
    assert len(entries) == 1 and entries[0]["actor_id"] == unit.editor.id
    assert entries[0]["detail"]["revision"] == 1 and entries[0]["at"] is not None
    r = await unit.editor.http.get(f"/v1/posts/{post['id']}")
    assert r.status_code == 200 and r.json()["status"] == post["status"]
    assert [t for t, _ in await review.outbox(post["id"])] == ["submitted", "checked"]
    assert await review.from_broker(PostChecked, lambda e: e["post_id"] == post["id"])


async def test_a_submission_whose_event_is_too_large_for_the_bus_is_refused_and_leaves_nothing(
    review: ReviewKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = review.unit("玉环", region="331083")
    account_id = await review.account(unit, region="331083")
    before = len(await review.audit("post.submit"))
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "600")
    r = await unit.editor.http.post(
        "/v1/posts", json={"account_id": account_id, "title": "通知", "body": "区政务服务中心正常开放。" * 40}
    )
    assert r.status_code == 413 and r.json()["code"] == "event-too-large", r.text
    assert len(await review.audit("post.submit")) == before
    async with review.sessions() as session:
        posts = await session.scalar(select(func.count()).where(Post.account_id == account_id))
    assert posts == 0
