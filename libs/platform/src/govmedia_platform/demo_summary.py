"""The demo's closing summary, every number read back from the APIs, and ``govmedia demo`` itself.

``govmedia demo`` drives the platform ``make run`` (``govmedia up``) started and is still running: it finds
the services' URLs and the file of their shared movable clock (:mod:`govmedia_common.devclock`) in
``.govmedia/state.json``, moves that clock day by day, and talks to the services over their HTTP APIs only.
Without a running platform it says how to start one and stops.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from govmedia_common.devclock import MovableClock
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.demo import DEMO_CITY, SERVICES, Demo
from govmedia_platform.demo_plan import DemoRefused, MovableTime


async def settle(demo: Demo, quiet_seconds: float = 7.0, limit_seconds: float = 300.0) -> None:
    """Wait until every event written so far has been published and handled by every consumer.

    Quiet = outbox backlog and consumer lag zero on every service's /metrics for ``quiet_seconds``
    (longer than the gauges' refresh: 5 s for the backlog, 2 s for the lag).
    """
    loop = asyncio.get_running_loop()
    deadline, quiet_since = loop.time() + limit_seconds, None
    while loop.time() < deadline:
        busy = 0.0
        for service in SERVICES:
            r = await demo.call(service, "GET", "/metrics", {})
            for family in text_string_to_metric_families(r.text):
                if family.name in ("govmedia_outbox_backlog", "govmedia_consumer_lag"):
                    busy += sum(sample.value for sample in family.samples)
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= quiet_seconds:
            return
        await asyncio.sleep(1.0)
    demo.console.print(f"[yellow]events still in flight after {limit_seconds:.0f}s: numbers may still move")


async def summary(demo: Demo, urls: dict[str, str], today: date) -> dict[str, Any]:
    """Every number read back from the services' APIs (what the demo prints is what they hold)."""
    ids = {a["id"] for a in demo.accounts}
    unit_ids = {u["id"] for u in demo.units}
    alerts = [a for a in await demo.all_pages("monitor", "/v1/alerts", limit=500) if a["account_id"] in ids]
    cases = [c for c in await demo.all_pages("notify", "/v1/cases", limit=200) if c["account_id"] in ids]
    interviews = [
        i
        for i in await demo.ok("notify", "GET", "/v1/interviews", params={"limit": 500})
        if i["unit_id"] in unit_ids
    ]
    month = today.replace(day=1).isoformat()
    closed = (today.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()  # last closed month
    ranking = await demo.ok(
        "scoring",
        "GET",
        "/v1/rankings",
        params={"period_kind": "month", "period_start": month, "region": DEMO_CITY, "limit": 500},
    )
    scored = [row for row in ranking if row["account_id"] in ids]
    statuses: Counter[str] = Counter()
    for account in await demo.all_pages("registry", "/v1/accounts", limit=500):
        if account["id"] in ids:
            statuses[account["status"]] += 1
    bulletin = await demo.call(
        "notify",
        "POST",
        "/v1/bulletins",
        demo.office_staff.get(DEMO_CITY),
        json={"region_code": DEMO_CITY, "period_kind": "month", "period_start": closed},
    )
    bulletin_id = bulletin.json().get("id") if bulletin.status_code == 201 else None
    if bulletin.status_code == 409:  # an earlier demo on this platform published the month's bulletin
        published = await demo.ok("notify", "GET", "/v1/bulletins", params={"limit": 200})
        bulletin_id = next(
            (
                b["id"]
                for b in published
                if (b["region_code"], b["period_kind"], b["period_start"]) == (DEMO_CITY, "month", closed)
            ),
            None,
        )
    if bulletin_id is None:
        demo.numbers.refused[f"bulletin {bulletin.status_code} {bulletin.json().get('code', '')}"] += 1
    return {
        "simulated_days": f"{today - timedelta(days=demo.days - 1)} … {today} ({demo.days})",
        "units": len(demo.units),
        "accounts": len(demo.accounts),
        "account_status": dict(statuses),
        "monitored_accounts": demo.numbers.monitored,
        "reviewed_posts": demo.numbers.reviewed_posts,
        "observed_posts": demo.numbers.observed_posts,
        "alerts_by_rule": dict(Counter(a["rule"] for a in alerts)),
        "alerts_open": sum(1 for a in alerts if a["state"] == "open"),
        "cases": len(cases),
        "cases_by_state": dict(Counter(c["state"] for c in cases)),
        "interviews": len(interviews),
        "scored_accounts_this_month": len(scored),
        "best_account": scored[0]["account_id"] if scored else None,
        "best_composite": scored[0]["composite"] if scored else None,
        "refused": dict(demo.numbers.refused),
        "urls": {
            **{f"{s} API docs": f"{urls[s]}/docs" for s in SERVICES if s in urls},
            "public leaderboard (晾晒台)": f"{urls.get('scoring', '')}/v1/public/leaderboard?"
            f"period_kind=month&period_start={closed}&region={DEMO_CITY}",
            "public announcements (公示)": f"{urls.get('registry', '')}/v1/public/announcements"
            "?region=330000",
            **(
                {"bulletin (通报)": f"{urls.get('notify', '')}/v1/bulletins/{bulletin_id}/html"}
                if bulletin_id
                else {}
            ),
        },
    }


def print_summary(console: Console, summary_doc: dict[str, Any]) -> None:
    console.rule("summary (read back from the APIs)")
    for key, value in summary_doc.items():  # soft wrap: a line is never broken, a URL stays whole
        if key != "urls":
            console.print(f"{key:<28} {value}", soft_wrap=True, highlight=False, markup=False)
    console.rule("worth opening")
    for title, url in summary_doc["urls"].items():
        console.print(f"{title:<30} {url}", soft_wrap=True, highlight=False, markup=False)


class NoPlatform(RuntimeError):
    """No platform the demo can drive: the message says what to do."""


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running `govmedia up`, the check `govmedia down` makes: a state.json left by a
    crash or a reboot may name a pid the system has given to another program since."""
    from govmedia_platform.cli import _alive as platform_alive  # cli imports this module lazily too

    return platform_alive(pid)


def running_platform(data_dir: Path) -> tuple[dict[str, str], Path]:
    """The service URLs and the clock file of the platform ``govmedia up`` runs on ``data_dir``."""
    state_file = data_dir / "state.json"
    start = (
        "Start it with `make run` (it stays in the foreground: use a second terminal), wait for its "
        "'ready in' line, then run `make demo` again."
    )
    if not state_file.exists():
        raise NoPlatform(f"No govmedia platform is running here ({state_file} does not exist). {start}")
    state = json.loads(state_file.read_text())
    if not state.get("clock_file"):  # said first: true whether that platform still runs or not
        raise NoPlatform(
            f"The platform that wrote {state_file} has no movable clock (GOVMEDIA_ENVIRONMENT=production, "
            "or it was started by an older govmedia), and the demo needs days to pass. Stop it and start "
            "a development platform with `make run`."
        )
    if not _alive(int(state.get("pid") or 0)):
        raise NoPlatform(
            f"The platform that wrote {state_file} (pid {state.get('pid')}) has stopped. {start}"
        )
    urls = {name: str(svc["url"]) for name, svc in state["services"].items()}
    missing = [s for s in SERVICES if s not in urls]
    if missing:
        raise NoPlatform(f"The running platform lacks {', '.join(missing)}. {start}")
    return urls, Path(state["clock_file"])


async def wait_ready(urls: dict[str, str], limit_seconds: float = 120.0) -> None:
    """Every service answers /readyz (the platform may still be starting, or restarting one)."""
    deadline = asyncio.get_running_loop().time() + limit_seconds
    async with httpx.AsyncClient(timeout=5) as client:
        for name, url in urls.items():
            while True:
                try:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise NoPlatform(
                        f"{name} at {url} is not ready after {limit_seconds:.0f}s: see `govmedia status` "
                        "and the service's log under .govmedia/logs/"
                    )
                await asyncio.sleep(1)


async def drive(
    urls: dict[str, str], clock: MovableTime, *, admin_password: str, console: Console, **options: Any
) -> dict[str, Any]:
    """The demo against the services at ``urls`` whose shared clock is ``clock``: its summary."""
    await wait_ready(urls)
    clients = {name: httpx.AsyncClient(base_url=url) for name, url in urls.items()}
    try:
        demo = Demo(clients, admin_password=admin_password, console=console, clock=clock, **options)
        try:
            return await demo.run(urls)
        except DemoRefused as exc:  # said before anything was written or the clock moved
            raise NoPlatform(str(exc)) from None
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))


def demo_command(
    *, data_dir: Path, scale: float, days: int, seed: int, admin_password: str, console: Console
) -> dict[str, Any]:
    """``govmedia demo``: the demo on the running platform; its summary printed and kept as JSON.

    Raises :class:`NoPlatform` (saying how to start one) when no platform runs on ``data_dir``.
    """
    data_dir = data_dir.resolve()
    urls, clock_file = running_platform(data_dir)
    clock = MovableClock(clock_file)
    console.print(f"driving the platform at {urls['registry']} … (its clock: {clock_file})")
    summary_doc = asyncio.run(
        drive(urls, clock, admin_password=admin_password, console=console, scale=scale, days=days, seed=seed)
    )
    if grafana := os.environ.get("GOVMEDIA_GRAFANA_URL"):  # when an operator runs Grafana (deploy/)
        summary_doc["urls"]["Grafana"] = grafana
    print_summary(console, summary_doc)
    behind = (datetime.now(SHANGHAI) - clock.now()).days
    where = f"{behind} days behind real time" if behind >= 0 else f"{-behind} days ahead of real time"
    saved = data_dir / "demo-summary.json"
    saved.write_text(json.dumps(summary_doc, ensure_ascii=False, indent=2))
    console.print(
        f"The platform's clock now reads {clock.now():%Y-%m-%d %H:%M} ({where}) "
        "and runs on from there, also after `make run` is restarted (the data is dated by it); "
        "`make clean` starts afresh on real time. "
        f"Sign in as admin. The summary is also in {saved}."
    )
    return summary_doc
