"""``govmedia-monitor`` in front of a database it cannot use: one line saying what and what to do.

What the outside round found: the monitor's own commands (``import``, ``simulate``) answered an unreachable
database server, a database that does not exist, or a URL that is not one, with a rich traceback of
several hundred lines (asyncpg's and SQLAlchemy's frames), where ``govmedia`` answers such mistakes in one
line naming the server (never the password) and the setting to check (tests/hostile/test_cli_errors.py).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from govmedia_monitor.cli import app
from tests.hostile.supervision import Supervision


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.csv"
    path.write_text(
        "account_id,taken_at,reads\n6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f,2025-10-14T09:00:00+08:00,1\n",
        encoding="utf-8",
    )
    return path


def _run(path: Path, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", str(path), "--kind", "metrics", "--database-url", url])
    return result.exit_code, result.output


def _one_clear_line(code: int, output: str, *names: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output and "│ ❱" not in output, output
    assert "s3cret" not in output, output
    for name in names:
        assert name in output, output


def test_an_unreachable_database_server_is_named_without_its_password(tmp_path: Path) -> None:
    port = _closed_port()
    code, output = _run(_file(tmp_path), f"postgresql+asyncpg://govmedia:s3cret@127.0.0.1:{port}/monitor")
    _one_clear_line(
        code, output, f"127.0.0.1:{port}", "GOVMEDIA_MONITOR_DATABASE_URL", "nothing was imported"
    )


def test_a_url_that_is_not_one_is_named(tmp_path: Path) -> None:
    code, output = _run(_file(tmp_path), "monitor-db-on-the-second-server")
    _one_clear_line(code, output, "postgresql+asyncpg://", "GOVMEDIA_MONITOR_DATABASE_URL")


@pytest.mark.integration
async def test_a_database_that_does_not_exist_is_named(supervision: Supervision, tmp_path: Path) -> None:
    real = make_url(supervision.monitor_app.state.runtime.settings.database_url)
    missing = real.set(database="no_such_monitor_db", password="s3cret")
    code, output = await asyncio.to_thread(
        _run, _file(tmp_path), missing.render_as_string(hide_password=False)
    )
    _one_clear_line(code, output, "no_such_monitor_db", "GOVMEDIA_MONITOR_DATABASE_URL")


def test_the_simulator_on_an_unreachable_database_server_is_one_line_too() -> None:
    port = _closed_port()
    url = f"postgresql+asyncpg://govmedia:s3cret@127.0.0.1:{port}/monitor"
    result = CliRunner().invoke(app, ["simulate", "--accounts", "1", "--days", "1", "--database-url", url])
    _one_clear_line(result.exit_code, result.output, f"127.0.0.1:{port}", "GOVMEDIA_MONITOR_DATABASE_URL")


def test_the_simulator_refuses_a_production_monitor_before_touching_its_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the outside-testing round: ``simulate`` wrote its invented accounts, posts and alerts (with
    their AlertRaised and observation events for notify, scoring and integrators) into whatever database the
    monitor's settings name, production's included."""
    monkeypatch.setenv("GOVMEDIA_ENVIRONMENT", "production")
    port = _closed_port()
    url = f"postgresql+asyncpg://govmedia:s3cret@127.0.0.1:{port}/monitor"
    result = CliRunner().invoke(app, ["simulate", "--accounts", "1", "--days", "1", "--database-url", url])
    assert result.exit_code == 2, result.output
    assert "production" in result.output and "GOVMEDIA_ENVIRONMENT" in result.output, result.output
    assert f"127.0.0.1:{port}" not in result.output, "refused before any connection"
