"""Contract tests of the event catalogue: the committed schemas, the compatibility rules, the catalogue's own
invariants, and a JSON round trip of one example per event type.

Only files are read; no broker or database is involved.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel, ValidationError

from govmedia_common import events
from govmedia_common.events import CATALOGUE, Event, event_class
from govmedia_common.events import catalogue as cat
from govmedia_platform.contracts import (
    ASYNCAPI_PATH,
    BreakingChangeError,
    asyncapi_document,
    check_contracts,
    compatibility_problems,
    generated_files,
    json_schema,
    main,
    render_yaml,
    schema_path,
    write_contracts,
)

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"registry", "review", "monitor", "notify", "scoring"}
TYPE_PATTERN = re.compile(
    r"^gov\.(?P<service>[a-z]+)\.[a-z][a-z_]*\.[a-z][a-z_]*\.v(?P<version>[1-9][0-9]*)$"
)

# ----------------------------------------------------------------------------------------------------------
# One example per event type
# ----------------------------------------------------------------------------------------------------------

CST = timezone(timedelta(hours=8))
T0 = datetime(2025, 6, 3, 9, 30, tzinfo=CST)
ACCOUNT = "0b6f5d4e-1c2a-4f7e-9a0b-3d2c1e0f9a8b"
ACCOUNT_2 = "6a1d0f6e-8c63-4b8f-9a51-6f0e2d7c4b13"
UNIT = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
PERSON = "2f1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
PERSON_2 = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
PERSON_3 = "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b"
POST = "c56a4180-65aa-42ec-a945-5fd21dec0538"
FILING = "1f0e9d8c-7b6a-4f4e-9d3c-2b1a0f9e8d7c"
CAMPAIGN = "5b8e2a1c-3d4f-4e6a-8b9c-0d1e2f3a4b5c"
ALERT = "8e7d6c5b-4a3f-4e1d-8c0b-9a8f7e6d5c4b"
CASE = "3a2b1c0d-9e8f-4a6b-8c4d-3e2f1a0b9c8d"
REPORT = "d4c3b2a1-0f9e-4d7c-9b5a-4f3e2d1c0b9a"
HASH = "sha256:" + "ab" * 32
HASH_2 = "sha256:" + "cd" * 32


def snapshot(account_id: str = ACCOUNT, **changes: Any) -> cat.AccountSnapshot:
    values: dict[str, Any] = {
        "account_id": account_id,
        "name": "台州市路桥区市场监管",
        "platform": "wechat",
        "platform_account_id": "gh_5a1b2c3d4e5f",
        "unit_id": UNIT,
        "unit_name": "台州市路桥区市场监督管理局",
        "region_code": "331004",
        "status": "active",
        "attention_tier": "ordinary",
        "interaction_enabled": True,
        "review_levels": 3,
        "certified": True,
        "matrix_badge": None,
        "outsourced": False,
    }
    values.update(changes)
    return cat.AccountSnapshot(**values)


def signatures(levels: int = 3) -> list[dict[str, Any]]:
    people = [PERSON, PERSON_2, PERSON_3]
    names = ["王芳", "李强", "陈静"]
    return [
        {
            "level": i + 1,
            "reviewer_id": people[i],
            "reviewer_name": names[i],
            "reviewed_at": T0 + timedelta(minutes=10 * i),
        }
        for i in range(levels)
    ]


def _account(**kwargs: Any) -> dict[str, Any]:
    return {"occurred_at": T0, "account_id": ACCOUNT, "account": snapshot(), **kwargs}


def _filing(**kwargs: Any) -> dict[str, Any]:
    return _account(filing_id=FILING, actor_id=PERSON, **kwargs)


def _post(**kwargs: Any) -> dict[str, Any]:
    return {"occurred_at": T0, "account_id": ACCOUNT, "post_id": POST, **kwargs}


def _case(**kwargs: Any) -> dict[str, Any]:
    return {"occurred_at": T0, "account_id": ACCOUNT, "case_id": CASE, **kwargs}


EXAMPLES: dict[type[Event], dict[str, Any]] = {
    cat.AccountFiled: _filing(
        account=snapshot(status="pending", platform_account_id=None),
        filing_type="open",
        levels=["unit", "county", "city"],
        event_on=date(2025, 6, 2),
    ),
    cat.AccountApproved: _filing(filing_type="open", level="county", final=False, next_level="city"),
    cat.AccountRejected: _filing(
        account=snapshot(status="rejected"),
        filing_type="open",
        level="city",
        reason="名称未包含县级以上行政区域名称",
    ),
    cat.AccountWithdrawn: _filing(
        account=snapshot(status="rejected"),
        filing_type="open",
        level="county",
        reason="主办单位调整，暂缓开设",
    ),
    cat.AccountReturned: _filing(
        filing_type="change",
        level="unit",
        reason="请补充运维人员信息",
        amend_by=date(2025, 6, 12),
    ),
    cat.AccountAnnounced: _filing(
        account=snapshot(status="announcing"),
        filing_type="open",
        starts_on=date(2025, 6, 4),
        ends_on=date(2025, 6, 25),
        working_days=15,
        announcement_url="https://www.lq.gov.cn/gs/2025/0604.html",
    ),
    cat.AccountOpened: _account(filing_id=FILING, actor_id="system", effective_on=date(2025, 6, 26)),
    cat.AccountChanged: _account(
        filing_id=None,
        actor_id=PERSON,
        changed_fields=["attention_tier"],
        previous=snapshot(),
        account=snapshot(attention_tier="high"),
        effective_on=date(2025, 6, 3),
    ),
    cat.AccountMerged: _filing(
        merged_account_ids=[ACCOUNT_2],
        merged_accounts=[snapshot(ACCOUNT_2, status="merged", platform="weibo", name="路桥市场监管微博")],
        effective_on=date(2025, 7, 1),
    ),
    cat.AccountSuspended: _filing(
        account=snapshot(status="suspended"), reason="机构改革职能划转", effective_on=date(2025, 7, 1)
    ),
    cat.AccountDeregistered: _filing(
        account=snapshot(status="deregistered"),
        reason="长期不更新，予以注销",
        effective_on=date(2025, 7, 1),
        stop_notice_on=date(2025, 6, 3),
    ),
    cat.RegionSettingsChanged: {
        "occurred_at": T0,
        "region_code": "331004",
        "settings": {"not_updated_violation_days": 14, "not_updated_warning_days": 7},
        "changed_keys": ["not_updated_warning_days"],
        "version": 3,
        "actor_id": PERSON,
    },
    cat.WorkCalendarLoaded: {
        "occurred_at": T0,
        "region_code": "330000",
        "year": 2026,
        "holidays": [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)],
        "workdays": [date(2026, 1, 4)],
        "loaded_by": PERSON,
        "source_document": "国务院办公厅关于2026年部分节假日安排的通知",
    },
    cat.PersonRegistered: {
        "occurred_at": T0,
        "person_id": PERSON,
        "name": "王芳",
        "unit_id": UNIT,
        "region_code": "331004",
        "roles": ["editor"],
    },
    cat.UnitRegistered: {
        "occurred_at": T0,
        "unit_id": UNIT,
        "name": "台州市路桥区人民政府办公室",
        "region_code": "331004",
        "kind": "office",
        "duty_keywords": ["政务公开", "发布"],
        "principal_name": "李明",
        "deputy_head_name": "陈静",
        "liaison_person_id": PERSON,
        "contact_email": "xmt@luqiao.gov.cn",
        "contact_phone": "0576-82400000",
    },
    cat.UnitChanged: {
        "occurred_at": T0,
        "unit_id": UNIT,
        "name": "台州市路桥区市场监督管理局",
        "region_code": "331004",
        "kind": "unit",
        "duty_keywords": ["市场监管"],
        "changed_fields": ["deputy_head_name"],
        "deputy_head_name": "周强",
    },
    cat.PostSubmitted: _post(
        title="关于开展食品安全抽检的公告",
        content_hash=HASH,
        kind="original",
        review_levels=3,
        submitted_by=PERSON,
        revision=1,
    ),
    cat.PostChecked: _post(
        content_hash=HASH,
        findings_total=3,
        by_category={"secrets_privacy": 1, "expression_error": 2},
        by_severity={"block": 1, "warn": 2},
        blocking=True,
        lexicon_versions={"sensitive": "2025.05.1", "corrections": "2025.04.2"},
    ),
    cat.PostReviewed: _post(
        level=2,
        final=False,
        reviewer_id=PERSON_2,
        reviewer_name="李强",
        decision="approve",
        content_hash=HASH,
    ),
    cat.PostApproved: _post(
        title="关于开展食品安全抽检的公告",
        text="根据年度计划，我局将于6月开展食品安全监督抽检。",
        content_hash=HASH,
        reviewers=signatures(),
        override=False,
        override_reason=None,
    ),
    cat.PostRejected: _post(
        level=3, reviewer_id=PERSON_3, reviewer_name="陈静", reason="涉及未公开的调查信息"
    ),
    cat.PostReturned: _post(level=2, reviewer_id=PERSON_2, reviewer_name="李强", reason="请核对数据来源"),
    cat.PostPublished: _post(
        platform="wechat",
        platform_post_id="2247483650_1",
        url="https://mp.weixin.qq.com/s/AbCdEf",
        content_hash=HASH,
        published_at=T0 + timedelta(hours=1),
        reviewers=signatures(2),
        published_by=PERSON,
    ),
    cat.PostOverridden: _post(
        approver_id=PERSON_3,
        approver_name="陈静",
        reason="号码为单位公开服务热线，不属于个人隐私",
        blocking_categories=["secrets_privacy"],
        content_hash=HASH,
    ),
    cat.CampaignIssued: {
        "occurred_at": T0,
        "campaign_id": CAMPAIGN,
        "title": "全国防灾减灾日宣传",
        "content_hash": HASH_2,
        "target_account_ids": [ACCOUNT, ACCOUNT_2],
        "deadline": T0 + timedelta(days=2),
        "issuer_region_code": "331000",
        "issued_by": PERSON,
    },
    cat.CampaignTargetCompleted: {
        "occurred_at": T0,
        "campaign_id": CAMPAIGN,
        "account_id": ACCOUNT,
        "post_id": POST,
        "completed_at": T0 + timedelta(days=1),
        "deadline": T0 + timedelta(days=2),
        "on_time": True,
    },
    cat.LexiconPublished: {
        "occurred_at": T0,
        "lexicon_key": "331004/leaders",
        "kind": "leaders",
        "scope_region_code": "331004",
        "replaces_base": False,
        "name": "331004-leaders",
        "version": "r3",
        "seq": 3,
        "entries_count": 1,
        "document_hash": "sha256:" + "b" * 64,
        "document": {
            "kind": "leader_names",
            "name": "331004-leaders",
            "version": "r3",
            "entries": [{"name": "王建国", "title": "区长"}],
        },
        "document_path": "/v1/lexicons/leaders?region=331004&version=r3",
        "published_by": "system",
    },
    cat.PostObserved: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "platform": "weibo",
        "platform_post_id": "5012345678901234",
        "url": None,
        "title": "",
        "text": "今天的抽检结果已公布。",
        "content_hash": HASH_2,
        "published_at": T0 - timedelta(hours=2),
        "observed_at": T0,
        "matched_post_id": None,
        "ingest_channel": "connector",
    },
    cat.MetricsObserved: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "platform_post_id": "2247483650_1",
        "reads": 1520,
        "watching": 12,
        "likes": 40,
        "shares": 9,
        "comments": 3,
        "as_of": T0,
        "ingest_channel": "ingest_api",
    },
    cat.MessageReceived: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "message_id": "msg-88231",
        "channel": "message",
        "received_at": T0 - timedelta(days=1),
    },
    cat.MessageAnswered: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "message_id": "msg-88231",
        "answered_at": T0,
    },
    cat.AlertRaised: {
        "occurred_at": T0,
        "alert_id": ALERT,
        "account_id": ACCOUNT,
        "unit_id": UNIT,
        "region_code": "331004",
        "rule": "not_updated",
        "severity": "violation",
        "alert_class": "not_updated",
        "period": "2025-06-03",
        "detail": {"days_silent": 15, "threshold_days": 14},
    },
    cat.AlertResolved: {
        "occurred_at": T0,
        "alert_id": ALERT,
        "account_id": ACCOUNT,
        "rule": "not_updated",
        "period": "2025-06-03",
        "resolution": "cleared",
    },
    cat.InteractionSwitched: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "enabled": False,
        "switched_at": T0 - timedelta(hours=2),
        "ingest_channel": "connector",
    },
    cat.HotWordsExtracted: {
        "occurred_at": T0,
        "region_code": "331004",
        "day": T0.date(),
        "window_days": 7,
        "posts": 42,
        "terms": [{"term": "医保", "weight": 0.61, "rank": 1}, {"term": "防汛", "weight": 0.37, "rank": 2}],
    },
    cat.NoticeIssued: _case(
        alert_id=ALERT,
        unit_id=UNIT,
        region_code="331004",
        rule="not_updated",
        severity="violation",
        rectify_by=date(2025, 6, 10),
    ),
    cat.RectificationSubmitted: _case(report_id=REPORT, signed_by="张伟", sealed=True, submitted_by=PERSON),
    cat.RectificationAccepted: _case(report_id=REPORT, accepted_by=PERSON_2),
    cat.RectificationReturned: _case(
        report_id=REPORT, returned_by=PERSON_2, reason="未加盖公章", rectify_by=date(2025, 6, 13)
    ),
    cat.InterviewScheduled: _case(
        interview_id=REPORT,
        unit_id=UNIT,
        year=2025,
        violation_count=2,
        ladder_step=2,
        interviewee_role="liaison",
        interviewer_role="open_government_centre",
        scheduled_for=T0 + timedelta(days=5),
    ),
    cat.CaseClosed: _case(outcome="rectified", closed_on_time=True),
    cat.ClosureRecommended: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "unit_id": UNIT,
        "rule": "not_updated",
        "notice_count": 3,
        "case_ids": [CASE],
        "reason": "因内容不更新被通报三次",
    },
    cat.ReminderSent: _case(
        unit_id=UNIT, region_code="331004", reminder_number=2, rectify_by=date(2025, 6, 10), days_overdue=0
    ),
    cat.CaseEscalated: _case(
        unit_id=UNIT, region_code="331004", rectify_by=date(2025, 6, 10), days_overdue=1
    ),
    cat.InterviewHeld: _case(
        interview_id=REPORT, unit_id=UNIT, held_at=T0 + timedelta(days=6), recorded_by=PERSON_2
    ),
    cat.InterviewCancelled: _case(
        interview_id=REPORT,
        unit_id=UNIT,
        year=2025,
        violation_count=2,
        counted=1,
        reason="告警经核实为误报（已撤销），当年违规次数回落至1次",
    ),
    cat.BulletinPublished: {
        "occurred_at": T0,
        "bulletin_id": REPORT,
        "region_code": "331004",
        "period_kind": "month",
        "period_start": date(2025, 5, 1),
        "period_end": date(2025, 5, 31),
        "title": "路桥区政务新媒体月通报（2025年5月）",
        "violations": 3,
        "rectified": 2,
        "overdue": 1,
        "interviews": 1,
        "closure_recommendations": 0,
        "pdf_sha256": "0" * 64,
    },
    cat.ScoresComputed: {
        "occurred_at": T0,
        "account_id": ACCOUNT,
        "unit_id": UNIT,
        "region_code": "331004",
        "platform": "wechat",
        "period_kind": "quarter",
        "period_start": date(2025, 4, 1),
        "period_end": date(2025, 6, 30),
        "diligence": 88.5,
        "effect": 71.2,
        "content": 96.0,
        "cluster": 100.0,
        "growth": 52.3,
        "composite": 83.1,
        "weights": {"diligence": 0.3, "effect": 0.2, "content": 0.3, "cluster": 0.1, "growth": 0.1},
        "passed": True,
        "veto_reasons": [],
    },
}


E = TypeVar("E", bound=Event)


def example(cls: type[E]) -> E:
    return cls.model_validate(EXAMPLES[cls])


EVENT_CLASSES = [CATALOGUE[t] for t in sorted(CATALOGUE)]


def _ids(cls: type[Event]) -> str:
    return str(cls.event_type)


# ----------------------------------------------------------------------------------------------------------
# Committed files match the code
# ----------------------------------------------------------------------------------------------------------


def test_committed_contracts_match_the_code() -> None:
    assert check_contracts(REPO) == []


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_committed_schema_is_the_generated_one(cls: type[Event]) -> None:
    committed = json.loads((REPO / schema_path(cls.event_type)).read_text(encoding="utf-8"))
    assert committed == json_schema(cls)
    assert committed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert committed["$id"] == cls.event_type
    assert (committed["x-topic"], committed["x-key"], committed["x-service"]) == (
        cls.topic,
        cls.key_field,
        cls.service,
    )


def test_committed_asyncapi_is_the_generated_one() -> None:
    committed = (REPO / ASYNCAPI_PATH).read_text(encoding="utf-8")
    assert committed == generated_files()[ASYNCAPI_PATH]


def test_integrator_guide_lists_every_topic_and_type() -> None:
    guide = (REPO / "docs" / "events.md").read_text(encoding="utf-8")
    for cls in EVENT_CLASSES:
        assert f"`{cls.event_type}` ({cls.__name__})" in guide, (
            f"docs/events.md does not list {cls.event_type}"
        )
        assert f"| `{cls.topic}` | {cls.service} | `{cls.key_field}` |" in guide


def test_generation_is_deterministic() -> None:
    assert generated_files() == generated_files()


# ----------------------------------------------------------------------------------------------------------
# Compatibility rules on synthetic schemas
# ----------------------------------------------------------------------------------------------------------

BASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "gov.test.thing.happened.v1",
    "type": "object",
    "title": "ThingHappened",
    "properties": {
        "thing_id": {"type": "string", "format": "uuid", "description": "The thing."},
        "count": {"type": "integer", "minimum": 0},
        "colour": {"$ref": "#/$defs/Colour"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "owner": {"$ref": "#/$defs/Owner"},
    },
    "required": ["thing_id", "count", "colour", "owner"],
    "$defs": {
        "Colour": {"type": "string", "enum": ["red", "green"]},
        "Owner": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "level": {"type": "integer"}},
            "required": ["name"],
        },
    },
    "x-topic": "gov.test.things",
    "x-key": "thing_id",
    "x-service": "test",
}


def changed(edit: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE_SCHEMA)
    edit(schema)
    return schema


def test_identical_schemas_are_compatible() -> None:
    assert compatibility_problems(BASE_SCHEMA, copy.deepcopy(BASE_SCHEMA)) == []


def test_removed_field_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        del s["properties"]["count"]
        s["required"].remove("count")

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert problems == ["count: removed property"]


def test_removed_optional_field_is_breaking() -> None:
    problems = compatibility_problems(BASE_SCHEMA, changed(lambda s: s["properties"].pop("note")))
    assert problems == ["note: removed property"]


def test_type_change_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["count"] = {"type": "string"}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert any(p.startswith("count: changed type: integer -> string") for p in problems), problems


def test_nullable_to_required_type_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["note"] = {"type": "string", "default": None}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert problems == ["note: changed type: string|null -> string"]


def test_new_required_field_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["region_code"] = {"type": "string"}
        s["required"].append("region_code")

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert len(problems) == 1
    assert problems[0].startswith("region_code: new required property")


def test_new_optional_field_is_additive() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["region_code"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}

    assert compatibility_problems(BASE_SCHEMA, changed(edit)) == []


def test_narrowed_enum_is_breaking_and_widened_enum_is_additive() -> None:
    narrowed = changed(lambda s: s["$defs"]["Colour"]["enum"].remove("green"))
    assert compatibility_problems(BASE_SCHEMA, narrowed) == ['colour: narrowed enum: removed "green"']
    widened = changed(lambda s: s["$defs"]["Colour"]["enum"].append("blue"))
    assert compatibility_problems(BASE_SCHEMA, widened) == []


def test_changes_inside_a_nested_model_are_found() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["$defs"]["Owner"]["required"].append("level")
        s["$defs"]["Owner"]["properties"]["name"] = {"type": "integer"}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert "owner.level: became required" in problems
    assert any(p.startswith("owner.name: changed type") for p in problems), problems


def test_tightened_constraint_and_moved_topic_are_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["count"]["maximum"] = 10
        s["x-topic"] = "gov.test.other"

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert "count: added constraint maximum=10" in problems
    assert any("x-topic" in p for p in problems), problems


def test_wording_changes_are_not_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["title"] = "Renamed"
        s["properties"]["thing_id"]["description"] = "The thing, described better."
        s["$defs"]["Owner"]["description"] = "Who owns it."

    assert compatibility_problems(BASE_SCHEMA, changed(edit)) == []


def _contract_tree(tmp_path: Path) -> Path:
    write_contracts(tmp_path)
    return tmp_path


def test_check_reports_drift_and_write_fixes_it(tmp_path: Path) -> None:
    root = _contract_tree(tmp_path)
    assert check_contracts(root) == []
    target = root / schema_path("gov.review.post.submitted.v1")
    schema = json.loads(target.read_text(encoding="utf-8"))
    del schema["properties"]["scheduled_for"]  # as if the field were new in the code: additive
    target.write_text(json.dumps(schema), encoding="utf-8")
    problems = check_contracts(root)
    assert len(problems) == 1
    assert "differs from the code" in problems[0] and "make contracts" in problems[0]
    assert write_contracts(root) == [target]
    assert check_contracts(root) == []


def test_check_and_write_refuse_a_breaking_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _contract_tree(tmp_path)
    target = root / schema_path("gov.monitor.alert.raised.v1")
    schema = json.loads(target.read_text(encoding="utf-8"))
    schema["properties"]["escalated"] = {"type": "boolean"}  # committed earlier, gone from the code now
    before = json.dumps(schema)
    target.write_text(before, encoding="utf-8")

    problems = check_contracts(root)
    assert problems == [
        "gov.monitor.alert.raised.v1: breaking change inside a version at escalated: removed property"
    ]
    with pytest.raises(BreakingChangeError):
        write_contracts(root)
    assert target.read_text(encoding="utf-8") == before  # nothing was overwritten

    assert main(["check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert ".v2" in err and "make contracts" in err
    assert main(["write", "--root", str(root)]) == 1


def test_check_reports_missing_and_stale_files(tmp_path: Path) -> None:
    root = _contract_tree(tmp_path)
    (root / schema_path("gov.scoring.scores.computed.v1")).unlink()
    (root / schema_path("gov.scoring.scores.retracted.v1")).write_text("{}", encoding="utf-8")
    problems = check_contracts(root)
    assert any(
        p.startswith("contracts/schemas/gov.scoring.scores.computed.v1.json: missing") for p in problems
    )
    assert any("gov.scoring.scores.retracted.v1" in p and "no type" in p for p in problems)


def test_cli_on_clean_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["write", "--root", str(tmp_path)]) == 0
    assert main(["check", "--root", str(tmp_path)]) == 0
    assert "contracts up to date" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------------
# Catalogue invariants
# ----------------------------------------------------------------------------------------------------------


def test_catalogue_is_complete_and_exported() -> None:
    names = {cls.__name__ for cls in EVENT_CLASSES}
    assert len(names) == len(EVENT_CLASSES), "two event classes share a name"
    assert names <= set(vars(events)["__all__"])
    for required in (
        "AccountFiled",
        "AccountMerged",
        "PostSubmitted",
        "PostApproved",
        "PostOverridden",
        "CampaignTargetCompleted",
        "AlertRaised",
        "InterviewScheduled",
        "ScoresComputed",
    ):
        assert required in names
    for name in vars(cat)["__all__"]:
        assert hasattr(events, name)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_type_topic_and_key(cls: type[Event]) -> None:
    match = TYPE_PATTERN.match(cls.event_type)
    assert match, f"{cls.event_type} is not gov.<service>.<aggregate>.<verb>.v<n>"
    assert cls.service in SERVICES
    assert match["service"] == cls.service
    assert cls.topic.startswith(f"gov.{cls.service}.")
    assert event_class(cls.event_type) is cls
    assert cls.source() == f"/govmedia/{cls.service}"
    field = cls.model_fields.get(cls.key_field)
    assert field is not None, f"key field {cls.key_field} is not a field of {cls.__name__}"
    assert field.is_required(), "the Kafka key must always be present"


def test_one_owner_and_one_key_per_topic() -> None:
    by_topic: dict[str, set[tuple[str, str]]] = {}
    for cls in EVENT_CLASSES:
        by_topic.setdefault(cls.topic, set()).add((cls.service, cls.key_field))
    assert {t: len(v) for t, v in by_topic.items()} == dict.fromkeys(by_topic, 1)


def _models(cls: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    seen.add(cls)
    for field in cls.model_fields.values():
        for arg in _walk_annotation(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                _models(arg, seen)
    return seen


def _walk_annotation(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()):
        found.extend(_walk_annotation(arg))
    return found


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_models_are_frozen_and_documented(cls: type[Event]) -> None:
    for model in _models(cls, set()):
        assert model.model_config.get("frozen") is True, f"{model.__name__} is not frozen"
        assert (model.__doc__ or "").strip(), f"{model.__name__} has no docstring"
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
    assert "occurred_at" in cls.model_fields


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_instances_are_immutable(cls: type[Event]) -> None:
    instance = example(cls)
    with pytest.raises(ValidationError):
        instance.__setattr__("occurred_at", T0)


# ----------------------------------------------------------------------------------------------------------
# Round trip of one example per event type
# ----------------------------------------------------------------------------------------------------------


def test_every_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_round_trip_through_json(cls: type[Event]) -> None:
    instance = example(cls)
    wire = instance.model_dump_json()
    assert cls.model_validate_json(wire) == instance
    data = json.loads(wire)
    assert cls.model_validate(data) == instance
    assert instance.aggregate_id == str(data[cls.key_field])
    # the wire form agrees with the committed schema: every property known, every required one present
    schema = json.loads((REPO / schema_path(cls.event_type)).read_text(encoding="utf-8"))
    assert set(data) <= set(schema["properties"])
    assert set(schema["required"]) <= set(data)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_ids)
def test_unknown_fields_from_a_newer_producer_are_ignored(cls: type[Event]) -> None:
    data = json.loads(example(cls).model_dump_json())
    data["added_in_a_later_release"] = {"anything": 1}
    assert cls.model_validate(data) == example(cls)


# ----------------------------------------------------------------------------------------------------------
# A few rules the models enforce
# ----------------------------------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    data = dict(EXAMPLES[cat.MessageAnswered], answered_at=datetime(2025, 6, 3, 9, 30))
    with pytest.raises(ValidationError):
        cat.MessageAnswered.model_validate(data)


def test_ids_are_canonical_uuid_strings() -> None:
    data = dict(EXAMPLES[cat.MessageAnswered], account_id=ACCOUNT.upper())
    assert cat.MessageAnswered.model_validate(data).account_id == ACCOUNT
    with pytest.raises(ValidationError):
        cat.MessageAnswered.model_validate(dict(data, account_id="account-1"))


def test_scores_are_bounded() -> None:
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(dict(EXAMPLES[cat.ScoresComputed], composite=100.5))


def test_snapshot_must_be_of_the_keyed_account() -> None:
    with pytest.raises(ValidationError):
        cat.AccountSuspended.model_validate(dict(EXAMPLES[cat.AccountSuspended], account=snapshot(ACCOUNT_2)))


def test_one_person_cannot_sign_two_levels() -> None:
    reviewers = signatures(2)
    reviewers[1]["reviewer_id"] = reviewers[0]["reviewer_id"]
    with pytest.raises(ValidationError, match="separation of duties"):
        cat.PostApproved.model_validate(dict(EXAMPLES[cat.PostApproved], reviewers=reviewers))


def test_override_needs_a_reason() -> None:
    with pytest.raises(ValidationError):
        cat.PostApproved.model_validate(dict(EXAMPLES[cat.PostApproved], override=True))


def test_merged_accounts_match_their_ids() -> None:
    with pytest.raises(ValidationError):
        cat.AccountMerged.model_validate(dict(EXAMPLES[cat.AccountMerged], merged_account_ids=[ACCOUNT]))


def test_swapped_workdays_are_weekend_days() -> None:
    data = dict(EXAMPLES[cat.WorkCalendarLoaded], workdays=[date(2026, 1, 5)])  # a Monday
    with pytest.raises(ValidationError):
        cat.WorkCalendarLoaded.model_validate(data)


def test_calendar_days_are_sorted_and_deduplicated() -> None:
    days = {date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 2)}
    loaded = cat.WorkCalendarLoaded.model_validate(dict(EXAMPLES[cat.WorkCalendarLoaded], holidays=days))
    assert loaded.holidays == (date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3))


def test_scoring_period_must_be_well_formed() -> None:
    data = dict(EXAMPLES[cat.ScoresComputed], period_start=date(2025, 5, 1))  # not a quarter start
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(data)
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(dict(EXAMPLES[cat.ScoresComputed], veto_reasons=["not_updated"]))


def test_on_time_agrees_with_the_deadline() -> None:
    data = dict(EXAMPLES[cat.CampaignTargetCompleted], completed_at=T0 + timedelta(days=3))
    with pytest.raises(ValidationError):
        cat.CampaignTargetCompleted.model_validate(data)
    assert cat.CampaignTargetCompleted.model_validate(dict(data, on_time=False)).on_time is False


def test_check_summary_must_add_up() -> None:
    with pytest.raises(ValidationError):
        cat.PostChecked.model_validate(dict(EXAMPLES[cat.PostChecked], blocking=False))


# ----------------------------------------------------------------------------------------------------------
# The AsyncAPI document
# ----------------------------------------------------------------------------------------------------------


def test_asyncapi_describes_every_topic_and_message() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    topics = {cls.topic for cls in EVENT_CLASSES}
    assert set(doc["channels"]) == topics
    for cls in EVENT_CLASSES:
        channel = doc["channels"][cls.topic]
        assert channel["address"] == cls.topic
        assert cls.__name__ in channel["messages"]
        message = doc["components"]["messages"][cls.__name__]
        assert message["x-event-type"] == cls.event_type
        assert message["bindings"]["kafka"]["key"]["description"].endswith(f"`{cls.key_field}` field.")
        assert message["payload"] == {"$ref": f"#/components/schemas/{cls.__name__}"}
        pinned = message["headers"]["allOf"][1]["properties"]
        assert pinned["ce_type"] == {"const": cls.event_type}
        assert pinned["ce_source"] == {"const": cls.source()}
        operation = doc["operations"][f"{cls.topic}.send"]
        assert operation["action"] == "send"
        assert {"$ref": f"#/channels/{cls.topic}/messages/{cls.__name__}"} in operation["messages"]
    headers = doc["components"]["schemas"]["CloudEventHeaders"]
    assert {
        "ce_id",
        "ce_source",
        "ce_specversion",
        "ce_type",
        "ce_time",
        "ce_subject",
        "content-type",
    } <= set(headers["required"])
    assert "traceparent" in headers["properties"]
    assert headers["properties"]["ce_specversion"]["const"] == "1.0"


def test_asyncapi_references_resolve() -> None:
    doc = asyncapi_document()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.startswith("#/")
        target: Any = doc
        for part in ref[2:].split("/"):
            assert part in target, f"dangling reference {ref}"
            target = target[part]


def test_yaml_rendering_reads_back_as_the_same_document() -> None:
    yaml = pytest.importorskip("yaml")
    doc = asyncapi_document()
    assert yaml.safe_load(render_yaml(doc)) == json.loads(json.dumps(doc))
    tricky = {"on": "yes", "list": [[1, 2], {"a": None}], "s": 'line\nbreak \u2028 "q" 中文', "f": 1e-05}
    assert yaml.safe_load(render_yaml(tricky)) == tricky


def test_timestamps_keep_their_offset() -> None:
    wire = json.loads(example(cat.MessageAnswered).model_dump_json())
    assert wire["answered_at"] == "2025-06-03T09:30:00+08:00"
    utc = cat.MessageAnswered.model_validate(
        dict(EXAMPLES[cat.MessageAnswered], answered_at=T0.astimezone(UTC))
    )
    assert utc.answered_at == example(cat.MessageAnswered).answered_at  # same instant
