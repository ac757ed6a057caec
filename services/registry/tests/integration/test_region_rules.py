"""Approval chains and deadlines are per-region settings: a province that requires its own approval for
openings gets a fourth level, a city that shortens the filing deadline gets it, and children inherit."""

from __future__ import annotations

from typing import Any

import pytest

from .factory import Factory, Registry, assert_problem, decide, open_body

pytestmark = pytest.mark.integration


async def _settings(actor: Any, code: str, registry_section: dict[str, Any]) -> None:
    current = await actor.get(f"/v1/regions/{code}/settings")
    headers = {"If-Match": f'W/"{current.json()["version"]}"'} if current.json()["version"] else {}
    r = await actor.put(
        f"/v1/regions/{code}/settings", json={"settings": {"registry": registry_section}}, headers=headers
    )
    assert r.status_code == 200, r.text


async def test_a_province_requiring_its_own_approval_adds_a_fourth_level_for_its_districts(
    registry: Registry,
) -> None:
    f = Factory(registry)
    shaanxi = await f.first_admin_of("610000")
    await _settings(shaanxi, "610000", {"approval_levels": {"open": ["unit", "county", "city", "province"]}})
    effective = (await shaanxi.get("/v1/regions/610113/settings")).json()["effective"]["registry"]
    assert effective["approval_levels"]["open"] == ["unit", "county", "city", "province"]
    assert effective["approval_levels"]["suspend"] == ["unit", "county", "city"]  # only openings changed

    offices = {code: await f.office(code, by=shaanxi) for code in ("610113", "610100", "610000")}
    unit = await f.unit("610113", "西安市雁塔区教育局", "教育局", ("教育",), by=shaanxi)
    filer = await f.person(["unit_admin"], unit=unit, by=shaanxi)
    head = await f.person(["unit_admin"], unit=unit, by=shaanxi)
    staff = {code: await f.person(["office_staff"], unit=o, by=shaanxi) for code, o in offices.items()}

    r = await filer.post("/v1/filings", json=open_body(unit["id"], "雁塔教育"))
    assert r.status_code == 201, r.text
    filing = r.json()
    assert filing["levels"] == ["unit", "county", "city", "province"]
    for approver in (head, staff["610113"], staff["610100"]):
        assert (await decide(approver, filing["id"], "approve")).status_code == 200
    waiting = (await filer.get(f"/v1/filings/{filing['id']}")).json()
    assert waiting["status"] == "pending" and waiting["current_level"] == "province"
    # the city cannot take the province's step
    assert_problem(await decide(staff["610100"], filing["id"], "approve"), 403)
    done = await decide(staff["610000"], filing["id"], "approve")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"


async def test_a_city_setting_overrides_the_default_deadline_for_its_counties_only(
    registry: Registry,
) -> None:
    f = Factory(registry)
    admin = await registry.admin()
    await _settings(admin, "331000", {"filing_deadline_workdays": 5})
    luqiao_unit = await f.unit("331004", "台州市路桥区文化和广电旅游体育局", "文广旅体局", ("文化", "旅游"))
    hangzhou_unit = await f.unit("330102", "杭州市上城区文化和广电旅游体育局", "文广旅体局", ("文化", "旅游"))
    luqiao_filer = await f.person(["unit_admin"], unit=luqiao_unit)
    hangzhou_filer = await f.person(["unit_admin"], unit=hangzhou_unit)
    # Event Friday 2025-09-26: 5 working days → Sun 28 Sep (swapped working day), Mon 29, Tue 30, then the
    # National Day holiday (1–8 Oct), Thu 9 Oct, Fri 10 Oct → 10 Oct; the default 7 reach Mon 13 Oct.
    r = await luqiao_filer.post("/v1/filings", json=open_body(luqiao_unit["id"], "路桥文化旅游"))
    assert r.status_code == 201, r.text
    assert r.json()["deadline"] == "2025-10-10"
    r = await hangzhou_filer.post("/v1/filings", json=open_body(hangzhou_unit["id"], "上城文化旅游"))
    assert r.status_code == 201, r.text
    assert r.json()["deadline"] == "2025-10-13"


async def test_a_misspelt_or_invalid_registry_setting_is_refused_and_names_the_key(
    registry: Registry,
) -> None:
    admin = await registry.admin()
    r = await admin.put(
        "/v1/regions/331000/settings", json={"settings": {"registry": {"filing_deadline": 7}}}
    )
    body = assert_problem(r, 422)
    assert "filing_deadline" in body["detail"]
    r = await admin.put(
        "/v1/regions/331000/settings",
        json={"settings": {"registry": {"approval_levels": {"open": ["city", "unit"]}}}},
    )
    assert_problem(r, 422)
