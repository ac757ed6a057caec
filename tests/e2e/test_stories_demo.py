"""``make demo`` drives the platform ``make run`` started: ``govmedia up`` runs as its own process (its own
embedded PostgreSQL and broker, as on a fresh clone), then ``govmedia demo`` at a tiny scale as a second
process moves the services' shared clock; every number it printed is then checked through the APIs.

The platform is the demo's alone here, so the APIs' totals must equal what the demo printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from govmedia_common.workdays import WorkCalendar
from govmedia_platform.demo import DEMO_CITY
from govmedia_platform.demo_plan import LEAD_DAYS, DemoRefused, check_calendar, filing_day, years_needed
from govmedia_platform.demo_summary import NoPlatform, running_platform
from govmedia_platform.launcher import Infrastructure, Platform

pytestmark = pytest.mark.integration

PASSWORD = "demo-e2e-admin-passphrase"
CLI = [sys.executable, "-m", "govmedia_platform.cli"]


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str], dict[str, str]]]:
    """`govmedia up` in the background, as `make run` starts it: its data folder, environment, URLs."""
    data = tmp_path_factory.mktemp("demo") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}  # the embedded default
    env.update({"COLUMNS": "200", "GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD": PASSWORD})
    proc = subprocess.Popen(
        [*CLI, "up", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    output: list[str] = []

    def read() -> None:  # keep draining the pipe, or the launcher blocks on a full one
        assert proc.stdout is not None
        output.extend(proc.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while not any(line.startswith("ready in") for line in output):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(output)
            time.sleep(0.3)
        state = json.loads((data / "state.json").read_text())
        yield data, env, {name: svc["url"] for name, svc in state["services"].items()}
    finally:
        proc.send_signal(signal.SIGTERM)  # stops everything it started, as Ctrl-C does
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
        reader.join(10)


def _pages(client: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        page = r.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def test_up_gives_every_service_the_shared_movable_clock_in_development_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVMEDIA_DEV_CLOCK_FILE", raising=False)
    monkeypatch.delenv("GOVMEDIA_ENVIRONMENT", raising=False)
    platform = Platform(Infrastructure("postgresql+asyncpg://postgres@127.0.0.1:1", "127.0.0.1:2"), tmp_path)
    for service in ("registry", "monitor", "notify"):
        assert platform.service_env(service, "http://r")["GOVMEDIA_DEV_CLOCK_FILE"] == str(
            tmp_path / "clock.json"
        )
    monkeypatch.setenv("GOVMEDIA_ENVIRONMENT", "production")
    assert platform.clock_file is None
    assert "GOVMEDIA_DEV_CLOCK_FILE" not in platform.service_env("monitor", "http://r")


def test_the_demo_without_a_running_platform_says_to_start_one_with_make_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    done = subprocess.run(
        [*CLI, "demo", "--data-dir", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No govmedia platform is running here" in done.stdout and "make run" in done.stdout


def check_against_the_apis(data: Path, urls: dict[str, str], password: str, printed: str) -> dict[str, Any]:
    """Every number the demo printed equals the platform's totals read through the APIs (a platform that
    holds only the demo's data: a fresh ``make run``); every printed URL answers. Returns the summary."""
    summary: dict[str, Any] = json.loads((data / "demo-summary.json").read_text())
    for key, value in summary.items():
        if key != "urls":
            assert f"{key:<28} {value}" in printed, key
    token = httpx.post(
        f"{urls['registry']}/v1/auth/token",
        data={"grant_type": "password", "username": "admin", "password": password},
        timeout=30,
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    clients = {name: httpx.Client(base_url=url, headers=auth, timeout=120) for name, url in urls.items()}

    accounts = _pages(clients["registry"], "/v1/accounts", limit=500)
    assert len(accounts) == summary["accounts"]
    assert dict(Counter(a["status"] for a in accounts)) == summary["account_status"]
    host_units = [u for u in _pages(clients["registry"], "/v1/units", limit=500) if u["kind"] == "host_unit"]
    assert len(host_units) == summary["units"]
    active = [a["id"] for a in accounts if a["status"] == "active"]
    assert len(active) == summary["monitored_accounts"]
    observed = sum(
        len(_pages(clients["monitor"], f"/v1/accounts/{a}/observed-posts", limit=500)) for a in active
    )
    assert observed == summary["observed_posts"] > 0
    published = _pages(clients["review"], "/v1/posts", status="published", limit=500)
    assert len(published) == summary["reviewed_posts"] > 0

    alerts = _pages(clients["monitor"], "/v1/alerts", limit=500)
    assert dict(Counter(a["rule"] for a in alerts)) == summary["alerts_by_rule"]
    assert sum(1 for a in alerts if a["state"] == "open") == summary["alerts_open"]
    cases = _pages(clients["notify"], "/v1/cases", limit=200)
    assert len(cases) == summary["cases"]
    assert dict(Counter(c["state"] for c in cases)) == summary["cases_by_state"]
    interviews = clients["notify"].get("/v1/interviews", params={"limit": 500}).json()
    assert len(interviews) == summary["interviews"]

    # The scores of the month of the last simulated day (where the demo left the services' clock).
    clock_file = Path(json.loads((data / "state.json").read_text())["clock_file"])
    last_day = date.fromisoformat(json.loads(clock_file.read_text())["set_to"][:10])
    assert summary["simulated_days"].split(" … ")[1].startswith(last_day.isoformat()), summary
    rows = (
        clients["scoring"]
        .get(
            "/v1/rankings",
            params={
                "period_kind": "month",
                "period_start": last_day.replace(day=1).isoformat(),
                "region": DEMO_CITY,
                "limit": 500,
            },
        )
        .json()
    )
    assert len(rows) == summary["scored_accounts_this_month"] > 0
    assert (rows[0]["account_id"], rows[0]["composite"]) == (
        summary["best_account"],
        summary["best_composite"],
    )

    for title, url in summary["urls"].items():
        assert url in printed, title
        r = httpx.get(url, headers=auth, timeout=60)  # signed in: a bulletin is not public
        assert r.status_code == 200, (title, url, r.status_code)
    return summary


def test_the_demo_never_moves_the_clock_back_before_what_a_platform_with_data_has_seen() -> None:
    today = date(2026, 12, 1)
    lead = timedelta(days=16 + LEAD_DAYS)
    # A fresh platform (nothing but what `make run` creates itself): the days end about a week before today.
    assert filing_day(real_today=today, clock_today=today, days=16, holds_data=False) == today - lead
    # A platform with data whose clock is behind that day (a previous demo's clock): forward to it.
    behind = today - lead - timedelta(days=30)
    assert filing_day(real_today=today, clock_today=behind, days=16, holds_data=True) == today - lead
    # A platform with data up to its clock's today: the demo starts after it, never before.
    start = filing_day(real_today=today, clock_today=today, days=16, holds_data=True)
    assert start == today + timedelta(days=1)
    # ... and refuses, saying why and what to do, when those days reach a year without a known calendar.
    with pytest.raises(DemoRefused, match=r"(?s)2027.*working-day calendar.*make clean"):
        check_calendar(start, 16, covered=range(2004, 2027))
    check_calendar(start, 16, covered=range(2004, 2028))  # once 2027 is loaded, it runs forward


def test_the_demo_refuses_a_stopped_platform_and_one_without_a_movable_clock(tmp_path: Path) -> None:
    state = {"pid": 2**22 + 12345, "clock_file": str(tmp_path / "clock.json"), "services": {}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    with pytest.raises(NoPlatform, match=r"has stopped.*make run"):
        running_platform(tmp_path)
    state.update(pid=os.getpid(), clock_file=None)  # alive, but started in production (or by an older up)
    (tmp_path / "state.json").write_text(json.dumps(state))
    with pytest.raises(NoPlatform, match="no movable clock"):
        running_platform(tmp_path)


def test_make_demo_on_the_running_platform_moves_its_clock_and_prints_only_what_the_apis_confirm(
    platform: tuple[Path, dict[str, str], dict[str, str]],
) -> None:
    data, env, urls = platform
    done = subprocess.run(
        [*CLI, "demo", "--data-dir", str(data), "--scale", "0.004", "--days", "16"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    printed = done.stdout
    assert done.returncode == 0, printed + done.stderr
    summary = check_against_the_apis(data, urls, PASSWORD, printed)
    assert summary["units"] == 4 and summary["accounts"] == 12 and not summary["refused"], summary
    # The services' clock was moved: openings announced for 15 working days took effect during the demo,
    # and the 16 days of silence of the zombie and silent accounts were alerted and opened cases.
    assert summary["account_status"] == {"active": 6, "pending": 6}, summary
    assert summary["alerts_by_rule"].get("not_updated", 0) >= 1 and summary["cases"] >= 1, summary
    assert "days behind real time" in printed
    status = subprocess.run(
        [*CLI, "status", "--data-dir", str(data)], capture_output=True, text=True, env=env, timeout=60
    )
    assert "Services' clock: " in status.stdout and "moved by a demo" in status.stdout, status.stdout

    # Run again on this platform, which now holds data up to its clock: the demo would have to start after
    # the clock and run into next year, whose calendar is not known: it refuses and leaves the clock alone.
    clock_file = Path(json.loads((data / "state.json").read_text())["clock_file"])
    before = clock_file.read_text()
    again = subprocess.run(
        [*CLI, "demo", "--data-dir", str(data), "--scale", "0.004", "--days", "16"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    left_at = date.fromisoformat(json.loads(before)["set_to"][:10])
    if all(WorkCalendar().covers(y) for y in years_needed(left_at + timedelta(days=1), 16)):
        # Late in a year whose successor's calendar is shipped: it runs forward from the clock.
        assert again.returncode == 0, again.stdout + again.stderr
        moved_to = date.fromisoformat(json.loads(clock_file.read_text())["set_to"][:10])
        assert moved_to > left_at, "the clock only moved forward"
    else:
        assert again.returncode == 1, again.stdout + again.stderr
        assert "never moves" in again.stdout and "make clean" in again.stdout, again.stdout
        assert clock_file.read_text() == before, "the clock was not moved"
