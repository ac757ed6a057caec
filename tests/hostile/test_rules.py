"""Rules that used to be raced or loosened: one live account per unit and platform, held by the database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


async def test_twenty_concurrent_duplicate_openings_exactly_one_is_accepted(served_registry: Served) -> None:
    served = served_registry
    s = served.setup
    unit_id = await s.unit("331004", "台州市路桥区市场监督管理局", "市场监管局")
    _, _, filer = await s.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    body = {
        "type": "open",
        "event_date": "2025-09-26",
        "account": {"name": "路桥市场监管", "platform": "douyin", "unit_id": unit_id},
    }
    async with httpx.AsyncClient(
        base_url=served.registry_url,
        headers={"Authorization": f"Bearer {filer}"},
        limits=httpx.Limits(max_connections=20),
        timeout=60,
    ) as http:
        answers = await asyncio.gather(*(http.post("/v1/filings", json=body) for _ in range(20)))

    accepted = [a for a in answers if a.status_code == 201]
    assert len(accepted) == 1, [a.status_code for a in answers]
    for refused in (a for a in answers if a.status_code != 201):
        assert refused.headers["content-type"].startswith(PROBLEM_JSON), refused.text
        problem: dict[str, Any] = refused.json()
        if refused.status_code == 409:  # lost the race at the database
            assert problem["code"] == "one-account-per-unit-per-platform", problem
            assert problem["rule"] == "uq_accounts_live_unit_platform"
        else:  # came after the winner committed: the naming check names rule R4
            assert refused.status_code == 422, refused.text
            assert any(v["rule"] == "R4" for v in problem["violations"]), problem
    async with httpx.AsyncClient(base_url=served.registry_url) as http:
        listed = await http.get(
            "/v1/accounts", params={"unit_id": unit_id}, headers={"Authorization": f"Bearer {filer}"}
        )
    assert [a["platform"] for a in listed.json()["items"]] == ["douyin"]


async def _put_settings(served: Served, code: str, settings: dict[str, Any]) -> httpx.Response:
    s = served.setup
    admin = await s.admin()
    current = await s.call("GET", f"/v1/regions/{code}/settings", admin)
    assert current.status_code == 200, current.text
    assert current.headers["etag"] == f'W/"{current.json()["version"]}"'  # GET gives what PUT checks
    return await s.call(
        "PUT",
        f"/v1/regions/{code}/settings",
        admin,
        json={"settings": settings},
        headers={"If-Match": current.headers["etag"]},
    )


def _refused_naming(r: httpx.Response, key: str, code: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == code and r.json()["key"] == key, r.json()


async def test_settings_that_would_break_final_approvals_are_refused_naming_the_key(
    served_registry: Served,
) -> None:
    served = served_registry
    r = await _put_settings(served, "330000", {"registry": {"announced_filing_types": ["change", "merge"]}})
    _refused_naming(r, "registry.announced_filing_types", "settings-inconsistent")
    assert "open" in r.json()["detail"]
    r = await _put_settings(
        served, "330000", {"registry": {"announced_filing_types": ["open", "merge", "deregister"]}}
    )
    assert r.status_code == 200, r.text  # changes and suspensions may take effect at once


async def test_a_county_may_tighten_but_not_loosen_what_the_levels_above_set(served_registry: Served) -> None:
    served = served_registry
    loosen = [
        ({"approval_levels": {"open": ["unit", "county"]}}, "registry.approval_levels"),
        ({"approver_roles": {"unit": ["unit_admin", "editor"]}}, "registry.approver_roles"),
        ({"announced_filing_types": ["open", "merge", "deregister"]}, None),  # the province allows this now
        ({"filing_deadline_workdays": 30}, "registry.filing_deadline_workdays"),
        ({"announcement_workdays": 3}, "registry.announcement_workdays"),
    ]
    for registry, key in loosen:
        r = await _put_settings(served, "331004", {"registry": registry})
        if key is None:
            assert r.status_code == 200, r.text
        else:
            _refused_naming(r, key, "loosens-higher-level")
    tighten = {
        "filing_deadline_workdays": 5,
        "approval_levels": {"open": ["unit", "county", "city", "province"]},
    }
    assert (await _put_settings(served, "331004", {"registry": tighten})).status_code == 200
    # unless a level above allows it for that key
    r = await _put_settings(
        served, "331000", {"authority": {"lower_levels_may_loosen": ["registry.approver_roles"]}}
    )
    assert r.status_code == 200, r.text
    r = await _put_settings(
        served, "331004", {"registry": {"approver_roles": {"unit": ["unit_admin", "approver"]}}}
    )
    assert r.status_code == 200, r.text
    # and a county cannot grant itself that allowance
    r = await _put_settings(
        served,
        "331003",
        {
            "authority": {"lower_levels_may_loosen": ["registry.approval_levels"]},
            "registry": {"approval_levels": {"open": ["unit", "county"]}},
        },
    )
    _refused_naming(r, "registry.approval_levels", "loosens-higher-level")
