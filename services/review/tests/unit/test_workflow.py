"""Review domain: the post state machine, separation of duties, overrides, resubmission, joint pushes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from govmedia_checks import Category
from govmedia_common.errors import ErrorKind
from govmedia_common.events import (
    FindingCategory,
    FindingSeverity,
    PostApproved,
    PostOverridden,
    PostPublished,
    PostReviewed,
)
from govmedia_common.workdays import SHANGHAI
from govmedia_review import domain as d
from govmedia_review.domain import Actor, Decision, PostStatus, PostWorkflow

T0 = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
H1 = "sha256:" + "1" * 64
H2 = "sha256:" + "2" * 64


def uid(name: str) -> str:
    """A stable UUID per name: the events the domain records carry UUIDs, as the catalogue demands."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


EDITOR = Actor(uid("editor"), "采编甲", frozenset({"editor"}))
R1 = Actor(uid("r1"), "初审乙", frozenset({"reviewer"}))
R2 = Actor(uid("r2"), "复审丙", frozenset({"reviewer"}))
R3 = Actor(uid("r3"), "复审丁", frozenset({"reviewer"}))
BOSS = Actor(uid("boss"), "终审戊", frozenset({"approver"}))
BOSS2 = Actor(uid("boss2"), "终审己", frozenset({"approver"}))
CLEAN: list[dict[str, Any]] = []
BLOCKING = [
    {
        "category": "ads_links",
        "severity": "block",
        "field": "body",
        "start": 0,
        "end": 4,
        "excerpt": "加微信",
        "message": "商业广告",
        "suggestion": "删除",
        "rule_id": "ads-1",
    }
]


def new_post(**fields: Any) -> PostWorkflow:
    return PostWorkflow(id=uid("post"), account_id=uid("account"), submitted_by=EDITOR.user_id, **fields)


def findings(blocking: bool) -> list[dict[str, Any]]:
    return BLOCKING if blocking else CLEAN


def in_review(*, levels: int = 3, blocking: bool = False, digest: str = H1) -> PostWorkflow:
    wf = new_post(levels=levels)
    wf.submit(EDITOR.user_id, digest, at=T0)
    wf.record_check(digest, findings(blocking), lexicon_versions={}, at=T0)
    wf.open_review()
    return wf


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -------------------------------------------------------------------------------------- the happy path


def test_a_post_goes_draft_submitted_checked_then_three_levels_to_approved_and_published() -> None:
    wf = new_post()
    assert (wf.status, wf.levels, wf.revision) == (PostStatus.DRAFT, d.DEFAULT_LEVELS, 0)
    wf.submit(EDITOR.user_id, H1, at=T0)
    assert (wf.status, wf.revision) == (PostStatus.SUBMITTED, 1)
    wf.record_check(H1, findings(False), lexicon_versions={}, at=T0)
    assert wf.status is PostStatus.CHECKED
    wf.open_review()
    assert (wf.status, wf.current_level) == (PostStatus.IN_REVIEW, 1)

    first = wf.review(R1, Decision.APPROVE, at=at(1))
    assert (first.final, first.next_level, first.status) == (False, 2, PostStatus.IN_REVIEW)
    wf.review(R2, Decision.APPROVE, at=at(2), reason="可以")
    assert wf.at_final_level
    last = wf.review(BOSS, Decision.APPROVE, at=at(3))
    assert (last.final, last.override, last.status, last.next_level) == (
        True,
        False,
        PostStatus.APPROVED,
        None,
    )
    assert (wf.approved_hash, wf.approved_at, wf.current_level) == (H1, at(3), None)
    assert [(x.level, x.reviewer_name) for x in wf.signatures()] == [
        (1, "初审乙"),
        (2, "复审丙"),
        (3, "终审戊"),
    ]

    wf.publish(EDITOR.user_id, H1, published_at=at(10), at=at(10), platform_post_id="wx-1")
    assert (wf.status, wf.published_by) == (PostStatus.PUBLISHED, EDITOR.user_id)


def test_two_levels_is_the_minimum() -> None:
    wf = in_review(levels=2)
    wf.review(R1, Decision.APPROVE, at=at(1))
    assert wf.at_final_level
    assert wf.review(BOSS, Decision.APPROVE, at=at(2)).status is PostStatus.APPROVED
    with pytest.raises(d.InvalidLevels):
        PostWorkflow(submitted_by="x", levels=1)


def test_level_names() -> None:
    assert [d.level_name(n, 3) for n in (1, 2, 3)] == ["初审", "复审", "终审"]
    assert [d.level_name(n, 2) for n in (1, 2)] == ["初审", "终审"]
    assert [d.level_name(n, 4) for n in (1, 2, 3, 4)] == ["初审", "复审1", "复审2", "终审"]


def test_steps_out_of_order_are_refused() -> None:
    wf = new_post()
    with pytest.raises(d.IllegalTransition):
        wf.open_review()
    with pytest.raises(d.PostNotInReview):
        wf.review(R1, Decision.APPROVE, at=at(1))
    wf.submit(EDITOR.user_id, H1, at=T0)
    with pytest.raises(d.IllegalTransition):
        wf.submit(EDITOR.user_id, H1, at=T0)
    with pytest.raises(d.IllegalTransition, match="not of the submitted version"):
        wf.record_check(H2, findings(False), lexicon_versions={}, at=T0)


# -------------------------------------------------------------------------------- separation of duties


def test_the_submitter_never_reviews_even_holding_the_approver_role() -> None:
    wf = in_review(levels=2)
    wf.review(R1, Decision.APPROVE, at=at(1))
    editor_and_boss = Actor(EDITOR.user_id, EDITOR.name, frozenset({"editor", "approver"}))
    with pytest.raises(d.SubmitterCannotReview) as err:
        wf.review(editor_and_boss, Decision.APPROVE, at=at(2))
    assert err.value.code == "submitter-cannot-review" and err.value.kind is ErrorKind.FORBIDDEN


def test_one_person_takes_one_step_of_a_revision() -> None:
    wf = in_review()
    allrounder = Actor(uid("all"), "全能", frozenset({"reviewer", "approver"}))
    wf.review(allrounder, Decision.APPROVE, at=at(1))
    with pytest.raises(d.OneStepPerPerson) as err:
        wf.review(allrounder, Decision.APPROVE, at=at(2))
    assert err.value.code == "one-step-per-person"
    wf.review(R2, Decision.APPROVE, at=at(2))
    with pytest.raises(d.OneStepPerPerson):
        wf.review(allrounder, Decision.APPROVE, at=at(3))
    assert wf.current_level == 3 and len(wf.steps) == 2


def test_the_final_level_needs_an_approver_and_lower_levels_a_reviewer_or_approver() -> None:
    wf = in_review()
    with pytest.raises(d.NotAReviewer):
        wf.review(Actor("x", "编辑", frozenset({"editor"})), Decision.APPROVE, at=at(1))
    wf.review(BOSS2, Decision.APPROVE, at=at(1))  # an approver may take a lower level
    wf.review(R2, Decision.APPROVE, at=at(2))
    with pytest.raises(d.FinalApproverRequired) as err:
        wf.review(R3, Decision.APPROVE, at=at(3))
    assert err.value.kind is ErrorKind.FORBIDDEN
    with pytest.raises(d.FinalApproverRequired):  # not even to return it
        wf.review(R3, Decision.RETURN, at=at(3), reason="改")
    wf.review(BOSS, Decision.APPROVE, at=at(3))


def test_the_publisher_cannot_have_reviewed_the_post() -> None:
    wf = in_review(levels=2)
    wf.review(R1, Decision.APPROVE, at=at(1))
    wf.review(BOSS, Decision.APPROVE, at=at(2))
    with pytest.raises(d.OneStepPerPerson):
        wf.publish(R1.user_id, H1, published_at=at(3), at=at(3), platform_post_id="wx-1")
    wf.publish(
        None, H1, published_at=at(3), at=at(3), platform_post_id="wx-1"
    )  # a scheduled publication has no person
    assert wf.published_by is None


# ----------------------------------------------------------------------------------- blocking findings


def test_lower_levels_cannot_pass_a_post_with_blocking_findings_but_may_return_it() -> None:
    wf = in_review(blocking=True)
    with pytest.raises(d.BlockingFindings) as err:
        wf.review(R1, Decision.APPROVE, at=at(1))
    assert err.value.kind is ErrorKind.RULE_VIOLATED and "refer" in err.value.message
    with pytest.raises(d.BlockingFindings):  # nor override it: that is the final approver's alone
        wf.review(R1, Decision.APPROVE, at=at(1), override_reason="我认为没问题")
    assert wf.steps == [] and wf.current_level == 1
    assert wf.review(R1, Decision.RETURN, at=at(1), reason="请删去敏感词").status is PostStatus.RETURNED


def test_lower_levels_refer_a_blocking_post_and_the_final_approver_overrides_it_with_a_reason() -> None:
    wf = in_review(blocking=True)
    with pytest.raises(d.ReasonRequired):
        wf.review(R1, Decision.REFER, at=at(1))
    referred = wf.review(R1, Decision.REFER, at=at(1), reason="涉及已公开判决，疑似误报")
    assert (referred.next_level, referred.override) == (2, False)
    wf.review(R2, Decision.REFER, at=at(2), reason="同意上报")
    with pytest.raises(d.ReferNotApplicable):  # nothing above the last level
        wf.review(BOSS, Decision.REFER, at=at(3), reason="x")
    with pytest.raises(d.OverrideReasonRequired):
        wf.review(BOSS, Decision.APPROVE, at=at(3))
    with pytest.raises(d.OverrideReasonRequired):
        wf.review(BOSS, Decision.APPROVE, at=at(3), override_reason="   ")
    outcome = wf.review(BOSS, Decision.APPROVE, at=at(3), override_reason=" 引用的是法院公开判决书 ")
    assert outcome.override and outcome.status is PostStatus.APPROVED
    assert wf.override_reason == outcome.step.override_reason == "引用的是法院公开判决书"
    assert [(x.level, x.reviewer_id) for x in wf.signatures()] == [
        (1, R1.user_id),
        (2, R2.user_id),
        (3, BOSS.user_id),
    ]


def test_a_post_without_blocking_findings_is_approved_not_referred() -> None:
    wf = in_review()
    with pytest.raises(d.ReferNotApplicable):
        wf.review(R1, Decision.REFER, at=at(1), reason="请领导定")


def test_an_override_reason_where_nothing_is_overridden_is_refused() -> None:
    wf = in_review(levels=2)
    wf.review(R1, Decision.APPROVE, at=at(1))
    with pytest.raises(d.OverrideNotApplicable):
        wf.review(BOSS, Decision.APPROVE, at=at(2), override_reason="以防万一")
    with pytest.raises(d.OverrideNotApplicable):
        wf.review(BOSS, Decision.REJECT, at=at(2), reason="不发", override_reason="x")


def test_returning_or_rejecting_needs_a_reason_and_rejection_is_final() -> None:
    wf = in_review()
    with pytest.raises(d.ReasonRequired):
        wf.review(R1, Decision.RETURN, at=at(1))
    with pytest.raises(d.ReasonRequired):
        wf.review(R1, Decision.REJECT, at=at(1), reason="  ")
    assert wf.review(R1, Decision.REJECT, at=at(1), reason="不宜发布").status is PostStatus.REJECTED
    with pytest.raises(d.PostNotInReview):
        wf.review(R2, Decision.APPROVE, at=at(2))
    with pytest.raises(d.IllegalTransition):
        wf.resubmit(EDITOR.user_id, H2, at=T0)


# --------------------------------------------------------------------------------- return and resubmit


def test_a_returned_post_is_resubmitted_as_a_new_revision_rechecked_from_level_one() -> None:
    wf = in_review()
    wf.review(R1, Decision.APPROVE, at=at(1))
    wf.review(R2, Decision.RETURN, at=at(2), reason="标题不准确")
    assert (wf.status, wf.current_level) == (PostStatus.RETURNED, None)

    with pytest.raises(d.NotTheSubmitter):
        wf.resubmit(R1.user_id, H2, at=T0)
    wf.resubmit(EDITOR.user_id, H2, at=T0, levels=2)
    assert (wf.status, wf.revision, wf.levels, wf.content_hash) == (PostStatus.SUBMITTED, 2, 2, H2)
    with pytest.raises(d.PostNotInReview):
        wf.review(R1, Decision.APPROVE, at=at(3))
    wf.record_check(H2, findings(False), lexicon_versions={}, at=T0)
    wf.open_review()
    assert wf.current_level == 1

    # Reviewers of revision 1 may review revision 2, each once, never the submitter.
    wf.review(R2, Decision.APPROVE, at=at(3))
    with pytest.raises(d.OneStepPerPerson):
        wf.review(R2, Decision.APPROVE, at=at(4))
    wf.review(BOSS, Decision.APPROVE, at=at(4))
    assert [(x.level, x.reviewer_id) for x in wf.signatures()] == [(1, R2.user_id), (2, BOSS.user_id)]
    assert len(wf.steps) == 4 and len(wf.steps_of(1)) == 2
    assert wf.approved_hash == H2


def test_resubmission_rechecks_and_may_become_blocking() -> None:
    wf = in_review()
    wf.review(R1, Decision.RETURN, at=at(1), reason="补充来源")
    wf.resubmit(EDITOR.user_id, H2, at=T0)
    wf.record_check(H2, findings(True), lexicon_versions={}, at=T0)
    wf.open_review()
    with pytest.raises(d.BlockingFindings):
        wf.review(R1, Decision.APPROVE, at=at(2))


def test_resubmitting_with_fewer_than_two_levels_is_refused() -> None:
    wf = in_review()
    wf.review(R1, Decision.RETURN, at=at(1), reason="改")
    with pytest.raises(d.InvalidLevels):
        wf.resubmit(EDITOR.user_id, H2, at=T0, levels=1)


# ----------------------------------------------------------------------------------------- publication


def test_publication_must_be_of_the_approved_version_after_approval() -> None:
    wf = in_review(levels=2)
    with pytest.raises(d.IllegalTransition):
        wf.publish(EDITOR.user_id, H1, published_at=at(1), at=at(1), platform_post_id="wx-1")
    wf.review(R1, Decision.APPROVE, at=at(1))
    wf.review(BOSS, Decision.APPROVE, at=at(2))
    with pytest.raises(d.ContentDiffers) as err:
        wf.publish(EDITOR.user_id, H2, published_at=at(3), at=at(3), platform_post_id="wx-1")
    assert err.value.code == "content-differs-from-approved"
    with pytest.raises(d.PublishedBeforeApproval):
        wf.publish(EDITOR.user_id, H1, published_at=at(1), at=at(1), platform_post_id="wx-1")
    wf.publish(EDITOR.user_id, H1, published_at=at(2), at=at(2), platform_post_id="wx-1")
    with pytest.raises(d.IllegalTransition):
        wf.publish(EDITOR.user_id, H1, published_at=at(3), at=at(3), platform_post_id="wx-1")


# --------------------------------------------------------------------------------------- check summary


def test_every_check_category_maps_to_a_catalogue_category() -> None:
    assert set(d.EVENT_CATEGORY) == {c.value for c in Category}
    assert len(set(d.EVENT_CATEGORY.values())) == len(d.EVENT_CATEGORY)


def test_check_summary_counts_per_catalogue_category_and_severity() -> None:
    findings = [
        {"category": "typo", "severity": "warn"},
        {"category": "ads_links", "severity": "block"},
        {"category": "ads_links", "severity": "block"},
        {"category": "secrets_privacy", "severity": "block"},
    ]
    summary = d.check_summary(findings)
    assert summary.total == 4 and summary.blocking
    assert summary.by_category == {
        FindingCategory.EXPRESSION_ERROR: 1,
        FindingCategory.ADVERTISING_LINKS: 2,
        FindingCategory.SECRETS_PRIVACY: 1,
    }
    assert summary.by_severity == {FindingSeverity.WARN: 1, FindingSeverity.BLOCK: 3}
    assert summary.blocking_categories == (FindingCategory.ADVERTISING_LINKS, FindingCategory.SECRETS_PRIVACY)
    assert not d.check_summary([]).blocking


# ---------------------------------------------------------------------------------------- joint pushes


def test_campaign_targets_are_on_time_late_or_pending() -> None:
    deadline = at(60)
    assert d.target_state(None, deadline) is d.TargetState.PENDING
    assert d.target_state(deadline, deadline) is d.TargetState.ON_TIME
    assert d.target_state(deadline + timedelta(seconds=1), deadline) is d.TargetState.LATE
    progress = d.campaign_progress(
        [d.TargetState.ON_TIME, d.TargetState.LATE, d.TargetState.PENDING, d.TargetState.ON_TIME]
    )
    assert (progress.total, progress.on_time, progress.late, progress.pending) == (4, 2, 1, 1)
    assert progress.completion_rate == 0.75 and progress.on_time_rate == 0.5
    assert d.campaign_progress([]).completion_rate == 0.0


# ------------------------------------------------------------------------------ events the post records


def test_the_post_records_the_events_of_each_change_in_order() -> None:
    wf = in_review(levels=2, blocking=True)
    assert [type(e).__name__ for e in wf.pull_events()] == ["PostSubmitted", "PostChecked"]
    assert wf.pull_events() == []  # handed over once
    wf.review(R1, Decision.REFER, at=at(1), reason="疑似误报")
    wf.review(BOSS, Decision.APPROVE, at=at(2), override_reason="已核实")
    events = wf.pull_events()
    assert [type(e).__name__ for e in events] == [
        "PostReviewed",
        "PostReviewed",
        "PostOverridden",
        "PostApproved",
    ]
    referred, _, overridden, approved = events
    assert isinstance(referred, PostReviewed) and isinstance(overridden, PostOverridden)
    assert isinstance(approved, PostApproved)
    assert referred.comment == d.REFER_NOTE + "疑似误报"
    assert overridden.blocking_categories == (FindingCategory.ADVERTISING_LINKS,)
    assert [s.reviewer_id for s in approved.reviewers] == [R1.user_id, BOSS.user_id]
    assert {e.aggregate_id for e in events} == {uid("account")}
    wf.publish(None, H1, published_at=at(3), at=at(4), platform_post_id="wx-1")
    (published,) = wf.pull_events()
    assert isinstance(published, PostPublished)
    assert (published.occurred_at, published.published_at) == (at(4), at(3))


def test_a_refused_step_records_nothing() -> None:
    wf = in_review(levels=2)
    wf.pull_events()
    with pytest.raises(d.SubmitterCannotReview):
        wf.review(Actor(EDITOR.user_id, EDITOR.name, frozenset({"approver"})), Decision.APPROVE, at=at(1))
    assert wf.recorded_events == ()
