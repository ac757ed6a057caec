"""``govmedia-monitor simulate`` on a monitor database the service has not run on yet (``govmedia migrate``
and nothing else), and for days of a year without an official working-day schedule.

Found by the outside-testing round: the simulator failed on its first day with a traceback of ~100 lines
ending in "No official working-day schedule is loaded for 2025": the years the calendar package covers are
stored in the monitor's database by the service when it starts, and the command did not store them. A year
no schedule covers was the same traceback.
"""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from govmedia_monitor.cli import app
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration


def _simulate(url: str, *extra: str) -> tuple[int, str]:
    args = ["simulate", "--accounts", "8", "--days", "2", "--no-hot-words", "--database-url", url, *extra]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


async def test_the_simulator_runs_on_a_freshly_migrated_monitor_database(infra: Infrastructure) -> None:
    url = await fresh_database(infra, "sim_fresh", "monitor")
    code, output = await asyncio.to_thread(_simulate, url, "--start", "2025-09-01")
    assert code == 0, output
    assert "alerts after 2 days" in output, output


async def test_days_of_a_year_without_a_schedule_are_one_line_saying_what_to_load(
    infra: Infrastructure,
) -> None:
    url = await fresh_database(infra, "sim_year", "monitor")
    code, output = await asyncio.to_thread(_simulate, url, "--start", "2031-03-02")
    assert code == 2, output
    assert "Traceback" not in output and "│ ❱" not in output, output
    assert "2031" in output and "PUT /v1/calendar" in output, output
