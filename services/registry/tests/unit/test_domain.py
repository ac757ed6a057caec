"""Registry domain: region codes, rules, deadlines, level-by-level filings, the account life cycle."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from govmedia_common.errors import DomainError
from govmedia_common.events import AccountStatus, ApprovalLevel, FilingType
from govmedia_common.workdays import SHANGHAI, UnknownCalendarYear, WorkCalendar
from govmedia_registry.accounts.domain import (
    AccountState,
    ApprovalOutcome,
    FilingInProgress,
    FilingNotAllowed,
    IllegalTransition,
    MergeSide,
    StopNoticeRequired,
    approval_outcome,
    check_approval_allowed,
    check_filing_allowed,
    status_after_announcement,
    status_on_refusal,
)
from govmedia_registry.data import load_regions
from govmedia_registry.filings.domain import (
    Actor,
    ApproverAlreadyDecided,
    ApproverNotAuthorised,
    FilingAction,
    FilingFlow,
    FilingNotOpen,
    FilingStatus,
    NotTheFiler,
    ReasonRequired,
    SelfApproval,
    WrongApprovalLevel,
    office_filer,
)
from govmedia_registry.identity.domain import Role
from govmedia_registry.regions.domain import (
    InvalidRegionCode,
    RegionLevel,
    is_within,
    office_region,
    parent_code,
    region_level,
    region_path,
    region_prefix,
    region_short_name,
)
from govmedia_registry.regions.rules import (
    InvalidRules,
    RegistryRules,
    announcement_ends_on,
    filing_deadline,
    is_cleanup_candidate,
)

CAL = WorkCalendar()
RULES = RegistryRules()
LUQIAO, TAIZHOU, ZHEJIANG = "331004", "331000", "330000"
UNIT = ApprovalLevel.UNIT
COUNTY = ApprovalLevel.COUNTY
CITY = ApprovalLevel.CITY
PROVINCE = ApprovalLevel.PROVINCE


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


FILER = Actor("liaison-1", frozenset({Role.LIAISON}), LUQIAO, "unit-scjg")
UNIT_ADMIN = Actor("admin-1", frozenset({Role.UNIT_ADMIN}), LUQIAO, "unit-scjg")
COUNTY_STAFF = Actor("county-1", frozenset({Role.OFFICE_STAFF}), LUQIAO, "office-luqiao")
CITY_STAFF = Actor("city-1", frozenset({Role.OFFICE_STAFF}), TAIZHOU, "office-taizhou")
PROVINCE_ADMIN = Actor("prov-1", frozenset({Role.OFFICE_ADMIN}), ZHEJIANG, "office-zhejiang")
DECIDER = {UNIT: UNIT_ADMIN, COUNTY: COUNTY_STAFF, CITY: CITY_STAFF, PROVINCE: PROVINCE_ADMIN}


def new_filing(
    filing_type: FilingType = FilingType.OPEN,
    *,
    rules: RegistryRules = RULES,
    region: str = LUQIAO,
    event: date = date(2025, 9, 26),
    filed_at: datetime | None = None,
    filer: Actor = FILER,
) -> FilingFlow:
    return FilingFlow.submit(
        filing_id="f-1",
        filing_type=filing_type,
        unit_id="unit-scjg",
        region_code=region,
        filed_by=filer.user_id,
        event_date=event,
        filed_at=filed_at or at(2025, 9, 29),
        rules=rules,
        calendar=CAL,
    )


def approve_through(flow: FilingFlow, levels: tuple[ApprovalLevel, ...], day: int = 9) -> None:
    for level in levels:
        flow.approve(level, DECIDER[level], at=at(2025, 10, day))


# ---------------------------------------------------------------------------------------------- regions


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("330000", RegionLevel.PROVINCE),
        ("331000", RegionLevel.CITY),
        ("331004", RegionLevel.COUNTY),
        ("110000", RegionLevel.PROVINCE),  # Beijing, a municipality
        ("110108", RegionLevel.COUNTY),  # Haidian, a district of Beijing
        ("429004", RegionLevel.COUNTY),  # Xiantao, administered by Hubei province directly
        ("441900", RegionLevel.CITY),  # Dongguan, a city without counties
    ],
)
def test_region_level_follows_the_code(code: str, level: RegionLevel) -> None:
    assert region_level(code) is level


@pytest.mark.parametrize(
    ("code", "prefix"), [("330000", "33"), ("331000", "3310"), ("331004", "331004"), ("110000", "11")]
)
def test_region_prefix_scopes_a_subtree(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


def test_is_within_includes_the_region_itself_and_excludes_siblings() -> None:
    assert is_within(LUQIAO, ZHEJIANG)
    assert is_within(LUQIAO, TAIZHOU)
    assert is_within(LUQIAO, LUQIAO)
    assert not is_within(LUQIAO, "331002")  # Jiaojiang, a sibling
    assert not is_within(LUQIAO, "450000")
    assert not is_within(TAIZHOU, LUQIAO)  # a parent is not within its child
    assert is_within("110108", "110000")
    assert is_within("429004", "420000")


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("331004", "331000"),
        ("331000", "330000"),
        ("330000", None),
        ("110108", "110000"),  # the municipality's 市辖区 grouping (110100) is skipped
        ("500229", "500000"),  # a county of Chongqing, grouped under 500200 县
        ("429004", "420000"),  # the 省直辖 grouping (429000) is skipped
        ("450107", "450100"),
    ],
)
def test_parent_code_skips_groupings_without_a_government(code: str, parent: str | None) -> None:
    assert parent_code(code) == parent


def test_region_path_runs_from_the_province_down() -> None:
    assert region_path(LUQIAO) == (ZHEJIANG, TAIZHOU, LUQIAO)
    assert region_path("110108") == ("110000", "110108")
    assert region_path(ZHEJIANG) == (ZHEJIANG,)


@pytest.mark.parametrize("code", ["33100", "3310045", "abcdef", "000000", "330004", "33100４", ""])
def test_malformed_region_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidRegionCode) as caught:
        region_level(code)
    assert caught.value.code == "invalid-region-code"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("code", "level", "office"),
    [
        (LUQIAO, COUNTY, LUQIAO),
        (LUQIAO, CITY, TAIZHOU),
        (LUQIAO, PROVINCE, ZHEJIANG),
        (TAIZHOU, COUNTY, None),
        (TAIZHOU, CITY, TAIZHOU),
        (ZHEJIANG, CITY, None),
        ("110108", CITY, None),
        ("429004", CITY, None),
        ("429004", PROVINCE, "420000"),
    ],
)
def test_office_region_of_each_level(code: str, level: ApprovalLevel, office: str | None) -> None:
    assert office_region(code, level) == office


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("台州市", "台州"),
        ("路桥区", "路桥"),
        ("天台县", "天台"),
        ("浙江省", "浙江"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("内蒙古自治区", "内蒙古"),
        ("恩施土家族苗族自治州", "恩施"),
        ("神农架林区", "神农架"),
        ("和县", None),  # one character left: too short to identify a region
    ],
)
def test_region_short_name(full: str, short: str | None) -> None:
    assert region_short_name(full) == short


def test_the_starter_regions_load_with_levels_and_parents() -> None:
    regions = {r.code: r for r in load_regions()}
    assert regions[LUQIAO].name == "路桥区"
    assert regions[LUQIAO].level is RegionLevel.COUNTY
    assert regions[LUQIAO].parent_code == TAIZHOU
    assert regions["110108"].parent_code == "110000"
    assert regions["429004"].parent_code == "420000"
    assert {"450000", "450100", "610000", "610100", "330100"} <= set(regions)
    assert all(r.parent_code is None or r.parent_code in regions for r in regions.values())
    assert list(regions) == sorted(regions)


@pytest.mark.parametrize(
    ("rows", "complaint"),
    [
        ([{"code": "331004", "name": "路桥区"}], "without their parent"),
        ([{"code": "330000", "name": "浙江省"}, {"code": "330000", "name": "浙江省"}], "twice"),
        ([{"code": "33000", "name": "浙江省"}], "six digits"),
        ([{"code": "330000"}], "a code and a name"),
    ],
)
def test_a_broken_regions_file_is_refused(tmp_path: Path, rows: list[dict[str, str]], complaint: str) -> None:
    path = tmp_path / "regions.json"
    path.write_text(json.dumps({"regions": rows}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_regions(path)


# ---------------------------------------------------------------------------------------------- rules


def test_rules_defaults_are_the_policy_figures() -> None:
    assert RULES.filing_deadline_workdays == 7
    assert RULES.announcement_workdays == 15
    assert RULES.zombie_days == 90
    assert all(RULES.approval_levels[t] == (UNIT, COUNTY, CITY) for t in FilingType)
    assert RULES.is_announced(FilingType.OPEN) and not RULES.is_announced(FilingType.SUSPEND)


def test_rules_from_settings_override_only_what_is_given_and_round_trip() -> None:
    rules = RegistryRules.from_settings(
        {
            "filing_deadline_workdays": 5,
            "approval_levels": {"open": ["unit", "county", "city", "province"]},
            "approver_roles": {"unit": ["unit_admin", "approver"]},
        }
    )
    assert rules.filing_deadline_workdays == 5
    assert rules.announcement_workdays == 15
    assert rules.approval_levels[FilingType.OPEN] == (UNIT, COUNTY, CITY, PROVINCE)
    assert rules.approval_levels[FilingType.SUSPEND] == (UNIT, COUNTY, CITY)
    assert rules.approver_roles[UNIT] == {Role.UNIT_ADMIN, Role.APPROVER}
    assert rules.approver_roles[COUNTY] == {Role.OFFICE_STAFF, Role.OFFICE_ADMIN}
    assert RegistryRules.from_settings(rules.to_settings()) == rules


def test_rules_from_a_region_path_let_the_lower_region_override() -> None:
    province = {"approval_levels": {"open": ["unit", "county", "city", "province"]}, "zombie_days": 120}
    city: dict[str, object] = {}
    county = {"approver_roles": {"unit": ["approver"]}, "zombie_days": 60}
    rules = RegistryRules.from_layers([province, city, county])
    assert rules.approval_levels[FilingType.OPEN] == (UNIT, COUNTY, CITY, PROVINCE)  # inherited
    assert rules.approver_roles[UNIT] == {Role.APPROVER}
    assert rules.zombie_days == 60


@pytest.mark.parametrize(
    "settings",
    [
        {"filing_deadline_days": 7},  # misspelt key
        {"announcement_workdays": 0},
        {"zombie_days": "90"},
        {"approval_levels": {"open": ["unit", "town"]}},
        {"approval_levels": {"opening": ["unit", "county"]}},
        {"approval_levels": {"open": ["city", "county"]}},  # not bottom-up
        {"approval_levels": {"open": ["unit"]}},  # no office ever sees it
        {"approver_roles": {"county": []}},
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(InvalidRules):
        RegistryRules.from_settings(settings)


SHAANXI_OPEN = RegistryRules.from_settings(
    {"approval_levels": {"open": ["unit", "county", "city", "province"]}}
)


@pytest.mark.parametrize(
    ("rules", "region", "chain"),
    [
        (RULES, LUQIAO, (UNIT, COUNTY, CITY)),
        (RULES, TAIZHOU, (UNIT, CITY)),  # a city bureau: no county office above it
        (RULES, ZHEJIANG, (UNIT, PROVINCE)),  # a provincial department: its own office decides
        (SHAANXI_OPEN, "610113", (UNIT, COUNTY, CITY, PROVINCE)),  # Yanta, Xi'an: province approves opening
        (SHAANXI_OPEN, "110108", (UNIT, COUNTY, PROVINCE)),  # Haidian: no city office in a municipality
        (SHAANXI_OPEN, "429004", (UNIT, COUNTY, PROVINCE)),  # Xiantao: administered by the province
        (
            RegistryRules.from_settings({"approval_levels": {"open": ["unit", "county"]}}),
            TAIZHOU,
            (UNIT, CITY),
        ),
    ],
)
def test_levels_that_do_not_exist_are_skipped(
    rules: RegistryRules, region: str, chain: tuple[ApprovalLevel]
) -> None:
    assert rules.levels_for(FilingType.OPEN, region) == chain


# ---------------------------------------------------------------------------------------------- deadlines


def test_filing_deadline_spans_national_day_and_its_swapped_weekends() -> None:
    assert filing_deadline(date(2025, 9, 26), CAL) == date(2025, 10, 13)
    assert filing_deadline(date(2025, 9, 30), CAL) == date(2025, 10, 16)


def test_a_filing_on_the_deadline_is_on_time_and_one_day_later_is_late() -> None:
    on_time = new_filing(event=date(2025, 9, 26), filed_at=at(2025, 10, 13, 17))
    assert on_time.deadline == date(2025, 10, 13) and not on_time.late
    late = new_filing(event=date(2025, 9, 26), filed_at=at(2025, 10, 14, 9))
    assert late.late and late.status is FilingStatus.PENDING  # accepted, but flagged


def test_lateness_is_judged_on_the_shanghai_calendar_day() -> None:
    # 16:30 UTC on 13 October is 00:30 on 14 October in Shanghai: one day too late.
    flow = new_filing(event=date(2025, 9, 26), filed_at=datetime(2025, 10, 13, 16, 30, tzinfo=UTC))
    assert flow.filed_on == date(2025, 10, 14) and flow.late


def test_the_deadline_spans_spring_festival_2026() -> None:
    flow = new_filing(event=date(2026, 2, 12), filed_at=at(2026, 3, 2))
    assert flow.deadline == date(2026, 2, 28)  # a Saturday that is a working day
    assert flow.late


def test_a_deadline_in_an_unknown_year_fails_loudly() -> None:
    with pytest.raises(UnknownCalendarYear):
        new_filing(event=date(2026, 12, 28), filed_at=at(2026, 12, 28))


def test_a_filing_may_precede_its_event() -> None:
    flow = new_filing(event=date(2025, 11, 3), filed_at=at(2025, 10, 20))
    assert not flow.late


def test_announcement_of_fifteen_working_days_across_national_day() -> None:
    # 22–26 Sep (5), Sun 28 (6), 29–30 (8), 9–10 Oct (10), Sat 11 (11), 13–16 (15)
    assert announcement_ends_on(date(2025, 9, 19), CAL) == date(2025, 10, 16)
    assert announcement_ends_on(date(2025, 9, 19), CAL, days=RULES.announcement_workdays) == date(
        2025, 10, 16
    )


def test_cleanup_candidates_after_ninety_quiet_days() -> None:
    today = date(2025, 12, 31)
    assert is_cleanup_candidate(date(2025, 10, 2), date(2024, 1, 1), today, RULES)
    assert not is_cleanup_candidate(date(2025, 10, 3), date(2024, 1, 1), today, RULES)
    assert is_cleanup_candidate(None, date(2025, 9, 1), today, RULES)


# ---------------------------------------------------------------------------------------------- filing flow


def test_an_open_filing_is_approved_level_by_level() -> None:
    flow = new_filing()
    assert flow.levels == (UNIT, COUNTY, CITY)
    assert flow.current_level is UNIT
    assert flow.approve(UNIT, UNIT_ADMIN, at=at(2025, 9, 30)) is FilingStatus.PENDING
    assert flow.current_level is COUNTY
    assert flow.approve(COUNTY, COUNTY_STAFF, at=at(2025, 10, 9)) is FilingStatus.PENDING
    assert flow.current_level is CITY
    assert flow.approve(CITY, CITY_STAFF, at=at(2025, 10, 10)) is FilingStatus.APPROVED
    assert flow.current_level is None and flow.is_terminal
    assert flow.decided_on == date(2025, 10, 10)
    assert [s.action for s in flow.history] == [
        FilingAction.SUBMITTED,
        FilingAction.APPROVED,
        FilingAction.APPROVED,
        FilingAction.APPROVED,
    ]
    assert [s.level for s in flow.history[1:]] == [UNIT, COUNTY, CITY]


@pytest.mark.parametrize("returning", [UNIT, COUNTY, CITY])
def test_a_return_at_any_level_restarts_the_amended_filing_at_the_first_level(
    returning: ApprovalLevel,
) -> None:
    flow = new_filing()
    below = flow.levels[: flow.levels.index(returning)]
    approve_through(flow, below)
    flow.return_for_amendment(
        returning, DECIDER[returning], "请补充主办单位集体研究意见", at=at(2025, 10, 10)
    )
    assert (flow.status, flow.current_level) == (FilingStatus.RETURNED, None)
    with pytest.raises(FilingNotOpen):
        flow.approve(returning, DECIDER[returning], at=at(2025, 10, 10))

    flow.resubmit(FILER, at=at(2025, 10, 11))
    assert (flow.status, flow.current_level, flow.revision) == (FilingStatus.PENDING, UNIT, 2)
    approve_through(flow, flow.levels, day=13)
    assert flow.status is FilingStatus.APPROVED
    returned = next(s for s in flow.history if s.action is FilingAction.RETURNED)
    assert returned.level is returning and returned.reason == "请补充主办单位集体研究意见"
    assert returned.revision == 1
    assert flow.history[-1].revision == 2


@pytest.mark.parametrize("rejecting", [UNIT, COUNTY, CITY])
def test_a_rejection_at_any_level_is_final(rejecting: ApprovalLevel) -> None:
    flow = new_filing()
    approve_through(flow, flow.levels[: flow.levels.index(rejecting)])
    flow.reject(rejecting, DECIDER[rejecting], "同一单位在同一平台已有账号", at=at(2025, 10, 10))
    assert flow.status is FilingStatus.REJECTED and flow.is_terminal
    assert flow.decided_on == date(2025, 10, 10)
    with pytest.raises(FilingNotOpen):
        flow.approve(rejecting, DECIDER[rejecting], at=at(2025, 10, 11))
    with pytest.raises(FilingNotOpen):
        flow.resubmit(FILER, at=at(2025, 10, 11))
    with pytest.raises(FilingNotOpen):
        flow.withdraw(FILER, at=at(2025, 10, 11))


def test_a_four_level_chain_ends_with_the_province() -> None:
    flow = new_filing(rules=SHAANXI_OPEN)
    assert flow.levels == (UNIT, COUNTY, CITY, PROVINCE)
    approve_through(flow, (UNIT, COUNTY, CITY))
    assert flow.current_level is PROVINCE
    assert flow.requirement().region_code == ZHEJIANG
    flow.approve(PROVINCE, PROVINCE_ADMIN, at=at(2025, 10, 14))
    assert flow.status is FilingStatus.APPROVED


def test_a_district_of_a_municipality_skips_the_city_level() -> None:
    flow = new_filing(region="110108")
    assert flow.levels == (UNIT, COUNTY)
    flow.approve(UNIT, Actor("a", frozenset({Role.UNIT_ADMIN}), "110108", "unit-scjg"), at=at(2025, 9, 30))
    flow.approve(COUNTY, Actor("b", frozenset({Role.OFFICE_STAFF}), "110108"), at=at(2025, 9, 30))
    assert flow.status is FilingStatus.APPROVED


def test_the_filer_can_withdraw_while_pending_or_returned() -> None:
    pending = new_filing()
    pending.approve(UNIT, UNIT_ADMIN, at=at(2025, 9, 30))
    pending.withdraw(FILER, at=at(2025, 10, 9), reason="暂缓开设")
    assert pending.status is FilingStatus.WITHDRAWN and pending.is_terminal
    assert pending.history[-1].level is COUNTY

    returned = new_filing()
    returned.return_for_amendment(UNIT, UNIT_ADMIN, "名称不规范", at=at(2025, 9, 30))
    returned.withdraw(FILER, at=at(2025, 10, 9))
    assert returned.status is FilingStatus.WITHDRAWN


def test_only_the_filer_can_withdraw_or_resubmit() -> None:
    flow = new_filing()
    with pytest.raises(NotTheFiler):
        flow.withdraw(UNIT_ADMIN, at=at(2025, 9, 30))
    flow.return_for_amendment(UNIT, UNIT_ADMIN, "名称不规范", at=at(2025, 9, 30))
    with pytest.raises(NotTheFiler):
        flow.resubmit(COUNTY_STAFF, at=at(2025, 9, 30))


def test_the_staff_of_the_office_that_opened_a_filing_act_as_its_filer() -> None:
    flow = new_filing(FilingType.DEREGISTER, filer=Actor(office_filer("office-luqiao"), frozenset(), LUQIAO))
    flow.return_for_amendment(UNIT, UNIT_ADMIN, "停更公告尚未发布", at=at(2025, 9, 30))
    with pytest.raises(NotTheFiler):  # the unit answers, it does not take the office's filing back
        flow.withdraw(UNIT_ADMIN, at=at(2025, 9, 30))
    with pytest.raises(NotTheFiler):  # staff of another office
        flow.resubmit(CITY_STAFF, at=at(2025, 9, 30))
    flow.resubmit(COUNTY_STAFF, at=at(2025, 10, 9))
    assert flow.status is FilingStatus.PENDING and flow.revision == 2
    flow.approve(UNIT, UNIT_ADMIN, at=at(2025, 10, 9))
    flow.withdraw(COUNTY_STAFF, at=at(2025, 10, 10))
    assert flow.status is FilingStatus.WITHDRAWN  # type: ignore[comparison-overlap]  # mypy keeps it PENDING


def test_a_pending_filing_cannot_be_resubmitted() -> None:
    with pytest.raises(FilingNotOpen):
        new_filing().resubmit(FILER, at=at(2025, 9, 30))


def test_a_decision_for_another_level_is_refused() -> None:
    flow = new_filing()
    with pytest.raises(WrongApprovalLevel) as caught:
        flow.approve(COUNTY, COUNTY_STAFF, at=at(2025, 9, 30))
    assert caught.value.code == "filing-wrong-level"


@pytest.mark.parametrize(
    ("level", "actor"),
    [
        (UNIT, Actor("ed-1", frozenset({Role.EDITOR}), LUQIAO, "unit-scjg")),  # right unit, wrong role
        (UNIT, Actor("adm-2", frozenset({Role.UNIT_ADMIN}), LUQIAO, "unit-rsj")),  # admin of another unit
        (
            COUNTY,
            Actor("jj-1", frozenset({Role.OFFICE_STAFF}), "331002", "office-jiaojiang"),
        ),  # Jiaojiang office
        (COUNTY, CITY_STAFF),  # the city office cannot decide the county level
        (COUNTY, Actor("aud-1", frozenset({Role.AUDITOR}), LUQIAO)),
        (CITY, COUNTY_STAFF),  # nor the county office the city level
    ],
)
def test_only_an_approver_sitting_at_the_level_may_decide(level: ApprovalLevel, actor: Actor) -> None:
    flow = new_filing()
    approve_through(flow, flow.levels[: flow.levels.index(level)])
    with pytest.raises(ApproverNotAuthorised):
        flow.approve(level, actor, at=at(2025, 10, 10))
    with pytest.raises(ApproverNotAuthorised):
        flow.reject(level, actor, "不同意", at=at(2025, 10, 10))
    with pytest.raises(ApproverNotAuthorised):
        flow.return_for_amendment(level, actor, "请修改", at=at(2025, 10, 10))
    assert flow.status is FilingStatus.PENDING and flow.current_level is level


def test_an_outsider_is_refused_before_the_reason_is_even_read() -> None:
    with pytest.raises(ApproverNotAuthorised):
        new_filing().reject(UNIT, CITY_STAFF, "", at=at(2025, 9, 30))


def test_a_filer_cannot_approve_their_own_filing() -> None:
    flow = new_filing(filer=UNIT_ADMIN)
    with pytest.raises(SelfApproval):
        flow.approve(UNIT, UNIT_ADMIN, at=at(2025, 9, 30))


def test_nobody_decides_two_levels_of_the_same_version() -> None:
    # The county office's own account: its unit admin is also county office staff.
    both = Actor("office-admin", frozenset({Role.UNIT_ADMIN, Role.OFFICE_STAFF}), LUQIAO, "unit-scjg")
    flow = new_filing()
    flow.approve(UNIT, both, at=at(2025, 9, 30))
    with pytest.raises(ApproverAlreadyDecided):
        flow.approve(COUNTY, both, at=at(2025, 9, 30))
    flow.return_for_amendment(COUNTY, COUNTY_STAFF, "请补充材料", at=at(2025, 9, 30))
    flow.resubmit(FILER, at=at(2025, 10, 9))
    flow.approve(UNIT, both, at=at(2025, 10, 9))  # a new version may be approved again


@pytest.mark.parametrize("reason", ["", "   "])
def test_returning_or_rejecting_needs_a_reason(reason: str) -> None:
    flow = new_filing()
    with pytest.raises(ReasonRequired):
        flow.return_for_amendment(UNIT, UNIT_ADMIN, reason, at=at(2025, 9, 30))
    with pytest.raises(ReasonRequired):
        flow.reject(UNIT, UNIT_ADMIN, reason, at=at(2025, 9, 30))


def test_the_requirement_names_roles_region_and_unit() -> None:
    flow = new_filing()
    unit = flow.requirement()
    assert unit.roles == {Role.UNIT_ADMIN} and unit.unit_id == "unit-scjg" and unit.region_code == LUQIAO
    county = flow.requirement(COUNTY)
    assert county.roles == {Role.OFFICE_STAFF, Role.OFFICE_ADMIN}
    assert (
        county.region_code == LUQIAO and county.region_level is RegionLevel.COUNTY and county.unit_id is None
    )
    assert flow.requirement(CITY).region_code == TAIZHOU


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_filing(filed_at=datetime(2025, 9, 29, 10))


def test_error_codes_are_unique_and_stable() -> None:
    from govmedia_registry.accounts import domain as accounts
    from govmedia_registry.filings import domain as filings
    from govmedia_registry.regions import domain as regions
    from govmedia_registry.regions import rules

    errors: list[type[DomainError]] = list(
        {
            e
            for module in (accounts, filings, regions, rules)
            for e in vars(module).values()
            if isinstance(e, type) and issubclass(e, DomainError) and e is not DomainError
        }
    )
    assert len(errors) >= 14
    codes = [e.code for e in errors]
    assert len(codes) == len(set(codes))
    assert StopNoticeRequired.code == "account-stop-notice-required"


# ---------------------------------------------------------------------------------------------- life cycle

APPROVED_ON = date(2025, 9, 19)  # a Friday; 15 working days later is 16 October 2025


def outcome(
    filing_type: FilingType,
    current: AccountStatus,
    side: MergeSide = MergeSide.SOURCE,
    rules: RegistryRules = RULES,
) -> ApprovalOutcome:
    return approval_outcome(
        filing_type, current, approved_on=APPROVED_ON, rules=rules, calendar=CAL, side=side
    )


def test_open_pending_then_announcing_then_active() -> None:
    check_filing_allowed(FilingType.OPEN, AccountState(AccountStatus.PENDING), on=APPROVED_ON)
    result = outcome(FilingType.OPEN, AccountStatus.PENDING)
    assert result.status is AccountStatus.ANNOUNCING
    assert result.announcement_ends_on == date(2025, 10, 16)
    assert result.takes_effect_on == date(2025, 10, 17)
    assert result.final_status is AccountStatus.ACTIVE
    assert status_after_announcement(FilingType.OPEN, result.status) is AccountStatus.ACTIVE


def test_open_rejected_or_withdrawn_leaves_a_rejected_account() -> None:
    assert status_on_refusal(FilingType.OPEN, AccountStatus.PENDING) is AccountStatus.REJECTED
    assert status_on_refusal(FilingType.CHANGE, AccountStatus.ACTIVE) is AccountStatus.ACTIVE
    with pytest.raises(IllegalTransition):
        status_on_refusal(FilingType.OPEN, AccountStatus.ACTIVE)


@pytest.mark.parametrize("current", [AccountStatus.ACTIVE, AccountStatus.SUSPENDED])
def test_change_keeps_the_status_and_applies_after_the_announcement(current: AccountStatus) -> None:
    result = outcome(FilingType.CHANGE, current)
    assert result.status is current and result.final_status is current
    assert result.announcement_ends_on == date(2025, 10, 16)
    assert result.takes_effect_on == date(2025, 10, 17)
    assert status_after_announcement(FilingType.CHANGE, current) is current


def test_suspend_takes_effect_at_approval() -> None:
    check_filing_allowed(FilingType.SUSPEND, AccountState(AccountStatus.ACTIVE), on=APPROVED_ON)
    result = outcome(FilingType.SUSPEND, AccountStatus.ACTIVE)
    assert result.status is AccountStatus.SUSPENDED
    assert result.announcement_ends_on is None and result.takes_effect_on == APPROVED_ON
    with pytest.raises(FilingNotAllowed):
        check_filing_allowed(FilingType.SUSPEND, AccountState(AccountStatus.SUSPENDED), on=APPROVED_ON)


def test_a_deregistration_the_office_opens_needs_the_stop_notice_before_approval_not_before_filing() -> None:
    silent = AccountState(AccountStatus.ACTIVE)
    check_filing_allowed(FilingType.DEREGISTER, silent, on=APPROVED_ON, stop_notice_before_approval=True)
    with pytest.raises(StopNoticeRequired):
        check_approval_allowed(FilingType.DEREGISTER, silent, on=APPROVED_ON)
    noticed = AccountState(AccountStatus.ACTIVE, stop_notice_on=APPROVED_ON)
    check_approval_allowed(FilingType.DEREGISTER, noticed, on=APPROVED_ON)
    check_approval_allowed(FilingType.SUSPEND, silent, on=APPROVED_ON)  # only deregistration needs one
    with pytest.raises(FilingNotAllowed):  # the account's status still matters
        check_filing_allowed(
            FilingType.DEREGISTER,
            AccountState(AccountStatus.DEREGISTERED),
            on=APPROVED_ON,
            stop_notice_before_approval=True,
        )


@pytest.mark.parametrize("current", [AccountStatus.ACTIVE, AccountStatus.SUSPENDED])
def test_deregister_needs_a_stop_notice_then_announces_then_deregisters(current: AccountStatus) -> None:
    with pytest.raises(StopNoticeRequired):
        check_filing_allowed(FilingType.DEREGISTER, AccountState(current), on=APPROVED_ON)
    with pytest.raises(StopNoticeRequired):  # a notice dated after the filing does not count
        check_filing_allowed(
            FilingType.DEREGISTER, AccountState(current, stop_notice_on=date(2025, 9, 20)), on=APPROVED_ON
        )
    check_filing_allowed(
        FilingType.DEREGISTER, AccountState(current, stop_notice_on=date(2025, 9, 1)), on=APPROVED_ON
    )
    result = outcome(FilingType.DEREGISTER, current)
    assert result.status is AccountStatus.ANNOUNCING
    assert result.final_status is AccountStatus.DEREGISTERED
    assert status_after_announcement(FilingType.DEREGISTER, result.status) is AccountStatus.DEREGISTERED


def test_merge_retires_the_sources_and_keeps_the_target_active() -> None:
    check_filing_allowed(FilingType.MERGE, AccountState(AccountStatus.SUSPENDED), on=APPROVED_ON)
    check_filing_allowed(
        FilingType.MERGE, AccountState(AccountStatus.ACTIVE), on=APPROVED_ON, side=MergeSide.TARGET
    )
    source = outcome(FilingType.MERGE, AccountStatus.ACTIVE)
    assert source.status is AccountStatus.ANNOUNCING and source.final_status is AccountStatus.MERGED
    assert status_after_announcement(FilingType.MERGE, source.status) is AccountStatus.MERGED
    target = outcome(FilingType.MERGE, AccountStatus.ACTIVE, MergeSide.TARGET)
    assert target.status is AccountStatus.ACTIVE and target.final_status is AccountStatus.ACTIVE
    assert target.takes_effect_on == source.takes_effect_on
    assert (
        status_after_announcement(FilingType.MERGE, AccountStatus.ACTIVE, side=MergeSide.TARGET)
        is AccountStatus.ACTIVE
    )
    with pytest.raises(FilingNotAllowed):
        check_filing_allowed(
            FilingType.MERGE, AccountState(AccountStatus.SUSPENDED), on=APPROVED_ON, side=MergeSide.TARGET
        )


ALLOWED = {
    FilingType.OPEN: {AccountStatus.PENDING},
    FilingType.CHANGE: {AccountStatus.ACTIVE, AccountStatus.SUSPENDED},
    FilingType.MERGE: {AccountStatus.ACTIVE, AccountStatus.SUSPENDED},
    FilingType.SUSPEND: {AccountStatus.ACTIVE},
    FilingType.DEREGISTER: {AccountStatus.ACTIVE, AccountStatus.SUSPENDED},
}


@pytest.mark.parametrize("filing_type", list(FilingType))
@pytest.mark.parametrize("status", list(AccountStatus))
def test_which_filing_is_allowed_from_which_status(filing_type: FilingType, status: AccountStatus) -> None:
    account = AccountState(status, stop_notice_on=date(2025, 9, 1))
    if status in ALLOWED[filing_type]:
        check_filing_allowed(filing_type, account, on=APPROVED_ON)
        outcome(filing_type, status)  # and an approval applies
    else:
        with pytest.raises(FilingNotAllowed):
            check_filing_allowed(filing_type, account, on=APPROVED_ON)
        with pytest.raises(IllegalTransition):
            outcome(filing_type, status)


def test_one_undecided_filing_per_account() -> None:
    with pytest.raises(FilingInProgress):
        check_filing_allowed(
            FilingType.CHANGE, AccountState(AccountStatus.ACTIVE, open_filing_id="f-9"), on=APPROVED_ON
        )


def test_an_announcement_must_have_started_before_it_ends() -> None:
    with pytest.raises(IllegalTransition):
        status_after_announcement(FilingType.OPEN, AccountStatus.PENDING)


def test_without_an_announcement_the_effect_is_immediate() -> None:
    rules = RegistryRules.from_settings({"announced_filing_types": ["deregister"]})
    result = outcome(FilingType.OPEN, AccountStatus.PENDING, rules=rules)
    assert result.status is AccountStatus.ACTIVE and result.announcement_ends_on is None
    assert result.takes_effect_on == APPROVED_ON


def test_a_whole_life_open_change_suspend_deregister() -> None:
    status = AccountStatus.PENDING
    for filing_type, stop_notice in [
        (FilingType.OPEN, None),
        (FilingType.CHANGE, None),
        (FilingType.SUSPEND, None),
        (FilingType.DEREGISTER, date(2025, 9, 1)),
    ]:
        check_filing_allowed(filing_type, AccountState(status, stop_notice_on=stop_notice), on=APPROVED_ON)
        result = outcome(filing_type, status)
        status = result.status
        if result.announcement_ends_on is not None:
            status = status_after_announcement(filing_type, status)
    assert status is AccountStatus.DEREGISTERED
