"""The demo's closing summary, every number read back from the APIs, and ``govmedia demo`` itself.

``govmedia demo`` runs the five services in this process on a clock it can move (a FixedClock shared by all
five, like the end-to-end tests), on their own databases of an embedded PostgreSQL and an embedded broker,
served on local sockets; the demo drives them over real HTTP. It cannot drive the services ``govmedia up``
started: those run on the system clock, and accounts filed during a demo would stay under public
announcement (公示) for its 15 working days, so nothing would be live to monitor. With ``--serve`` the
services keep running after the summary until Ctrl-C, so the URLs it prints can be opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.demo import DEMO_CITY, SERVICES, Demo


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
    if bulletin_id is None:
        demo.numbers.refused[f"bulletin {bulletin.status_code} {bulletin.json().get('code', '')}"] += 1
    return {
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
    for key, value in summary_doc.items():
        if key != "urls":
            console.print(f"{key:<28} {value}")
    console.rule("worth opening")
    for title, url in summary_doc["urls"].items():
        console.print(f"{title:<30} {url}")


async def _verifier_of(registry_url: str) -> Any:
    from govmedia_common.auth import TokenVerifier

    async def keys() -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{registry_url}/.well-known/jwks.json")
            r.raise_for_status()
            return dict(r.json())

    return TokenVerifier(
        issuer="govmedia-registry",
        audience="govmedia",
        jwks_loader=keys,
        cache_seconds=30,
        min_refresh_seconds=0,
    )


@contextlib.asynccontextmanager
async def in_process_services(
    database_server_url: str, kafka_bootstrap: str, clock: FixedClock, admin_password: str
) -> AsyncIterator[dict[str, str]]:
    """The five services in this process on ``clock``, fresh databases, served on sockets: their URLs."""
    import os

    from govmedia_common.migrations import upgrade_async
    from govmedia_platform.sockets import serving
    from govmedia_platform.stack import create_databases, with_database

    os.environ["GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD"] = admin_password  # the demo's own registry
    urls: dict[str, str] = {}
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    async with contextlib.AsyncExitStack() as stack:
        for service in SERVICES:
            name = f"demo_{service}_{stamp}"
            await create_databases(database_server_url, [name])
            url = with_database(database_server_url, name)
            await upgrade_async(service, url)
            main = importlib.import_module(f"govmedia_{service}.main")
            settings = ServiceSettings(
                service_name=service,
                environment="development",
                database_url=url,
                kafka=KafkaSettings(bootstrap=kafka_bootstrap),
                log_json=False,
                log_level="WARNING",
                relay_idle_sleep_seconds=0.05,
            )
            kwargs: dict[str, Any] = {"clock": clock}
            if service != "registry":
                kwargs["verifier"] = await _verifier_of(urls["registry"])
            if service == "monitor":  # the demo runs the sweeps itself, as_of each simulated day
                kwargs["schedule"] = main.SchedulerSettings(sweep_enabled=False)
            urls[service] = await stack.enter_async_context(serving(main.create_app(settings, **kwargs)))
        yield urls


async def demo_command(
    *, data_dir: Path, scale: float, days: int, seed: int, serve: bool, console: Console
) -> dict[str, Any]:
    """``govmedia demo``: embedded stack, five services on a movable clock, the demo, the summary."""
    from govmedia_platform.launcher import start_infrastructure

    password = "govmedia-demo-admin"
    infra = await asyncio.to_thread(
        start_infrastructure, data_dir / "demo", lambda m: console.print(f"• {m}")
    )
    try:
        clock = FixedClock(datetime.now(SHANGHAI))
        async with in_process_services(
            infra.database_server_url, infra.kafka_bootstrap, clock, password
        ) as urls:
            from govmedia_common.kafka import all_topics, ensure_topics

            await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
            clients = {name: httpx.AsyncClient(base_url=url) for name, url in urls.items()}
            try:
                demo = Demo(
                    clients,
                    admin_password=password,
                    scale=scale,
                    days=days,
                    seed=seed,
                    console=console,
                    clock=clock,
                )
                summary_doc = await demo.run(urls)
            finally:
                await asyncio.gather(*(c.aclose() for c in clients.values()))
            if grafana := os.environ.get("GOVMEDIA_GRAFANA_URL"):  # when an operator runs Grafana (deploy/)
                summary_doc["urls"]["Grafana"] = grafana
            print_summary(console, summary_doc)
            console.print(f"sign in as admin / {password}")
            if serve:
                console.print("serving until Ctrl-C")
                await asyncio.Event().wait()
            return summary_doc
    finally:
        for part in (infra.broker, infra.postgres):
            if part is not None:
                part.stop()
