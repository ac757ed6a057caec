"""Every SQL query of the provisioned dashboards runs against the real migrated schemas, as the read-only
role Grafana uses — which may read every table but no secret column, and write nothing."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.readonly import READ_ONLY_ROLE, grant_read_only
from govmedia_platform.stack import SERVICES

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
PASSWORD = "read-only-" + uuid.uuid4().hex


def grafana_macros(query: str, region: str = "", platform: str = "") -> str:
    """Expand the Grafana variables and macros the panels use, the way Grafana would for a 7-day range."""
    query = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN now() - interval '7 days' AND now()", query)
    return query.replace("$region", region).replace("$platform", platform)


def sql_targets() -> list[tuple[str, str, str]]:
    """(dashboard/panel title, service, raw SQL) of every SQL panel and variable."""
    found: list[tuple[str, str, str]] = []
    for path in DASHBOARDS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for panel in doc["panels"]:
            for target in panel.get("targets", []):
                if "rawSql" in target:
                    service = target["datasource"]["uid"].removeprefix("govmedia-pg-")
                    found.append((f"{path.name}: {panel['title']}", service, target["rawSql"]))
        for variable in doc.get("templating", {}).get("list", []):
            uid = (variable.get("datasource") or {}).get("uid", "")
            if uid.startswith("govmedia-pg-"):
                found.append(
                    (f"{path.name}: ${variable['name']}", uid.removeprefix("govmedia-pg-"), variable["query"])
                )
    return found


def _dsn(url: str, user: str | None = None, password: str | None = None) -> str:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    if user is None:
        return dsn
    rest = dsn.split("@", 1)[1] if "@" in dsn else dsn.removeprefix("postgresql://")
    return f"postgresql://{user}:{password}@{rest}"


async def test_every_dashboard_query_runs_through_the_read_only_role(infra: Infrastructure) -> None:
    targets = sql_targets()
    assert {service for _, service, _ in targets} == set(SERVICES), "every service database has a panel"
    urls = {service: await fresh_database(infra, f"dash_{service}", service) for service in SERVICES}
    databases = {service: url.rsplit("/", 1)[1].split("?")[0] for service, url in urls.items()}
    report = await grant_read_only(infra.database_server_url, list(databases.values()), PASSWORD)
    assert any("withheld" in line and "password_hash" in line for line in report), report

    for title, service, query in targets:
        conn = await asyncpg.connect(_dsn(urls[service], READ_ONLY_ROLE, PASSWORD))
        try:
            for region, platform in (("", ""), ("330000", "wechat"), ("331004", "")):
                await conn.fetch(grafana_macros(query, region, platform))
        except asyncpg.PostgresError as exc:
            pytest.fail(f"{title} ({service}): {exc.__class__.__name__}: {exc}\n{query}")
        finally:
            await conn.close()


async def test_the_read_only_role_sees_no_secret_and_writes_nothing(infra: Infrastructure) -> None:
    url = await fresh_database(infra, "dash_ro_registry", "registry")
    database = url.rsplit("/", 1)[1].split("?")[0]
    await grant_read_only(infra.database_server_url, [database], PASSWORD)
    conn = await asyncpg.connect(_dsn(url, READ_ONLY_ROLE, PASSWORD))
    try:
        await conn.fetch("SELECT id, display_name FROM people")  # ordinary columns are readable
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT password_hash FROM people")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM signing_keys")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO regions (code, name) VALUES ('999999', 'x')")
    finally:
        await conn.close()


def _panel_sql(title: str) -> str:
    return next(query for where, _, query in sql_targets() if where.endswith(f": {title}"))


async def test_the_overdue_panel_counts_by_the_day_in_beijing_whatever_the_sessions_zone(
    infra: Infrastructure,
) -> None:
    """A case due yesterday in Beijing is overdue since Beijing's midnight, as notify's gauge says, in a
    Grafana session of any zone (before: PostgreSQL's current_date, the session zone's day, so in UTC-12 it
    was not overdue yet for 20 hours of each day, and in UTC+14 a case due today was overdue for 6)."""
    url = await fresh_database(infra, "dash_tz_notify", "notify")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    conn = await asyncpg.connect(_dsn(url))
    try:
        for n, due in enumerate((today - timedelta(days=1), today)):
            await conn.execute(
                "INSERT INTO cases (id, alert_id, account_id, unit_id, region_code, rule, severity, "
                "alert_class, period, state, opened_at, rectify_by, day_kind, ladder_year, ladder_ordinal, "
                "reminders_sent, version) VALUES ($1, $1, 'a', 'u', '331004', 'not_updated', 'violation', "
                "'not_updated', '2025-09', 'open', now(), $2, 'working', 2025, 1, 0, 1)",
                f"case-{n}",
                due,
            )
        query = grafana_macros(_panel_sql("Overdue rectifications (逾期未整改)"))
        for zone in ("Etc/GMT+12", "UTC", "Asia/Shanghai", "Etc/GMT-14"):  # UTC-12 … UTC+14
            await conn.execute(f"SET TIME ZONE '{zone}'")
            assert await conn.fetchval(query) == 1, f"a Grafana session in {zone}"
    finally:
        await conn.close()
