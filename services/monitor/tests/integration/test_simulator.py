"""The simulator connector drives the real rules: each behaviour shows up as the alert it should."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import pytest

from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.connectors import Behaviour, PlatformConnector, SimulatorConnector
from govmedia_monitor.connectors.demo import accounts_for, run_demo

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

START = date(2025, 9, 1)


async def test_simulated_behaviours_raise_their_alerts_and_diligent_accounts_stay_clean(
    monitor: MonitorKit,
) -> None:
    counts = await run_demo(
        monitor.sessions, accounts=8, days=40, seed=11, start=START, clock=monitor.clock, hot_words=False
    )
    by_behaviour = {b: ref.account_id for ref, b, _ in accounts_for(11, 8)}

    async def rules(behaviour: Behaviour) -> set[tuple[str, str]]:
        return {(a.rule, a.severity) for a in await monitor.alerts(by_behaviour[behaviour])}

    assert not {r for r, _ in await rules(Behaviour.DILIGENT)} & {
        "not_updated",
        "unreviewed_publication",
        "content_mismatch",
        "message_unanswered",
    }
    assert ("zombie", "warning") not in await rules(Behaviour.ZOMBIE), "40 days is not yet 90"
    assert ("not_updated", "violation") in await rules(Behaviour.ZOMBIE)
    assert ("not_updated", "violation") in await rules(Behaviour.SILENT)
    assert ("unreviewed_publication", "serious") in await rules(Behaviour.UNREVIEWED)
    assert ("content_mismatch", "violation") in await rules(Behaviour.EDITS_AFTER_APPROVAL)
    assert ("message_unanswered", "warning") in await rules(Behaviour.SLOW_ANSWERS)
    assert ("interaction_off", "violation") in await rules(Behaviour.INTERACTION_OFF)
    assert sum(counts.values()) == len([a for b in Behaviour for a in await monitor.alerts(by_behaviour[b])])


async def test_the_simulator_is_a_connector_and_deterministic_by_seed() -> None:
    refs = [ref for ref, _, _ in accounts_for(3, 8)]
    behaviours = {ref.account_id: b for ref, b, _ in accounts_for(3, 8)}
    since = datetime.combine(START, time(0), tzinfo=SHANGHAI)
    one = SimulatorConnector(seed=3, origin=START, behaviours=behaviours)
    assert isinstance(one, PlatformConnector)
    a = await one.fetch(refs, since, since + timedelta(days=5))
    b = await SimulatorConnector(seed=3, origin=START, behaviours=behaviours).fetch(
        refs, since, since + timedelta(days=5)
    )
    c = await SimulatorConnector(seed=4, origin=START, behaviours=behaviours).fetch(
        refs, since, since + timedelta(days=5)
    )
    assert a == b and a != c
    assert a.posts and a.metrics and a.messages


async def test_the_simulate_command_runs_days_on_the_injected_clock_and_prints_the_alerts(
    monitor: MonitorKit,
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from govmedia_monitor.cli import app

    url = monitor.app.state.runtime.settings.database_url
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        [
            "simulate",
            "--accounts",
            "8",
            "--days",
            "16",
            "--seed",
            "5",
            "--database-url",
            url,
            "--no-hot-words",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "alerts after 16 days" in result.output and "not_updated" in result.output
