"""Bulk file import: good rows in, bad rows reported with line and reason; importing twice adds nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from govmedia_monitor import schemas as s
from govmedia_monitor.cli import app
from govmedia_monitor.models import MetricSnapshot, ObservedPost
from govmedia_monitor.observations.importer import Kind, import_rows

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


def _metrics_csv(path: Path, account: str) -> None:
    stranger = str(uuid.uuid4())
    path.write_text(
        "account_id,platform_post_id,taken_at,reads,watching,likes,shares,comments,followers\n"
        f"{account},wx-1,2025-09-01T10:00:00+08:00,120,3,8,1,2,\n"  # line 2: good
        f"{account},wx-1,2025-09-01T11:00:00+08:00,180,4,9,1,2,\n"  # line 3: good
        f"{account},,2025-09-01T12:00:00+08:00,,,,,,5321\n"  # line 4: good (account level)
        f"{account},wx-2,not-a-time,1,,,,,\n"  # line 5: bad time
        f"{account},wx-2,2025-09-01T10:00:00+08:00,-5,,,,,\n"  # line 6: negative count
        f"{stranger},wx-9,2025-09-01T10:00:00+08:00,1,,,,,\n",  # line 7: unknown account
        encoding="utf-8",
    )


async def test_a_csv_with_bad_rows_imports_the_good_ones_and_reports_the_bad_ones_twice_idempotently(
    monitor: MonitorKit, tmp_path: Path
) -> None:
    account = await monitor.account()
    path = tmp_path / "metrics.csv"
    _metrics_csv(path, account)
    url = monitor.app.state.runtime.settings.database_url
    runner = CliRunner()

    def run() -> Result:
        return runner.invoke(
            app,
            [
                "import",
                str(path),
                "--kind",
                "metrics",
                "--database-url",
                url,
                "--rejected",
                str(tmp_path / "bad.csv"),
            ],
        )

    first = await asyncio.to_thread(run)
    assert first.exit_code == 2, first.output
    assert "3 imported" in first.output and "3 refused" in first.output
    bad = (tmp_path / "bad.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[0] for row in bad[1:]] == ["5", "6", "7"]
    assert "taken_at" in bad[1] and "reads" in bad[2] and "unknown account" in bad[3]

    second = await asyncio.to_thread(run)
    assert "0 imported, 3 already there" in second.output
    async with monitor.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(MetricSnapshot))).scalar_one()
    assert count == 3


async def test_a_json_lines_file_of_posts_is_matched_like_the_api(
    monitor: MonitorKit, tmp_path: Path
) -> None:
    account = await monitor.account()
    await monitor.approve(account, "通知", "今天上午区政务服务中心正常开放。")
    lines = [
        {
            "account_id": account,
            "platform_post_id": "wx-a",
            "title": "通知",
            "text": "今天上午区政务服务中心正常开放。",
            "published_at": "2025-09-01T10:00:00+08:00",
        },
        {"account_id": account, "platform_post_id": "wx-b", "title": "", "text": "x" * 10},  # no published_at
        "not json",
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
        encoding="utf-8",
    )
    url = monitor.app.state.runtime.settings.database_url
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(path), "--kind", "posts", "--database-url", url]
    )
    assert result.exit_code == 2, result.output
    assert "1 imported" in result.output and "2 refused" in result.output
    async with monitor.sessions() as session:
        row = await session.get(ObservedPost, (account, "wx-a"))
    assert row is not None and (row.match_kind, row.ingest_channel) == ("exact", "file_import")


async def test_the_next_batch_is_read_while_the_previous_one_is_written_one_at_a_time_in_order(
    monitor: MonitorKit,
) -> None:
    """Reading and validating a file's rows is Python's work, writing a batch mostly PostgreSQL's: the import
    reads the next batch while the previous one is written, so the two cores both work. Batches are still
    written one at a time, in the file's order."""
    account = await monitor.account()
    log: list[tuple[str, int]] = []
    batch, batches = 500, 4
    at = datetime(2025, 8, 31, 2, tzinfo=UTC)  # the day before the service clock

    def rows() -> Iterator[tuple[int, BaseModel | None, str | None]]:
        for line in range(2, 2 + batch * batches):
            log.append(("read", line))
            item = s.MetricSnapshotIn(
                account_id=account, platform_post_id="wx-1", taken_at=at + timedelta(seconds=line), reads=line
            )
            yield line, item, None

    def sessions() -> AsyncSession:
        session = monitor.sessions()
        event.listen(session.sync_session, "after_commit", lambda _s: log.append(("commit", len(log))))
        return session

    result = await import_rows(sessions, rows(), Kind.METRICS, clock=monitor.clock, batch_size=batch)
    assert result.accepted == batch * batches and not result.rejected, (
        result.accepted,
        result.duplicates,
        result.rejected[:3],
    )
    commits = [i for i, (what, _) in enumerate(log) if what == "commit"]
    assert len(commits) == batches
    first_of_second_batch = log.index(("read", 2 + batch))
    assert first_of_second_batch < commits[0], "the second batch was read while the first was written"
    for n, commit in enumerate(commits[:-1]):
        read_before = sum(1 for what, _ in log[:commit] if what == "read")
        assert read_before <= (n + 2) * batch, "never more than one batch written ahead of the reading"
    async with monitor.sessions() as session:
        stored = await session.scalar(
            select(func.count()).select_from(MetricSnapshot).where(MetricSnapshot.account_id == account)
        )
    assert stored == batch * batches
