"""Platform ids as Excel leaves them, to the monitor's import and ingest.

What the outside round found: Excel shows a long numeric id (a Weibo post's ``4952318491234567``, a
message id ``2247483901``) in scientific notation and saves it so in CSV (``4.95232E+15``). The monitor took
such a cell as the id: every post of the file whose id rounded alike became the same post — one row, the
others counted as its edits (new versions), their texts overwritten in turn. Such an id is now refused
naming the field and saying to format the column as text.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govmedia_monitor.cli import app
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration


async def test_a_csv_with_ids_excel_rounded_refuses_those_rows_and_merges_nothing(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "weibo.csv"
    rows = [
        "account_id,platform_post_id,text,published_at",
        f"{account},4.95232E+15,第一条微博。,2025-10-14T09:00:00+08:00",
        f"{account},4.95232E+15,第二条微博。,2025-10-14T10:00:00+08:00",
        f"{account},4952318491234999,第三条微博。,2025-10-14T11:00:00+08:00",
    ]
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    url = supervision.monitor_app.state.runtime.settings.database_url
    args = ["import", str(path), "--kind", "posts", "--database-url", url]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    assert result.exit_code == 2, result.output
    assert "1 imported" in result.output and "2 refused" in result.output, result.output
    assert "platform_post_id" in result.output and "text" in result.output, result.output
    listed = await supervision.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    assert [p["platform_post_id"] for p in listed.json()["items"]] == ["4952318491234999"]


@pytest.mark.parametrize("rounded", ["4.95232E+15", "2.24748e+09", "1E+16"])
async def test_an_id_in_scientific_notation_is_refused_by_the_api_too(
    supervision: Supervision, rounded: str
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    at = (NOW - timedelta(hours=1)).isoformat()
    post = {"account_id": account, "platform_post_id": rounded, "text": "微博。", "published_at": at}
    message = {"account_id": account, "message_id": rounded, "received_at": at}
    for path, body, field in (
        ("/v1/observed-posts", post, "platform_post_id"),
        ("/v1/messages", message, "message_id"),
    ):
        r = await connector.post(path, json=body)
        assert r.status_code == 422, r.text
        assert [e["location"] for e in r.json()["errors"]] == [f"body.{field}"], r.json()


@pytest.mark.parametrize("plain", ["4952318491234567", "2247483901_1", "Nabc12E+5x", str(uuid.uuid4())])
async def test_ids_that_merely_hold_digits_and_letters_are_taken(
    supervision: Supervision, plain: str
) -> None:
    account = await supervision.account()
    post = {
        "account_id": account,
        "platform_post_id": plain,
        "text": "微博。",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    r = await supervision.connector().post("/v1/observed-posts", json=post)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
