"""Account naming rules R1–R6 (seed 000) as the API applies them to opening filings.

R1 the name contains a county-level-or-higher region of the unit's own path; R2 it relates to the unit's
duties; R3 a unit uses one name on every platform; R4 one account per unit per platform; R5 no account in a
person's name; R6 no account for a single campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.registry.tests.integration.factory import Actor, Factory, Registry, assert_problem, open_body

pytestmark = pytest.mark.integration

# key → (region, unit name, short name without the region, duty keywords)
UNITS = {
    "路桥市场监管局": ("331004", "台州市路桥区市场监督管理局", "市场监管局", ("市场监管", "食品安全")),
    "路桥综合执法局": ("331004", "台州市路桥区综合行政执法局", "综合执法局", ("综合执法", "城市管理")),
    "路桥新闻办": ("331004", "台州市路桥区人民政府新闻办公室", "区政府新闻办", ("发布", "新闻")),
    "路桥便民中心": ("331004", "台州市路桥区便民服务中心", "便民服务中心", ("12345", "便民服务")),
    "路桥文广旅体局": ("331004", "台州市路桥区文化和广电旅游体育局", "文广旅体局", ("文化", "旅游", "读书")),
    "台州公安局": ("331000", "台州市公安局", "公安局", ("公安", "警务")),
    "浙江人社厅": ("330000", "浙江省人力资源和社会保障厅", "人社厅", ("人社", "就业", "社保")),
    "广西新闻办": ("450000", "广西壮族自治区人民政府新闻办公室", "新闻办", ("发布", "新闻")),
}


@dataclass(frozen=True)
class Case:
    label: str
    name: str
    platform: str
    unit: str
    breaks: frozenset[str]  # the rules the name breaks; empty: the filing is accepted
    existing: tuple[tuple[str, str], ...] = ()  # accounts (platform, name) the unit already has


def ok(label: str, name: str, platform: str, unit: str, *existing: tuple[str, str]) -> Case:
    return Case(label, name, platform, unit, frozenset(), existing)


def refused(label: str, name: str, platform: str, unit: str, rules: str, *existing: tuple[str, str]) -> Case:
    return Case(label, name, platform, unit, frozenset(rules.split()), existing)


CASES = [
    ok("short-region-and-duty", "路桥市场监管", "wechat", "路桥市场监管局"),
    ok("full-unit-name", "台州市路桥区综合行政执法局", "weibo", "路桥综合执法局"),
    ok("government-news-office", "路桥发布", "douyin", "路桥新闻办"),  # the real Luqiao account
    ok("hotline-number-is-no-year", "路桥12345", "wechat", "路桥便民中心"),
    ok("city-level-unit", "台州公安", "douyin", "台州公安局"),
    ok("province-level-unit", "浙江人社", "toutiao", "浙江人社厅"),
    ok("autonomous-region-short-form", "广西发布", "weibo", "广西新闻办"),  # 广西壮族自治区 → 广西
    ok(
        "same-name-on-a-second-platform",
        "路桥市场监管",
        "weibo",
        "路桥市场监管局",
        ("wechat", "路桥市场监管"),
    ),
    refused("R1-no-region", "市场监管服务", "wechat", "路桥市场监管局", "R1"),
    refused("R1-a-sibling-county", "椒江市场监管", "wechat", "路桥市场监管局", "R1"),
    refused("R2-region-without-duties", "浙江发布", "wechat", "路桥市场监管局", "R2"),
    refused("R2-another-bureaus-duties", "路桥旅游", "wechat", "路桥市场监管局", "R2"),
    refused(
        "R3-another-name-elsewhere",
        "路桥区市场监管局",
        "weibo",
        "路桥市场监管局",
        "R3",
        ("wechat", "路桥市场监管"),
    ),
    refused(
        "R4-second-account-on-platform",
        "路桥市场监管",
        "wechat",
        "路桥市场监管局",
        "R4",
        ("wechat", "路桥市场监管"),
    ),
    refused("R5-a-person-speaking", "张三局长说", "douyin", "路桥市场监管局", "R1 R2 R5"),
    refused("R5-a-personal-studio", "路桥市场监管老李工作室", "douyin", "路桥市场监管局", "R5"),
    refused("R6-dated-festival-campaign", "2026路桥读书节活动", "douyin", "路桥文广旅体局", "R6"),
    refused("R6-special-campaign", "路桥区市场监管局食品安全专项整治", "weibo", "路桥市场监管局", "R6"),
]


@pytest.fixture(scope="module")
async def admins(module_registry: Registry) -> dict[str, Actor]:
    factory = Factory(module_registry)
    return {"33": await factory.admin(), "45": await factory.first_admin_of("450000")}


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
async def test_opening_filing_applies_the_naming_rules(
    case: Case, module_registry: Registry, admins: dict[str, Actor]
) -> None:
    region, name, short_name, keywords = UNITS[case.unit]
    factory = Factory(module_registry)
    admin = admins[region[:2]]
    unit = await factory.unit(region, name, short_name, keywords, by=admin)
    filer = await factory.person(["unit_admin"], unit=unit, by=admin)
    for platform, existing_name in case.existing:
        r = await filer.post("/v1/filings", json=open_body(unit["id"], existing_name, platform))
        assert r.status_code == 201, r.text

    r = await filer.post("/v1/filings", json=open_body(unit["id"], case.name, case.platform))

    accounts = (await filer.get("/v1/accounts", params={"unit_id": unit["id"]})).json()["items"]
    if not case.breaks:
        assert r.status_code == 201, r.text
        assert r.json()["payload"]["account"]["name"] == case.name
        assert len(accounts) == len(case.existing) + 1
        return
    problem = assert_problem(r, 422, f"naming-{min(case.breaks).lower()}")
    assert {v["rule"] for v in problem["violations"]} == case.breaks
    assert all(v["message_zh"] and v["message_en"] for v in problem["violations"])
    assert len(accounts) == len(case.existing)  # nothing was kept of the refused filing
