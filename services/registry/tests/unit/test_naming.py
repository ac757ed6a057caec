"""Account naming rules (命名规范, seed 000) on realistic names of Luqiao, Taizhou units."""

from __future__ import annotations

from typing import TypedDict

import pytest

from govmedia_common.events import AccountStatus, Platform
from govmedia_registry.accounts.naming import (
    DEFAULT_CAMPAIGN_MARKERS,
    ExistingAccount,
    NamingRule,
    NamingViolation,
    UnitInfo,
    check_account_name,
)
from govmedia_registry.units.domain import UnitKind

R1, R2, R3, R4, R5, R6 = (
    NamingRule.R1_REGION,
    NamingRule.R2_DUTIES,
    NamingRule.R3_SAME_NAME,
    NamingRule.R4_ONE_PER_PLATFORM,
    NamingRule.R5_PERSONAL,
    NamingRule.R6_CAMPAIGN,
)
LUQIAO_PATH = ("浙江省", "台州市", "路桥区")  # the names on the unit's region path

UNITS = {
    "府办": UnitInfo("台州市路桥区人民政府办公室", "区府办", "331004", ("发布", "政务", "政府")),
    "市监": UnitInfo(
        "台州市路桥区市场监督管理局", "市场监管局", "331004", ("市场监管", "消费维权", "食品安全")
    ),
    "人社": UnitInfo("台州市路桥区人力资源和社会保障局", "人社局", "331004", ("就业", "社保")),
    "公安": UnitInfo("台州市公安局路桥分局", "公安分局", "331004", ("公安", "警方", "平安")),
    "文旅": UnitInfo(
        "台州市路桥区文化和广电旅游体育局", "文广旅体局", "331004", ("文化", "旅游", "文旅", "阅读")
    ),
    "发改": UnitInfo("台州市路桥区发展和改革局", "发改局", "331004", ("发改", "节能", "价格")),
}

WECHAT_LUQIAO_RENSHE = ExistingAccount(Platform.WECHAT, "路桥人社", AccountStatus.ACTIVE, "acc-1")


def check(
    name: str,
    unit: str,
    platform: Platform = Platform.WECHAT,
    existing: tuple[ExistingAccount, ...] = (),
    *,
    person_names: tuple[str, ...] = (),
    campaign_markers: tuple[str, ...] = DEFAULT_CAMPAIGN_MARKERS,
    renaming_account_id: str | None = None,
) -> list[NamingViolation]:
    violations: list[NamingViolation] = check_account_name(
        name,
        unit=UNITS[unit],
        region_names_in_scope=LUQIAO_PATH,
        existing_accounts_of_unit=existing,
        platform=platform,
        person_names=person_names,
        campaign_markers=campaign_markers,
        renaming_account_id=renaming_account_id,
    )
    return violations


TABLE: list[tuple[str, str, Platform, tuple[ExistingAccount, ...], set[NamingRule]]] = [
    # accepted
    ("路桥发布", "府办", Platform.WECHAT, (), set()),
    ("台州市路桥区市场监管", "市监", Platform.WEIBO, (), set()),
    ("路桥区人社局", "人社", Platform.WECHAT, (), set()),
    ("平安路桥", "公安", Platform.DOUYIN, (), set()),
    ("路桥文旅", "文旅", Platform.WECHAT, (), set()),
    ("台州路桥消费维权", "市监", Platform.TOUTIAO, (), set()),
    ("浙江路桥发改", "发改", Platform.WECHAT, (), set()),
    ("路桥发改节能", "发改", Platform.WECHAT, (), set()),  # 节 inside 节能 is no festival
    ("路桥价格调节", "发改", Platform.WECHAT, (), set()),  # nor in 调节
    ("路桥人社12345", "人社", Platform.MINIPROGRAM, (), set()),  # a hotline is no year
    ("路桥区政务服务办主任信箱", "府办", Platform.WECHAT, (), set()),  # an office's mailbox, not a person
    ("路桥公安局长信箱", "公安", Platform.WECHAT, (), set()),
    ("路桥人社", "人社", Platform.DOUYIN, (WECHAT_LUQIAO_RENSHE,), set()),  # same name on another platform
    ("路桥 人社", "人社", Platform.DOUYIN, (WECHAT_LUQIAO_RENSHE,), set()),  # spaces don't make a new name
    (
        "路桥人社",
        "人社",
        Platform.WECHAT,
        (ExistingAccount(Platform.WECHAT, "路桥人社", AccountStatus.DEREGISTERED),),
        set(),
    ),  # a deregistered account frees the platform
    # refused
    ("张三局长说", "市监", Platform.WECHAT, (), {R1, R2, R5}),
    ("路桥市场监管王局长说", "市监", Platform.WECHAT, (), {R5}),
    ("路桥文旅李四的工作室", "文旅", Platform.WECHAT, (), {R5}),
    ("路桥旅游老王说", "文旅", Platform.DOUYIN, (), {R5}),
    ("路桥区何书记", "府办", Platform.WECHAT, (), {R2, R5}),
    ("2026路桥读书节活动", "文旅", Platform.WECHAT, (), {R2, R6}),
    ("2026路桥全民阅读节活动", "文旅", Platform.WECHAT, (), {R6}),
    ("路桥区2025文化", "文旅", Platform.WECHAT, (), {R6}),
    ("路桥文化晚会", "文旅", Platform.WEIBO, (), {R6}),
    ("路桥市场监管专项整治", "市监", Platform.WECHAT, (), {R6}),
    ("路桥旅游桃花节", "文旅", Platform.DOUYIN, (), {R6}),
    ("市场监管", "市监", Platform.WECHAT, (), {R1}),
    ("椒江市场监管", "市监", Platform.WECHAT, (), {R1}),  # Jiaojiang is not on a Luqiao unit's path
    ("路桥教育", "市监", Platform.WECHAT, (), {R2}),
    ("路桥发布", "人社", Platform.WECHAT, (), {R2}),
    ("路桥人社", "人社", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,), {R4}),
    ("路桥区人社局", "人社", Platform.DOUYIN, (WECHAT_LUQIAO_RENSHE,), {R3}),
    ("路桥区人社局", "人社", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,), {R4}),
    (
        "路桥人社",
        "人社",
        Platform.WECHAT,
        (ExistingAccount(Platform.WECHAT, "路桥人社", AccountStatus.SUSPENDED),),
        {R4},
    ),  # a suspended account still holds the platform
    (
        "路桥人社",
        "人社",
        Platform.WECHAT,
        (ExistingAccount(Platform.WECHAT, "路桥人社服务", AccountStatus.PENDING),),
        {R4},
    ),
]


@pytest.mark.parametrize(("name", "unit", "platform", "existing", "broken"), TABLE)
def test_naming_table(
    name: str, unit: str, platform: Platform, existing: tuple[ExistingAccount, ...], broken: set[NamingRule]
) -> None:
    violations = check(name, unit, platform, existing)
    assert {v.rule for v in violations} == broken
    assert len(violations) == len(broken)  # one violation per broken rule


def test_the_table_is_large_and_covers_every_rule() -> None:
    assert len(TABLE) >= 20
    assert set().union(*(broken for *_, broken in TABLE)) == set(NamingRule)


def test_each_violation_explains_itself_in_chinese_and_english() -> None:
    for violation in check("2026张三局长说活动", "市监", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,)):
        assert violation.message_zh and violation.message_en
        assert violation.code == f"naming-{violation.rule.value.lower()}"
    (r4,) = check("路桥区人社局", "人社", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,))
    assert "路桥人社" in r4.message_zh and "微信" in r4.message_zh and "wechat" in r4.message_en


def test_a_listed_person_name_is_refused_even_without_a_title() -> None:
    (violation,) = check("路桥公安陈小平", "公安", person_names=("陈小平",))
    assert violation.rule is R5 and "陈小平" in violation.message_zh
    # Without the list, the segmenter's person-name tagging (jieba, part of speech nr) still finds it.
    (tagged,) = check("路桥公安陈小平", "公安")
    assert tagged.rule is R5 and "陈小平" in tagged.message_zh


def test_a_person_name_followed_by_a_verb_inside_a_longer_name_is_refused() -> None:
    office = UnitInfo("台州市路桥区人民政府", "区政府", "331004", ("政务公开",), UnitKind.COMPETENT_OFFICE)
    (violation,) = check_account_name(
        "台州市路桥区人民政府张三说政务",
        unit=office,
        region_names_in_scope=LUQIAO_PATH,
        existing_accounts_of_unit=(),
        platform=Platform.WECHAT,
    )
    assert violation.rule is R5 and "张三" in violation.message_zh


def test_region_names_misread_as_person_names_are_not_refused() -> None:
    # jieba tags 黄岩 (a district of Taizhou) as a person's name; region words are taken out first.
    unit = UnitInfo("台州市黄岩区教育局", "教育局", "331003", ("教育",))
    scope = ("浙江省", "台州市", "黄岩区")
    names = ("黄岩教育", "台州黄岩教育", "黄岩区教育发布")
    for name in names[:2]:
        assert (
            check_account_name(
                name,
                unit=unit,
                region_names_in_scope=scope,
                existing_accounts_of_unit=(),
                platform=Platform.WECHAT,
            )
            == []
        ), name


@pytest.mark.parametrize("name", ["路桥发布", "路桥之声", "路桥在线", "路桥微政务", "台州市路桥区政务发布"])
def test_generic_release_words_relate_to_the_duties_of_a_government_office(name: str) -> None:
    office = UnitInfo(
        "台州市路桥区人民政府办公室", "区府办", "331004", ("政务服务",), UnitKind.COMPETENT_OFFICE
    )
    assert (
        check_account_name(
            name,
            unit=office,
            region_names_in_scope=LUQIAO_PATH,
            existing_accounts_of_unit=(),
            platform=Platform.WEIBO,
        )
        == []
    )


class Scope(TypedDict):
    """Where a name is checked: the keywords of check_account_name besides the name and the unit."""

    region_names_in_scope: tuple[str, ...]
    existing_accounts_of_unit: tuple[ExistingAccount, ...]
    platform: Platform


def test_generic_release_words_need_publishing_duties_and_follow_the_configured_list() -> None:
    market = UnitInfo("台州市路桥区市场监督管理局", "市场监管局", "331004", ("市场监管",))
    args: Scope = {
        "region_names_in_scope": LUQIAO_PATH,
        "existing_accounts_of_unit": (),
        "platform": Platform.WECHAT,
    }
    (violation,) = check_account_name("路桥发布", unit=market, **args)
    assert violation.rule is R2 and "信息发布" in violation.message_zh
    publisher = UnitInfo("台州市路桥区融媒体中心", "融媒体中心", "331004", ("新闻发布", "融媒体"))
    assert check_account_name("路桥发布", unit=publisher, **args) == []
    # A region that configures its own list: only its words count.
    (narrow,) = check_account_name("路桥之声", unit=publisher, release_words=("发布",), **args)
    assert narrow.rule is R2


def test_a_short_form_shared_by_two_regions_in_scope_does_not_count() -> None:
    # Two districts named 新城区 (Xi'an and Hohhot, say) make 新城 ambiguous; the full name still counts.
    unit = UnitInfo("西安市新城区民政局", "民政局", "610102", ("民政",))
    scope = ("新城区", "新城区 ", "西安市")
    assert (
        check_account_name(
            "新城民政",
            unit=unit,
            region_names_in_scope=scope,
            existing_accounts_of_unit=(),
            platform=Platform.WECHAT,
        )
        == []
    )  # the same name twice is still one region
    ambiguous = ("新城区", "新城县", "陕西省")
    (violation,) = check_account_name(
        "新城民政",
        unit=unit,
        region_names_in_scope=ambiguous,
        existing_accounts_of_unit=(),
        platform=Platform.WECHAT,
    )
    assert violation.rule is R1
    assert (
        check_account_name(
            "新城区民政",
            unit=unit,
            region_names_in_scope=ambiguous,
            existing_accounts_of_unit=(),
            platform=Platform.WECHAT,
        )
        == []
    )


def test_an_autonomous_region_is_recognised_by_its_short_name() -> None:
    unit = UnitInfo("南宁市青秀区人民政府办公室", "区政府办", "450103", ("发布", "政务"))
    scope = ("广西壮族自治区", "南宁市", "青秀区")
    for name in ("广西青秀发布", "青秀发布", "南宁青秀政务"):
        assert (
            check_account_name(
                name,
                unit=unit,
                region_names_in_scope=scope,
                existing_accounts_of_unit=(),
                platform=Platform.WECHAT,
            )
            == []
        ), name


def test_renaming_an_account_does_not_compare_it_with_itself() -> None:
    assert (
        check("路桥区人社局", "人社", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,), renaming_account_id="acc-1")
        == []
    )


def test_full_width_characters_are_folded() -> None:
    assert check("路桥人社１２３４５", "人社") == []
    assert {v.rule for v in check("路桥人社２０２６", "人社")} == {R6}


def test_campaign_markers_are_configurable() -> None:
    assert check("路桥市场监管专项整治", "市监", campaign_markers=("晚会",)) == []
    assert {v.rule for v in check("路桥市场监管集市", "市监", campaign_markers=("集市",))} == {R6}


def test_a_region_name_is_not_mistaken_for_a_surname() -> None:
    # 路 is a surname and 区长 a title: 路桥区长… must not read as "Mr Lu, the district head".
    assert check("路桥区长安发布", "府办") == []


def test_traditional_and_simplified_forms_of_a_name_are_the_same_name() -> None:
    """臺州 and 台州 (路橋 and 路桥) are one place written in two forms: the rules compare names with
    traditional characters read as simplified ones, as they read full-width forms as half-width ones."""
    assert check("路橋人社", "人社") == []  # R1: 路橋 is Luqiao
    assert check("臺州路桥消費維權", "市监") == []  # R1 and R2 in traditional characters
    assert check("路橋人社", "人社", Platform.DOUYIN, (WECHAT_LUQIAO_RENSHE,)) == []  # R3: the same name
    assert {v.rule for v in check("路橋人社", "人社", Platform.WECHAT, (WECHAT_LUQIAO_RENSHE,))} == {R4}
    assert {v.rule for v in check("路桥人社", "人社", person_names=("張三",))} == set()
    assert {v.rule for v in check("路桥人社張三", "人社", person_names=("张三",))} == {R5}


def test_the_same_name_rule_names_the_other_accounts_as_they_are_written() -> None:
    other = ExistingAccount(Platform.WECHAT, "路橋 人社", AccountStatus.ACTIVE, "acc-2")
    (violation,) = check("路桥区人社局", "人社", Platform.DOUYIN, (other,))
    assert violation.rule is R3 and "“路橋 人社”" in violation.message_zh, violation
