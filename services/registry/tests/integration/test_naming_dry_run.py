"""Issue 10's naming cases through the API: what filing answers, the dry-run naming check answers too.

路桥发布 (a district government office, ordinary duties) is accepted on WeChat and on Weibo; a second
WeChat account of the same unit (R4), a name without the region (R1), a person's account (R5) and a
campaign account (R6) are refused, each naming its rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.registry.tests.integration.factory import (
    START,
    Actor,
    Registry,
    Taizhou,
    assert_problem,
    open_body,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


@pytest.fixture(autouse=True)
def _clock_at_start(module_registry: Registry) -> None:
    module_registry.clock.set(START)


async def _dry_run(actor: Actor, unit_id: str, name: str, platform: str) -> dict[str, Any]:
    r = await actor.post("/v1/naming-checks", json={"name": name, "unit_id": unit_id, "platform": platform})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _file(actor: Actor, unit_id: str, name: str, platform: str) -> tuple[int, list[str], str | None]:
    """Status, broken rules and problem code of filing an opening with this name."""
    r = await actor.post("/v1/filings", json=open_body(unit_id, name, platform))
    if r.status_code == 201:
        return 201, [], None
    body = assert_problem(r, 422)
    return 422, [v["rule"] for v in body["violations"]], body["code"]


async def test_generic_release_name_of_a_government_office_on_two_platforms_is_accepted(tz: Taizhou) -> None:
    office = tz.county_office  # 台州市路桥区人民政府办公室, duties 政务公开 and 政务服务: nothing about 发布
    filer = await tz.factory.person(["unit_admin"], unit=office)
    for platform in ("wechat", "weibo"):
        check = await _dry_run(filer, office["id"], "路桥发布", platform)
        assert (check["compliant"], check["violations"]) == (True, []), check
        assert await _file(filer, office["id"], "路桥发布", platform) == (201, [], None)

    # A second WeChat account of the same unit: R4, and the dry run says the same.
    check = await _dry_run(filer, office["id"], "路桥发布", "wechat")
    assert [v["rule"] for v in check["violations"]] == ["R4"] and not check["compliant"]
    assert "微信" in check["violations"][0]["message_zh"]
    assert await _file(filer, office["id"], "路桥发布", "wechat") == (422, ["R4"], "naming-r4")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("市场监管在线", "R1"),  # no region in the name
        ("路桥市场监管张三说", "R5"),  # a person speaking
        ("路桥市场监管2026专项整治活动", "R6"),  # one campaign
        ("路桥发布", "R2"),  # generic release words: this unit does not publish government information
    ],
)
async def test_names_breaking_one_rule_are_refused_naming_it_and_the_dry_run_agrees(
    tz: Taizhou, name: str, rule: str
) -> None:
    hu = await tz.host_unit()
    check = await _dry_run(hu.filer, hu.id, name, "douyin")
    assert [v["rule"] for v in check["violations"]] == [rule], check
    status, rules, code = await _file(hu.filer, hu.id, name, "douyin")
    assert (status, rules, code) == (422, [rule], f"naming-{rule.lower()}")


async def test_a_person_named_inside_a_government_name_is_refused_as_personal(tz: Taizhou) -> None:
    office = tz.sibling_office  # Jiaojiang's office: no account yet, so only R5 can fire
    name = "台州市椒江区人民政府张三说政务"
    check = await _dry_run(tz.sibling, office["id"], name, "toutiao")
    assert [v["rule"] for v in check["violations"]] == ["R5"] and "张三" in check["violations"][0][
        "message_zh"
    ]
    assert await _file(tz.sibling, office["id"], name, "toutiao") == (422, ["R5"], "naming-r5")


async def test_the_dry_run_sees_only_units_of_the_callers_region(tz: Taizhou) -> None:
    r = await tz.sibling.post(
        "/v1/naming-checks", json={"name": "路桥发布", "unit_id": tz.county_office["id"], "platform": "weibo"}
    )
    assert_problem(r, 404, "not-found")
