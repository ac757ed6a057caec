"""Bulk file import: good rows in, bad rows reported with line and reason; importing twice adds nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from govmedia_monitor.cli import app
from govmedia_monitor.models import MetricSnapshot, ObservedPost

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
