"""One valid example of every event type, for the contract tests: realistic ids, times with their offset,
and the nested snapshots and signatures some events carry."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

from govmedia_common.events import CATALOGUE, Event
from govmedia_common.events import catalogue as cat

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


def event_id_of(cls: type[Event]) -> str:
    return str(cls.event_type)
