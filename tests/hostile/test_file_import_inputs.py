"""``govmedia-monitor import`` fed what a clerk's Excel and other tools really write.

What the outside round found (each file a county clerk could hand in):

* a CSV saved by Excel as "CSV UTF-8" starts with a byte order mark: the first column was read as
  ``\\ufeffaccount_id`` and every row was refused ("account_id: Field required"); a JSON Lines file with a
  BOM refused its first line as "not JSON";
* a CSV saved by Excel as plain "CSV" on Chinese Windows is GBK (GB18030): the import stopped with a
  ``UnicodeDecodeError`` traceback, after committing the batches read before the first Chinese character;
  there was no way to say the file's encoding;
* a header lacking a required column or naming one the kind does not have (``reeds``) refused every row
  with the same reason, one line per row, instead of saying once what the header lacks; a column named
  twice was read from its last cell silently;
* an empty file, or a header with no rows, was "0 imported … 0 refused", exit 0: a clerk who exported the
  wrong sheet was told all went well;
* a cell longer than the CSV reader's limit (131,072 characters) stopped the import with a ``_csv.Error``
  traceback, the batches before it committed.

CRLF line ends and a text with a quoted line break held already and stay as guards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govmedia_monitor.cli import app
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

POST_HEADER = "account_id,platform_post_id,title,text,published_at"
METRIC_HEADER = "account_id,platform_post_id,taken_at,reads"


async def _import(sup: Supervision, path: Path, kind: str, *extra: str) -> tuple[int, str]:
    url = sup.monitor_app.state.runtime.settings.database_url
    args = ["import", str(path), "--kind", kind, "--database-url", url, *extra]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    return result.exit_code, result.output


async def _posts(sup: Supervision, account: str) -> list[dict[str, str]]:
    r = await sup.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    assert r.status_code == 200, r.text
    items: list[dict[str, str]] = r.json()["items"]
    return items


def _post_row(account: str, text: str, key: str | None = None) -> str:
    return f'{account},{key or uuid.uuid4().hex[:10]},通知,"{text}",2025-10-14T09:30:00+08:00'


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output and "│ ❱" not in output, output


async def test_an_excel_csv_utf8_file_with_a_byte_order_mark_imports(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "excel-utf8.csv"
    rows = [POST_HEADER, _post_row(account, "区政务服务中心照常办理业务。"), _post_row(account, "延时服务。")]
    path.write_bytes("\r\n".join(rows).encode("utf-8-sig") + b"\r\n")
    code, output = await _import(supervision, path, "posts")
    assert code == 0, output
    assert "2 imported" in output, output
    assert sorted(p["text"] for p in await _posts(supervision, account)) == [
        "区政务服务中心照常办理业务。",
        "延时服务。",
    ]


async def test_a_json_lines_file_with_a_byte_order_mark_imports(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    line = {"account_id": account, "taken_at": "2025-10-14T09:30:00+08:00", "followers": 12}
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(json.dumps(line).encode("utf-8-sig") + b"\n")
    code, output = await _import(supervision, path, "metrics")
    assert code == 0 and "1 imported" in output, output


async def test_a_gbk_csv_is_refused_whole_saying_how_and_imports_with_its_encoding_named(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "excel-ansi.csv"
    rows = [
        POST_HEADER,
        _post_row(account, "plain ascii one"),
        _post_row(account, "plain ascii two"),
        _post_row(account, "国庆期间照常办理业务。"),
    ]
    path.write_bytes("\r\n".join(rows).encode("gb18030") + b"\r\n")
    code, output = await _import(supervision, path, "posts", "--batch-size", "1")
    assert code == 2, output
    _no_traceback(output)
    assert "UTF-8" in output and "line 4" in output and "--encoding gb18030" in output, output
    assert await _posts(supervision, account) == []  # nothing of the file went in

    code, output = await _import(supervision, path, "posts", "--encoding", "gb18030")
    assert code == 0 and "3 imported" in output, output
    texts = sorted(p["text"] for p in await _posts(supervision, account))
    assert texts == ["plain ascii one", "plain ascii two", "国庆期间照常办理业务。"]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("account_id,platform_post_id,reads", "taken_at"),  # a required column missing
        ("account_id,platform_post_id,taken_at,reeds", "reeds"),  # a column the kind does not have
        ("account_id,platform_post_id,taken_at,reads,reads", "more than once"),  # the last one won
    ],
)
async def test_a_header_lacking_a_column_or_naming_an_unknown_one_is_refused_once_naming_it(
    supervision: Supervision, tmp_path: Path, header: str, named: str
) -> None:
    account = await supervision.account()
    path = tmp_path / "metrics.csv"
    body = "\n".join(f"{account},wx-{i},2025-10-14T0{i}:00:00+08:00,{i}" for i in range(1, 6))
    path.write_text(f"{header}\n{body}\n", encoding="utf-8")
    code, output = await _import(supervision, path, "metrics")
    assert code == 2, output
    _no_traceback(output)
    assert named in output and "header" in output, output
    assert "refused rows" not in output  # said once, not once per row


@pytest.mark.parametrize("content", ["", "\n", f"{METRIC_HEADER}\n", f"{METRIC_HEADER}\r\n\r\n"])
async def test_an_empty_file_or_a_header_without_rows_is_not_a_success(
    supervision: Supervision, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text(content, encoding="utf-8")
    code, output = await _import(supervision, path, "metrics")
    assert code == 2, output
    _no_traceback(output)
    assert "no rows" in output, output


async def test_a_cell_longer_than_any_field_allows_is_a_refused_row_and_the_rest_imports(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "posts.csv"
    rows = [
        POST_HEADER,
        _post_row(account, "短"),
        _post_row(account, "长" * 200_000),
        _post_row(account, "好"),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, output = await _import(supervision, path, "posts")
    assert code == 2, output
    _no_traceback(output)
    assert "2 imported" in output and "1 refused" in output and "text" in output, output


async def test_crlf_and_a_quoted_line_break_in_a_text_import_as_written(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "posts.csv"
    rows = [POST_HEADER, _post_row(account, "第一段\r\n第二段"), _post_row(account, "一段")]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8"))
    code, output = await _import(supervision, path, "posts")
    assert code == 0 and "2 imported" in output, output
    texts = sorted(p["text"] for p in await _posts(supervision, account))
    assert texts == ["一段", "第一段\r\n第二段"]
