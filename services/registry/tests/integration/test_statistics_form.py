"""The statistics form (政务新媒体情况统计表, seed 001) for Taizhou, as JSON and CSV, for offices only.

Taizhou's registry, as built below (every account opened was filed on 26 September 2025 and took effect on
24 October 2025, after 15 working days of announcement):

    路桥 市场监管局   wechat 路桥市场监管   active, interaction on, certified
                      weibo  路桥市场监管   pending; filed 3 Nov for an event of 1 Sep: late
    路桥 区政府办     douyin 路桥政务服务   active, interaction off, outsourced, high attention
    路桥 教育局       wechat 路桥教育       opening rejected: never an account
    椒江 市场监管局   wechat 椒江市场监管   active, then suspended on 3 Nov 2025
"""

from __future__ import annotations

import csv
import io
from typing import Any, TypedDict

import pytest

from services.registry.tests.integration.factory import (
    Actor,
    HostUnit,
    Registry,
    Taizhou,
    assert_problem,
    decide,
    on,
    open_body,
    with_etag,
)

pytestmark = pytest.mark.integration

COUNTS = (
    "accounts",
    "active",
    "opened_in_period",
    "changed_in_period",
    "merged_in_period",
    "suspended_in_period",
    "deregistered_in_period",
    "late_filings_in_period",
    "with_interaction",
    "outsourced",
    "certified",
    "high_attention",
)
HEADERS_ZH = [
    "行政区划代码",
    "地区",
    "平台",
    "账号总数",
    "正常运行",
    "本期开设",
    "本期变更",
    "本期整合",
    "本期关停",
    "本期注销",
    "逾期备案",
    "开通互动",
    "委托代运营",
    "已认证",
    "高关注度",
    "本级政府开设账号",
    "主管单位",
    "已建立内容发布审核制度",
    "排查出问题",
    "问题已整改",
    "上年信息发布数量",
    "本期信息发布数量",
    "运行情况",
    "取得成效",
    "存在问题",
    "整改情况",
    "意见建议",
]
# Columns of seed 001 the registry cannot know (monitor, notify, review; the office's own words): empty.
UNKNOWN = (
    "problem_accounts_found",
    "problem_accounts_rectified",
    "posts_previous_year",
    "posts_in_period",
    "operation_status",
    "achievements",
    "problems",
    "rectification",
    "suggestions",
)
TAIZHOU_REGIONS = [
    "331000",
    "331002",
    "331003",
    "331004",
    "331022",
    "331023",
    "331024",
    "331081",
    "331082",
    "331083",
]


def row(
    code: str, name: str, platform: str = "all", *, government: str = "否", office: str = "", **counts: int
) -> dict[str, Any]:
    return {
        "region_code": code,
        "region_name": name,
        "platform": platform,
        **dict.fromkeys(COUNTS, 0),
        **counts,
        "government_account": government,
        "competent_office": office,
        "with_review_system": counts.get("with_review_system", 0),
        **dict.fromkeys(UNKNOWN),
    }


class Office(TypedDict, total=False):
    """The region's own columns of a row: an account of the government itself, the competent office."""

    government: str
    office: str


LUQIAO: Office = {"government": "是", "office": "台州市路桥区人民政府办公室"}
JIAOJIANG: Office = {"office": "台州市椒江区人民政府办公室"}
EXPECTED_2025 = {
    ("331000", "all"): row("331000", "台州市", office="台州市人民政府办公室"),
    ("331002", "all"): row(
        "331002",
        "椒江区",
        **JIAOJIANG,
        accounts=1,
        opened_in_period=1,
        suspended_in_period=1,
        with_interaction=1,
    ),
    ("331002", "wechat"): row(
        "331002",
        "椒江区",
        "wechat",
        **JIAOJIANG,
        accounts=1,
        opened_in_period=1,
        suspended_in_period=1,
        with_interaction=1,
    ),
    ("331003", "all"): row("331003", "黄岩区"),
    ("331004", "all"): row(
        "331004",
        "路桥区",
        **LUQIAO,
        accounts=3,
        active=2,
        opened_in_period=2,
        late_filings_in_period=1,
        with_interaction=1,
        outsourced=1,
        certified=1,
        high_attention=1,
    ),
    ("331004", "douyin"): row(
        "331004",
        "路桥区",
        "douyin",
        **LUQIAO,
        accounts=1,
        active=1,
        opened_in_period=1,
        outsourced=1,
        high_attention=1,
    ),
    ("331004", "wechat"): row(
        "331004",
        "路桥区",
        "wechat",
        **LUQIAO,
        accounts=1,
        active=1,
        opened_in_period=1,
        with_interaction=1,
        certified=1,
    ),
    ("331004", "weibo"): row("331004", "路桥区", "weibo", **LUQIAO, accounts=1),
}


async def _build_taizhou(registry: Registry) -> Taizhou:
    tz = await Taizhou.build(registry)
    market = await tz.host_unit()
    wechat = await tz.active_account(market, "路桥市场监管", "wechat")
    government = HostUnit(
        tz.county_office,
        await tz.factory.person(["unit_admin"], unit=tz.county_office),
        await tz.factory.person(["unit_admin"], unit=tz.county_office),
    )
    await tz.active_account(
        government,
        "路桥政务服务",
        "douyin",
        attention_tier="high",
        interaction_enabled=False,
        outsourcing={
            "vendor": "台州某文化传媒有限公司",
            "contract_start": "2025-01-01",
            "contract_end": "2026-12-31",
        },
    )
    jiaojiang = await tz.host_unit("台州市椒江区市场监督管理局", region_code="331002")
    jj_account = await tz.active_account(jiaojiang, "椒江市场监管", "wechat")

    registry.clock.set(on("2025-11-03"))
    suspend = await tz.file(
        jiaojiang,
        {"type": "suspend", "account_id": jj_account["id"], "event_date": "2025-11-03", "reason": "机构调整"},
    )
    await tz.approve_all(jiaojiang, suspend["id"])
    await tz.file(
        market,
        open_body(market.id, "路桥市场监管", "weibo", event_date="2025-09-01", interaction_enabled=False),
    )
    education = await tz.host_unit("台州市路桥区教育局", "教育局", ("教育",))
    refused = await tz.file(education, open_body(education.id, "路桥教育", event_date="2025-11-03"))
    assert (await decide(education.boss, refused["id"], "approve")).status_code == 200
    assert (await decide(tz.county, refused["id"], "reject", "已有同类账号,请整合")).status_code == 200
    certified = await with_etag(
        tz.county,
        "POST",
        f"/v1/accounts/{wechat['id']}/certification",
        f"/v1/accounts/{wechat['id']}",
        json={"certified": True},
    )
    assert certified.status_code == 200, certified.text
    return tz


async def _statistics(actor: Actor, **params: str) -> dict[tuple[str, str], dict[str, Any]]:
    r = await actor.get("/v1/reports/statistics", params=params)
    assert r.status_code == 200, r.text
    return {(x["region_code"], x["platform"]): x for x in r.json()["rows"]}


async def test_statistics_form_counts_taizhou_as_json_and_csv_for_offices_only(registry: Registry) -> None:
    tz = await _build_taizhou(registry)
    period = {"region": "331000", "period_start": "2025-01-01", "period_end": "2025-12-31"}

    rows = await _statistics(tz.city, **period)
    assert set(rows) == set(EXPECTED_2025) | {(c, "all") for c in TAIZHOU_REGIONS} and len(rows) == 14
    for key, expected in EXPECTED_2025.items():
        assert rows[key] == expected, key
    for code in TAIZHOU_REGIONS[4:]:  # the other counties: nothing on record
        assert all(rows[code, "all"][c] == 0 for c in COUNTS)

    # Counted by the business days things took effect: nothing happened in 2026 yet.
    next_year = await _statistics(
        tz.city, region="331000", period_start="2026-01-01", period_end="2026-12-31"
    )
    luqiao = next_year["331004", "all"]
    assert (luqiao["accounts"], luqiao["opened_in_period"], luqiao["late_filings_in_period"]) == (3, 0, 0)
    assert next_year["331002", "all"]["suspended_in_period"] == 0

    r = await tz.city.get("/v1/reports/statistics", params={**period, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    assert 'filename="statistics-331000-2025-12-31.csv"' in r.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [h.split()[0] for h in table[0]] == HEADERS_ZH
    columns = list((await tz.city.get("/v1/reports/statistics", params=period)).json()["columns"])
    as_csv = {(line[0], line[2]): line for line in table[1:]}
    assert len(as_csv) == 14
    for key, expected in EXPECTED_2025.items():
        assert as_csv[key] == ["" if expected[c] is None else str(expected[c]) for c in columns], key


async def test_statistics_form_is_for_competent_offices_and_auditors_of_the_region(
    registry: Registry,
) -> None:
    tz = await Taizhou.build(registry)
    unit = await tz.host_unit()
    auditor = await tz.factory.person(["auditor"], region_code="331000")
    client = await tz.factory.client("331000", ["registry:read"])
    assert (await auditor.get("/v1/reports/statistics")).status_code == 200
    assert_problem(await unit.filer.get("/v1/reports/statistics"), 403, "insufficient-role")
    assert_problem(await client.get("/v1/reports/statistics"), 403, "insufficient-role")
    assert_problem(
        await tz.sibling.get("/v1/reports/statistics", params={"region": "331004"}), 404, "not-found"
    )
    own = await _statistics(tz.sibling)  # default: the caller's own region, this year to date
    assert sorted(own) == [("331002", "all")]
    assert_problem(
        await tz.city.get(
            "/v1/reports/statistics", params={"period_start": "2025-12-01", "period_end": "2025-01-01"}
        ),
        422,
        "invalid-period",
    )


# The indicators of seed 001's form (政务新媒体情况统计表), each with the column that carries it.
SEED_001_INDICATORS = {
    "开设的新媒体数量": "accounts",
    "运行情况": "operation_status",
    "取得成效": "achievements",
    "排查出问题的新媒体数量": "problem_accounts_found",
    "存在问题": "problems",
    "问题已整改的新媒体数量": "problem_accounts_rectified",
    "整改情况": "rectification",
    "具有互动功能的新媒体数量": "with_interaction",
    "已建立内容发布审核制度的新媒体数量": "with_review_system",
    "委托其他单位运营的新媒体数量": "outsourced",
    "上年信息发布数量": "posts_previous_year",
    "本期信息发布数量": "posts_in_period",
    "县级人民政府/市政府部门是否开设新媒体": "government_account",
    "监管本县/本部门该项工作的行政机构名称": "competent_office",
    "意见建议": "suggestions",
}


async def test_statistics_form_has_every_column_of_seed_001_and_invents_no_value(registry: Registry) -> None:
    tz = await Taizhou.build(registry)
    market = await tz.host_unit()
    await tz.active_account(market, "路桥市场监管", "wechat", operators={"reviewers": ["王审核"]})
    await tz.active_account(market, "路桥市场监管", "weibo")
    r = await tz.city.get("/v1/reports/statistics", params={"region": "331000", "period_end": "2025-12-31"})
    assert r.status_code == 200, r.text
    form = r.json()
    assert set(SEED_001_INDICATORS.values()) <= set(form["columns"])
    luqiao = {x["platform"]: x for x in form["rows"] if x["region_code"] == "331004"}
    assert (luqiao["all"]["accounts"], luqiao["all"]["with_review_system"]) == (2, 1)
    assert (luqiao["wechat"]["with_review_system"], luqiao["weibo"]["with_review_system"]) == (1, 0)
    # What the registry cannot know is empty in every row and says where it will come from.
    for column in UNKNOWN:
        assert all(x[column] is None for x in form["rows"]), column
        assert form["column_sources"][column]["source"] in ("pending", "reporting office"), column
    assert form["column_sources"]["posts_in_period"]["note"].startswith("pending review/monitor")
    assert form["column_sources"]["accounts"] == {"source": "registry"}
    assert form["form"]["reporting_unit"] == "台州市人民政府办公室"
