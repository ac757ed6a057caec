"""Times as a clerk's Excel writes them, fed to ``govmedia-monitor import``.

What the outside round found: Excel writes a date-time cell of a Chinese-locale sheet as
``2025/10/14 9:30`` (or ``2025-10-14 09:30:00`` when formatted), in Beijing time and without a zone. Every
such row was refused ("invalid date separator", "Input should have timezone info") with no way to say what
zone the file's times are in, so a sheet exported from the platform's back office could not be imported
at all. ``--timezone Asia/Shanghai`` now reads times without a zone in that zone; without it such a row is
refused saying how to write it or which option to pass. Times with a zone are read as they are.

A date-time column Excel saved as its serial number (``45944.39583``, days since 1899) was read as seconds
since 1970 and refused as "must be between 2000 and 2100"; it is now refused saying what it is.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govmedia_monitor.cli import app
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

HEADER = "account_id,platform_post_id,title,text,published_at"


async def _import(sup: Supervision, path: Path, *extra: str) -> tuple[int, str]:
    url = sup.monitor_app.state.runtime.settings.database_url
    args = ["import", str(path), "--kind", "posts", "--database-url", url, *extra]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    return result.exit_code, result.output


def _sheet(tmp_path: Path, account: str, times: list[str]) -> Path:
    rows = [HEADER] + [
        f"{account},{uuid.uuid4().hex[:10]},通知,区政务服务中心第{i}期公告。,{t}" for i, t in enumerate(times)
    ]
    path = tmp_path / "posts.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


EXCEL_TIMES = ["2025/10/14 9:30", "2025-10-14 09:30:00", "2025/10/14 09:30:15", "2025-10-14T09:30"]


async def test_excel_times_are_read_in_the_zone_the_timezone_option_names(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = _sheet(tmp_path, account, [*EXCEL_TIMES, "2025-10-14T09:30:00+08:00"])
    code, output = await _import(supervision, path, "--timezone", "Asia/Shanghai")
    assert code == 0 and "5 imported" in output, output
    r = await supervision.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    published = sorted(p["published_at"] for p in r.json()["items"])
    # 09:30 Beijing time is 01:30 UTC
    assert [p[:16] for p in published] == ["2025-10-14T01:30"] * 5, published


async def test_excel_times_without_the_option_are_refused_saying_what_to_do(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = _sheet(tmp_path, account, EXCEL_TIMES)
    code, output = await _import(supervision, path)
    assert code == 2, output
    assert "Traceback" not in output and "4 refused" in output, output
    assert output.count("--timezone") >= 4 and "separator" not in output, output


@pytest.mark.parametrize("zone", ["Beijing", "+08:00", ""])
async def test_an_unknown_timezone_is_named(supervision: Supervision, tmp_path: Path, zone: str) -> None:
    account = await supervision.account()
    code, output = await _import(supervision, _sheet(tmp_path, account, EXCEL_TIMES), "--timezone", zone)
    assert code == 2 and "Traceback" not in output, output
    assert "Asia/Shanghai" in output, output


@pytest.mark.parametrize("serial", ["45944.39583", "45944"])
async def test_an_excel_serial_number_is_refused_saying_what_it_is(
    supervision: Supervision, tmp_path: Path, serial: str
) -> None:
    account = await supervision.account()
    code, output = await _import(
        supervision, _sheet(tmp_path, account, [serial]), "--timezone", "Asia/Shanghai"
    )
    assert code == 2 and "1 refused" in output, output
    assert "serial number" in output and "2000 and 2100" not in output, output
