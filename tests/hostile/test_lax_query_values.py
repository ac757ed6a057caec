"""Query parameter values written another way than their type's one form, over sockets to the five services.

What the outside round found: a query string is text, and the lax reading took ``?limit=10.0``,
``?limit=+10``, ``?limit=1_0`` and ``?limit= 10`` as page sizes, ``?overdue=yes``, ``on``, ``1``, ``t`` or
``True`` as true (``no``, ``off``, ``0`` as false), and ``?day=2025-10-14T00:00`` as a day: an integrator's
bug was never told, and the same request meant one thing here and was refused at the next service. The
rule of the platform's query strings, as of its JSON bodies: an integer is decimal digits (``50``), a
boolean ``true`` or ``false``, a date ``YYYY-MM-DD``; anything else is a 422 naming ``query.<name>``.
The parameters are read from each service's own OpenAPI (a parameter added later is probed too), public
routes included; an unknown enum value is a 422 naming its parameter too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

LAX: dict[str, list[str]] = {
    "integer": ["10.0", "+10", "1_0", " 10", "10 ", "1e3", "0x10", "١٠"],
    "boolean": ["yes", "no", "on", "off", "1", "0", "t", "True", "TRUE", " true"],
    "date": ["2025-10-14T00:00", "2025-10-14T00:00:00", "2025-1-4", " 2025-10-14", "2026-13-01", "20251014"],
}
ALL_ROLES = ("office_staff", "office_admin", "unit_admin", "auditor", "approver", "editor")
SCOPES = {
    "monitor": ("monitor:read", "monitor:write", "monitor:ingest"),
    "notify": ("notify:read", "notify:write"),
    "scoring": ("scoring:read", "scoring:write"),
}
PATH_VALUES = {"year": "2026", "kind": "sensitive", "region_code": "330000", "code": "330000"}


def _kind(schema: dict[str, Any]) -> str | None:
    options = schema.get("anyOf", [schema])
    kinds = {o.get("format") if o.get("format") == "date" else o.get("type") for o in options} - {"null"}
    kind = kinds.pop() if len(kinds) == 1 else None
    return kind if kind in LAX else None


def _enum(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            option = components[option["$ref"].rsplit("/", 1)[-1]]
        if "enum" in option:
            return True
    return False


def probes(openapi: dict[str, Any]) -> Iterator[tuple[str, str, str, bool]]:
    """(path, parameter, kind or 'enum', public) for every typed query parameter of a GET."""
    components = openapi.get("components", {}).get("schemas", {})
    for path, operations in openapi["paths"].items():
        get = operations.get("get")
        if get is None or not path.startswith(("/v1/", "/.well-known/")):
            continue
        public = not get.get("security")
        url = path
        for p in get.get("parameters", []):
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", PATH_VALUES.get(p["name"], str(uuid.uuid4())))
        for p in get.get("parameters", []):
            if p["in"] != "query":
                continue
            kind = _kind(p["schema"]) or ("enum" if _enum(p["schema"], components) else None)
            if kind is not None:
                yield url, p["name"], kind, public


async def _misread(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> tuple[int, list[str]]:
    """How many lax values were sent, and what each not refused naming its parameter answered."""
    openapi = (await client.get("/openapi.json")).json()
    sent, wrong = 0, []
    for url, name, kind, public in probes(openapi):
        caller = anonymous if public else client
        for value in LAX.get(kind, ["no-such-value"]):
            sent += 1
            r = await caller.get(url, params={name: value})
            located = (
                r.status_code == 422
                and r.headers["content-type"].startswith(PROBLEM_JSON)
                and f"query.{name}" in [e["location"] for e in r.json().get("errors", [])]
            )
            if not located:
                wrong.append(f"GET {url}?{name}={value!r}: {r.status_code} {r.text[:160]}")
    return sent, wrong


async def test_every_typed_query_parameter_of_the_supervision_services_takes_its_one_form(
    supervision: Supervision,
) -> None:
    wrong: list[str] = []
    total = 0
    for service, url in (
        ("monitor", supervision.monitor_url),
        ("notify", supervision.notify_url),
        ("scoring", supervision.scoring_url),
    ):
        token = supervision.token(roles=ALL_ROLES, scopes=SCOPES[service], region="330000")
        sent, misread = await _misread(supervision.client(url, token), supervision.client(url))
        total += sent
        wrong += misread
    assert total > 60, total  # limits, days, flags and enums of the three services
    assert not wrong, "\n".join(wrong)


async def test_every_typed_query_parameter_of_the_registry_and_the_review_takes_its_one_form(
    served: Served,
) -> None:
    token = await served.setup.admin()
    wrong: list[str] = []
    total = 0
    for url in (served.registry_url, served.review_url):
        async with (
            httpx.AsyncClient(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as client,
            httpx.AsyncClient(base_url=url, timeout=60) as anonymous,
        ):
            sent, misread = await _misread(client, anonymous)
        total += sent
        wrong += misread
    assert total > 60, total
    assert not wrong, "\n".join(wrong)


async def test_the_one_form_of_each_kind_is_taken(supervision: Supervision) -> None:
    notify = supervision.notify_user(region="330000")
    for overdue in ("true", "false"):
        r = await notify.get("/v1/cases", params={"overdue": overdue, "limit": "10"})
        assert r.status_code == 200, r.text
    lax = await notify.get("/v1/cases", params={"overdue": "yes"})
    assert lax.status_code == 422, lax.text
    assert "true or false" in lax.json()["errors"][0]["message"] and "'yes'" in lax.text, lax.text
    scoring = supervision.client(supervision.scoring_url)  # public
    r = await scoring.get(
        "/v1/public/leaderboard",
        params={"period_kind": "day", "period_start": "2025-10-14", "region": "330000", "limit": "5"},
    )
    assert r.status_code in (200, 404), r.text  # 404: no region named yet; never a 422 for the forms
    assert r.status_code != 422
    bad = await scoring.get(
        "/v1/public/leaderboard",
        params={"period_kind": "day", "period_start": "2025-10-14", "region": "330000", "limit": "5.0"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "query.limit", bad.text


@pytest.mark.parametrize("year", ["2026.0", "+2026", "2_026", "%202026"])
async def test_a_typed_path_parameter_takes_its_one_form_too(served: Served, year: str) -> None:
    """``GET /v1/calendar/2026.0`` (and ``+2026``, ``2_026``, `` 2026``) answered the calendar of 2026."""
    token = await served.setup.admin()
    async with httpx.AsyncClient(
        base_url=served.registry_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as registry:
        r = await registry.get(f"/v1/calendar/{year}")
        fine = await registry.get("/v1/calendar/2026")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert [e["location"] for e in r.json()["errors"]] == ["path.year"], r.json()
    assert fine.status_code == 200, fine.text
