"""The Supervision dashboard's panels of monitor and notify show the supervision half's facts: with one silent
account swept and one case open, each panel that counts them answers a non-zero count for the province, the
city and the county, as Grafana expands the region variable.

Tried by the outside-testing round (the dashboards' queries must return data for these services, not only
run): it held and stays as a guard.
"""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.hostile.supervision import HOME, Supervision
from tests.integration.test_dashboards_sql import grafana_macros

pytestmark = pytest.mark.integration

DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
BOARD = DASHBOARDS / "govmedia-supervision.json"
COUNTED = {
    "monitor": ("Open alerts by class", "Silent accounts (不更新)", "Open alerts by region"),
    "notify": ("Overdue rectifications (逾期未整改)", "Open cases by state"),
}


def _panels(service: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for panel in json.loads(BOARD.read_text(encoding="utf-8"))["panels"]:
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("uid") == f"govmedia-pg-{service}" and "rawSql" in target:
                found[panel["title"]] = target["rawSql"]
    return found


def _dsn(app: object) -> str:
    url = make_url(app.state.runtime.settings.database_url)  # type: ignore[attr-defined]  # a FastAPI app
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def test_the_supervision_panels_count_a_swept_silent_account_and_an_open_case(
    supervision: Supervision,
) -> None:
    await supervision.account()  # opened 2025-09-01, silent since: not updated as of 2025-10-15
    sweeper = supervision.client(
        supervision.monitor_url, supervision.token(kind="client", scopes=("monitor:write",))
    )
    swept = await sweeper.post("/v1/sweeps", json={"as_of": "2025-10-15"})
    assert swept.status_code == 200, swept.text
    await supervision.notify_case()
    apps = {"monitor": supervision.monitor_app, "notify": supervision.notify_app}
    for service, titles in COUNTED.items():
        panels = _panels(service)
        connection = await asyncpg.connect(_dsn(apps[service]))
        try:
            for title in titles:
                for region in ("", "330000", "331000", HOME):
                    rows = await connection.fetch(grafana_macros(panels[title], region))
                    counts = [value for row in rows for value in row.values() if isinstance(value, int)]
                    assert counts and max(counts) > 0, f"{service}: {title} for region {region!r}: {rows}"
        finally:
            await connection.close()
