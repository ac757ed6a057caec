"""Bad input is a 422 problem naming the field; an unknown id is a 404 problem; nothing is half-done."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.registry.tests.integration.factory import (
    Actor,
    Registry,
    Taizhou,
    assert_problem,
    open_body,
)

pytestmark = pytest.mark.integration

UNKNOWN = str(uuid.uuid4())


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


def _locations(problem: dict[str, Any]) -> list[str]:
    return [e["location"] for e in problem["errors"]]


UNIT = {"name": "台州市路桥区司法局", "short_name": "司法局", "region_code": "331004"}
PERSON = {
    "username": "lq-editor",
    "display_name": "编辑",
    "password": "long-enough-pw",
    "region_code": "331004",
    "roles": ["editor"],
}

INVALID = [
    # (who, method, path, json, params, the location the problem must name: a path of the body as sent,
    # without the tag of the filing type pydantic puts in it)
    ("admin", "POST", "/v1/units", {**UNIT, "region_code": "33100"}, None, "body.region_code"),
    ("admin", "POST", "/v1/units", {**UNIT, "kind": "ministry"}, None, "body.kind"),
    ("admin", "POST", "/v1/units", {**UNIT, "founded": "1949"}, None, "body.founded"),
    ("admin", "POST", "/v1/people", {**PERSON, "password": "short"}, None, "body.password"),
    ("admin", "POST", "/v1/people", {**PERSON, "roles": ["superuser"]}, None, "body.roles.0"),
    ("admin", "POST", "/v1/people", {**PERSON, "username": "张三"}, None, "body.username"),
    ("filer", "POST", "/v1/filings", "open:platform=myspace", None, "body.account.platform"),
    ("filer", "POST", "/v1/filings", "open:review_levels=1", None, "body.account.review_levels"),
    ("filer", "POST", "/v1/filings", "event_date=2025-02-30", None, "body.event_date"),
    ("filer", "POST", "/v1/filings", "type=close", None, "body"),
    ("filer", "GET", "/v1/accounts", None, {"region": "33"}, "query.region"),
    ("filer", "GET", "/v1/accounts", None, {"limit": 0}, "query.limit"),
    ("admin", "GET", "/v1/reports/statistics", None, {"region": "33100"}, "query.region"),
    ("admin", "GET", "/v1/reports/statistics", None, {"format": "xlsx"}, "query.format"),
    ("filer", "GET", "/v1/calendar/workdays/add", None, {"start": "2025-09-26", "days": -1}, "query.days"),
    ("filer", "GET", "/v1/calendar/workdays/add", None, {"start": "26/09/2025", "days": 7}, "query.start"),
]


def _filing(unit_id: str, spec: str) -> dict[str, Any]:
    body = open_body(unit_id, "路桥市场监管")
    key, _, value = spec.removeprefix("open:").partition("=")
    if spec.startswith("open:"):
        body["account"][key] = int(value) if value.isdigit() else value
    else:
        body[key] = value
    return body


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "params", "location"),
    INVALID,
    ids=[f"{m} {p} {loc}" for _, m, p, _, _, loc in INVALID],
)
async def test_invalid_input_is_a_422_problem_naming_the_field(
    tz: Taizhou,
    module_registry: Registry,
    who: str,
    method: str,
    path: str,
    body: Any,
    params: Any,
    location: str,
) -> None:
    hu = await tz.host_unit()
    actor: Actor = hu.filer if who == "filer" else await module_registry.admin()
    if isinstance(body, str):
        body = _filing(hu.id, body)
    problem = assert_problem(
        await actor.request(method, path, json=body, params=params), 422, "validation-error"
    )
    assert location in _locations(problem), problem
    assert location in problem["detail"]
    if location == "body":  # an unknown filing type: the discriminator is named in the message
        assert any("'type'" in e["message"] for e in problem["errors"]), problem
    if path == "/v1/filings":  # nothing was filed
        assert (await hu.filer.get("/v1/accounts", params={"unit_id": hu.id})).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/accounts/{UNKNOWN}",
        f"/v1/accounts/{UNKNOWN}/history",
        f"/v1/filings/{UNKNOWN}",
        f"/v1/units/{UNKNOWN}",
        "/v1/regions/339999/settings",
        "/v1/no-such-endpoint",
    ],
)
async def test_unknown_ids_are_404_problems(module_registry: Registry, path: str) -> None:
    admin = await module_registry.admin()
    assert_problem(await admin.get(path), 404, "not-found")


async def test_a_region_code_that_cannot_be_one_is_a_422_naming_it(module_registry: Registry) -> None:
    """Six digits, as every region parameter of the platform (the monitor's and scoring's too)."""
    admin = await module_registry.admin()
    problem = assert_problem(await admin.get("/v1/regions/33100/settings"), 422, "validation-error")
    assert [e["location"] for e in problem["errors"]] == ["path.code"], problem


async def test_writes_about_unknown_things_are_404_or_422_problems(
    tz: Taizhou, module_registry: Registry
) -> None:
    admin = await module_registry.admin()
    hu = await tz.host_unit()
    any_version = {"If-Match": "*"}
    assert_problem(
        await admin.post(
            f"/v1/filings/{UNKNOWN}/decisions", json={"decision": "approve"}, headers=any_version
        ),
        404,
        "not-found",
    )
    assert_problem(
        await hu.filer.patch(
            f"/v1/accounts/{UNKNOWN}", json={"interaction_enabled": False}, headers=any_version
        ),
        404,
        "not-found",
    )
    assert_problem(
        await hu.filer.post(
            "/v1/filings",
            json={"type": "suspend", "account_id": UNKNOWN, "event_date": "2025-09-26", "reason": "停运"},
        ),
        404,
        "not-found",
    )
    assert_problem(
        await hu.filer.post("/v1/filings", json=open_body(UNKNOWN, "路桥市场监管")), 422, "unknown-unit"
    )
    assert_problem(
        await admin.post("/v1/units", json={**UNIT, "region_code": "339999"}), 422, "unknown-region"
    )
    assert_problem(await admin.put("/v1/regions/339999/settings", json={"settings": {}}), 404, "not-found")
    assert_problem(await admin.post("/v1/people", json={**PERSON, "unit_id": UNKNOWN}), 422, "unknown-unit")


async def test_domain_input_errors_are_named_problems(tz: Taizhou, module_registry: Registry) -> None:
    admin = await module_registry.admin()
    hu = await tz.host_unit()
    account = await tz.active_account(hu)
    assert_problem(
        await hu.filer.post(
            "/v1/filings",
            json={
                "type": "merge",
                "account_id": account["id"],
                "merged_account_ids": [account["id"]],
                "event_date": "2025-10-24",
                "reason": "整合",
            },
        ),
        422,
        "invalid-merge",
    )
    assert_problem(
        await hu.filer.post(
            "/v1/filings",
            json={
                "type": "change",
                "account_id": account["id"],
                "event_date": "2025-10-24",
                "changes": {},
                "reason": "无",
            },
        ),
        422,
        "no-changes",
    )
    assert_problem(
        await admin.put(
            "/v1/regions/331004/settings", json={"settings": {"registry": {"filing_deadline_workdays": 0}}}
        ),
        422,
        "invalid-registry-rules",
    )
    assert_problem(
        await admin.put("/v1/calendar/2031", json={"holidays": [], "workdays": ["2031-01-06"]}),
        422,
        "calendar-workday-not-weekend",
    )
    assert_problem(
        await admin.put("/v1/calendar/1999", json={"holidays": [], "workdays": []}), 422, "invalid-year"
    )
    assert_problem(
        await module_registry.client.post("/v1/auth/token", data={"grant_type": "implicit"}),
        400,
        "unsupported-grant-type",
    )
    assert_problem(await hu.filer.get("/v1/accounts", params={"cursor": "%%%"}), 422, "invalid-cursor")
    assert_problem(
        await hu.filer.post(
            "/v1/filings", json=open_body(hu.id, "路桥市场监管"), headers={"Idempotency-Key": "k" * 201}
        ),
        400,
        "invalid-idempotency-key",
    )
