"""Ctrl-C halfway through ``govmedia-monitor import``: what is in, and what to do, said in one line.

The import commits one transaction per batch, so an interrupted import leaves whole batches and nothing of
the batch in progress; importing the same file again adds the rest (the keys make it idempotent). The clerk
who pressed Ctrl-C must be told how many rows went in and that importing again finishes the job, and the
command must end like an interrupted command (exit 130), not like a success or an unexplained abort.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

ROWS = 20_000
BATCH = 500


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _count(dsn: str, account: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval("SELECT count(*) FROM metric_snapshots WHERE account_id = $1", account)
        )
    finally:
        await connection.close()


async def test_ctrl_c_halfway_leaves_whole_batches_says_what_is_in_and_a_second_import_adds_the_rest(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "metrics.csv"
    lines = ["account_id,platform_post_id,taken_at,reads"]
    lines += [f"{account},wx-{i},2025-10-14T09:00:00+08:00,{i}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = supervision.monitor_app.state.runtime.settings.database_url
    dsn = _dsn(url)
    command = [
        sys.executable,
        "-m",
        "govmedia_monitor.cli",
        "import",
        str(path),
        "--kind",
        "metrics",
        "--batch-size",
        str(BATCH),
        "--database-url",
        url,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while await _count(dsn, account) < 2 * BATCH:
            assert process.returncode is None, "the import ended before it could be interrupted"
            assert time.monotonic() < deadline, "no batch committed within 2 minutes"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = err.decode()
    stored = await _count(dsn, account)
    assert 0 < stored < ROWS, "the interruption came too late to test anything"
    assert stored % BATCH == 0, f"{stored} rows: a batch was half-written"
    assert process.returncode == 130, (process.returncode, stderr)
    assert "Traceback" not in stderr and "│ ❱" not in stderr, stderr
    assert "interrupted" in stderr and f"{stored} rows were imported" in stderr, stderr
    assert "again" in stderr, stderr  # what to do: import the same file again

    again = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(again.communicate(), timeout=300)
    summary = err.decode()
    assert again.returncode == 0, summary
    assert f"{ROWS - stored} imported" in summary and f"{stored} already there" in summary, summary
    assert await _count(dsn, account) == ROWS
