"""A metric snapshot that carries no count at all, over sockets and through the file import.

What the outside round found: ``POST /v1/metrics`` with an account and a ``taken_at`` but no count (or
every count null) answered 200 ``accepted: 1``: a snapshot of nothing was stored and announced
(``MetricsObserved`` with every count null), and it took the snapshot's key (account, post, ``taken_at``),
so the real snapshot of that moment sent afterwards was a ``conflicting-replay``. It is now a 422 naming
the counts, one of which is needed; in a bulk request the item's index, nothing stored; in a file the row's
line.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

COUNTS = ("reads", "watching", "likes", "shares", "comments", "followers")


def _snapshot(account: str, **counts: Any) -> dict[str, Any]:
    return {
        "account_id": account,
        "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
        "taken_at": (NOW - timedelta(hours=1)).isoformat(),
        **counts,
    }


def _names_the_counts(message: str) -> None:
    assert "at least one" in message and all(c in message for c in COUNTS), message


@pytest.mark.parametrize("counts", [{}, dict.fromkeys(COUNTS)], ids=["no count", "every count null"])
async def test_a_snapshot_without_a_count_is_refused_naming_the_counts(
    supervision: Supervision, counts: dict[str, Any]
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    empty = _snapshot(account, **counts)
    r = await connector.post("/v1/metrics", json=empty)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    [error] = r.json()["errors"]
    assert error["location"] == "body", error
    _names_the_counts(error["message"])
    # the moment stays free for the real snapshot
    r = await connector.post("/v1/metrics", json={**empty, "reads": 12})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text


async def test_a_bulk_with_an_empty_snapshot_names_its_index_and_stores_nothing(
    supervision: Supervision,
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    good = _snapshot(account, reads=5, likes=0)
    r = await connector.post("/v1/metrics/bulk", json={"items": [good, _snapshot(account), good]})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["index"], error["location"]) == (1, "body.items.1"), error
    _names_the_counts(error["message"])
    r = await connector.post("/v1/metrics/bulk", json={"items": [good]})
    assert r.json()["accepted"] == 1, r.text  # the first request stored nothing


async def test_a_file_row_without_a_count_is_refused_naming_the_counts(
    supervision: Supervision, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from govmedia_monitor.cli import app

    account = await supervision.account()
    path = tmp_path / "metrics.csv"
    path.write_text(
        "account_id,platform_post_id,taken_at,reads,followers\n"
        f"{account},wx-1,2025-10-14T09:00:00+08:00,12,\n"
        f"{account},wx-2,2025-10-14T09:00:00+08:00,,\n",
        encoding="utf-8",
    )
    url = supervision.monitor_app.state.runtime.settings.database_url
    args = ["import", str(path), "--kind", "metrics", "--database-url", url]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    assert result.exit_code == 2, result.output
    assert "1 imported" in result.output, result.output
    _names_the_counts(" ".join(result.output.split()))
