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

from govmedia_common.devclock import MovableClock
from govmedia_common.migrations import upgrade_async
from govmedia_monitor import cli
from govmedia_monitor.cli import app
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import create_databases
from tests.hostile.supervision import NOW, Supervision

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


# The platform's clock stands where the supervision platform's does (2025-10-15 10:00 in Beijing); a
# snapshot of 2025-10-20 lies five days in its future, though long past on the wall clock.
FUTURE_FOR_THE_PLATFORM = "2025-10-20T09:00:00+08:00"


def _clock_file(tmp_path: Path) -> Path:
    path = tmp_path / "clock.json"
    MovableClock(path).set(NOW)
    return path


def _snapshot(tmp_path: Path, account: str) -> Path:
    path = tmp_path / "metrics.csv"
    path.write_text(f"account_id,taken_at,reads\n{account},{FUTURE_FOR_THE_PLATFORM},1\n", encoding="utf-8")
    return path


def _judged_by_the_platforms_clock(code: int, output: str) -> None:
    """Found by the outside-testing round: the import judged and dated rows by the wall clock while the
    platform (make demo moves it) ran on its development clock, so a row the API refused as 'in the future'
    (it would hide the account's silence from the sweep) was imported from a file."""
    assert "Traceback" not in output, output
    assert code == 2 and "future" in output and "0 imported" in output, output


async def test_the_import_uses_the_development_clock_the_environment_names(
    supervision: Supervision, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await supervision.account()
    monkeypatch.setenv(
        "GOVMEDIA_MONITOR_DATABASE_URL", supervision.monitor_app.state.runtime.settings.database_url
    )
    monkeypatch.setenv("GOVMEDIA_DEV_CLOCK_FILE", str(_clock_file(tmp_path)))
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(_snapshot(tmp_path, account)), "--kind", "metrics"]
    )
    _judged_by_the_platforms_clock(result.exit_code, result.output)


async def test_after_make_run_the_import_uses_the_running_platforms_clock(
    supervision: Supervision, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await supervision.account()
    url = make_url(supervision.monitor_app.state.runtime.settings.database_url)
    monkeypatch.setattr(cli, "MONITOR_DATABASE", url.database)  # the platform's govmedia_monitor
    for name in ("GOVMEDIA_MONITOR_DATABASE_URL", "GOVMEDIA_DATABASE_URL", "GOVMEDIA_DEV_CLOCK_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GOVMEDIA_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".govmedia").mkdir()
    state = {
        "database_server_url": url.set(database="postgres").render_as_string(hide_password=False),
        "clock_file": str(_clock_file(tmp_path)),
    }
    (tmp_path / ".govmedia" / "state.json").write_text(json.dumps(state))
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(_snapshot(tmp_path, account)), "--kind", "metrics"]
    )
    _judged_by_the_platforms_clock(result.exit_code, result.output)
