"""``govmedia-monitor import`` finds the monitor's database the way ``govmedia`` finds the platform.

Found by the outside-testing round (a new user with the README): after ``make run``, the README's
``uv run govmedia-monitor import metrics.csv --kind metrics`` tried ``127.0.0.1:5432/govmedia`` (a default no
platform uses) and said it could not reach it, while ``govmedia dlt`` and ``govmedia topics`` find the running
platform by themselves; and with ``GOVMEDIA_DATABASE_URL`` set as the README's "Against real Kafka and
PostgreSQL" says (the PostgreSQL *server*), it imported into the server's ``postgres`` database and failed on
its first statement with a traceback. The monitor's database is ``govmedia_monitor`` on that server, as
``govmedia migrate`` names it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from govmedia_common.migrations import upgrade_async
from govmedia_monitor.cli import app
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import create_databases

pytestmark = pytest.mark.integration


@pytest.fixture
async def server(infra: Infrastructure) -> str:
    """The test server, with the monitor's database as ``govmedia migrate`` makes it (govmedia_monitor)."""
    await create_databases(infra.database_server_url, ["govmedia_monitor"])
    url = make_url(infra.database_server_url).set(database="govmedia_monitor")
    await upgrade_async("monitor", url.render_as_string(hide_password=False))
    return make_url(infra.database_server_url).set(database="postgres").render_as_string(hide_password=False)


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.csv"
    account = uuid.uuid4()  # unknown to the monitor: refused by the database's answer, so it was reached
    path.write_text(f"account_id,taken_at,reads\n{account},2025-10-14T09:00:00+08:00,1\n", encoding="utf-8")
    return path


def _reached_the_monitors_database(code: int, output: str) -> None:
    assert "Traceback" not in output and "│ ❱" not in output, output
    assert code == 2 and "unknown account" in output, output


async def test_with_the_platforms_server_url_it_imports_into_govmedia_monitor(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVMEDIA_MONITOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVMEDIA_DATABASE_URL", server)
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(_file(tmp_path)), "--kind", "metrics"]
    )
    _reached_the_monitors_database(result.exit_code, result.output)


async def test_after_make_run_it_imports_into_the_running_platforms_monitor_database(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVMEDIA_MONITOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVMEDIA_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVMEDIA_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # the clone, where `make run` keeps .govmedia/
    (tmp_path / ".govmedia").mkdir()
    (tmp_path / ".govmedia" / "state.json").write_text(json.dumps({"database_server_url": server}))
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(_file(tmp_path)), "--kind", "metrics"]
    )
    _reached_the_monitors_database(result.exit_code, result.output)
