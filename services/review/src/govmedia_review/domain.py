"""Review domain: the post workflow (先审后发, 分级审核), separation of duties, overrides, joint pushes.

Pure rules: no I/O, no clock. The service loads a post, rebuilds its :class:`PostWorkflow`, calls one
method and saves what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from govmedia_common.events import FindingCategory, FindingSeverity

__all__ = [
    "DEFAULT_LEVELS",
    "EVENT_CATEGORY",
    "FINAL_ROLES",
    "MIN_LEVELS",
    "PASSING",
    "REVIEWER_ROLES",
    "Actor",
    "BlockingFindings",
    "CampaignProgress",
    "CheckSummary",
    "ContentDiffers",
    "Decision",
    "DomainError",
    "FinalApproverRequired",
    "IllegalTransition",
    "InvalidLevels",
    "NotAReviewer",
    "NotTheSubmitter",
    "OneStepPerPerson",
    "OverrideNotApplicable",
    "OverrideReasonRequired",
    "PostNotInReview",
    "PostStatus",
    "PostWorkflow",
    "PublishedBeforeApproval",
    "ReasonRequired",
    "ReferNotApplicable",
    "ReviewOutcome",
    "Signature",
    "Step",
    "SubmitterCannotReview",
    "TargetState",
    "campaign_progress",
    "check_summary",
    "level_name",
    "target_state",
]

MIN_LEVELS = 2
DEFAULT_LEVELS = 3

REVIEWER_ROLES: frozenset[str] = frozenset({"reviewer", "approver"})
FINAL_ROLES: frozenset[str] = frozenset({"approver"})


class PostStatus(StrEnum):
    """Where a post stands: draft → submitted → checked → in_review (level 1..n) → approved → published."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKED = "checked"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    PUBLISHED = "published"


class Decision(StrEnum):
    """What a reviewer decides at a level."""

    APPROVE = "approve"  # passes to the next level, or is approved at the last one
    REFER = "refer"  # 上报终审: a lower level sends a post with blocking findings up without vouching for it
    RETURN = "return"  # back to the editor for changes (退回修改)
    REJECT = "reject"  # refused for good (不予发布)


PASSING = frozenset({Decision.APPROVE, Decision.REFER})


def level_name(level: int, levels: int) -> str:
    """Chinese name of a review level: 初审, 复审 (复审1, 复审2… beyond three levels), 终审."""
    if level == levels:
        return "终审"
    if level == 1:
        return "初审"
    return "复审" if levels == 3 else f"复审{level - 1}"


# ------------------------------------------------------------------------------------------------ errors


class DomainError(Exception):
    """A review rule refused the operation; ``kind`` says whether it is a refusal, a conflict or invalid."""

    code: ClassVar[str] = "review-rule"
    kind: ClassVar[str] = "conflict"  # refused (403) | conflict (409) | invalid (422)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidLevels(DomainError):
    """The number of review levels is below the minimum."""

    code = "invalid-review-levels"
    kind = "invalid"


class IllegalTransition(DomainError):
    """The post is not in a state that allows this step."""

    code = "illegal-transition"


class PostNotInReview(DomainError):
    """Nothing to decide: the post waits at no review level."""

    code = "post-not-in-review"


class NotAReviewer(DomainError):
    """The actor holds no reviewing role."""

    code = "reviewer-role-required"
    kind = "refused"


class FinalApproverRequired(DomainError):
    """The last level (终审) is decided by an approver only."""

    code = "final-approver-required"
    kind = "refused"


class SubmitterCannotReview(DomainError):
    """Whoever submitted a post never reviews it, in any revision."""

    code = "submitter-cannot-review"
    kind = "refused"


class OneStepPerPerson(DomainError):
    """One person took a step of this revision already (review at another level, or publication)."""

    code = "one-step-per-person"
    kind = "refused"


class BlockingFindings(DomainError):
    """A level below the last cannot pass a post with blocking findings."""

    code = "blocking-findings"


class OverrideReasonRequired(DomainError):
    """Approving over a blocking finding needs a written reason."""

    code = "override-reason-required"
    kind = "invalid"


class ReferNotApplicable(DomainError):
    """Only a level below the last refers, and only a post with blocking findings."""

    code = "refer-not-applicable"
    kind = "invalid"


class OverrideNotApplicable(DomainError):
    """An override reason was given where nothing is overridden."""

    code = "override-not-applicable"
    kind = "invalid"


class ReasonRequired(DomainError):
    """Returning or rejecting needs a reason."""

    code = "reason-required"
    kind = "invalid"


class NotTheSubmitter(DomainError):
    """Only the submitter edits and resubmits a returned post."""

    code = "not-the-submitter"
    kind = "refused"


class ContentDiffers(DomainError):
    """What was published is not what was approved."""

    code = "content-differs-from-approved"


class PublishedBeforeApproval(DomainError):
    """A publication time before the approval would be publication without review (未审先发)."""

    code = "published-before-approval"
    kind = "invalid"


# ------------------------------------------------------------------------------------------------ workflow


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the fields of a verified principal the rules need."""

    user_id: str
    name: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Step:
    """One review decision; the history is never rewritten."""

    revision: int
    level: int
    decision: Decision
    reviewer_id: str
    reviewer_name: str
    at: datetime
    content_hash: str
    reason: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True)
class Signature:
    """Who signed off a level of the approved revision (recorded with the published post)."""

    level: int
    reviewer_id: str
    reviewer_name: str
    reviewed_at: datetime


@dataclass(frozen=True)
class ReviewOutcome:
    """What one review decision did to the post."""

    step: Step
    status: PostStatus
    final: bool  # the decision was taken at the last level
    override: bool  # approved over a blocking finding
    next_level: int | None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@dataclass
class PostWorkflow:
    """A post travelling through machine check and level-by-level human review.

    A returned post is edited and resubmitted as a new revision: it is checked again and restarts at level
    1, because each level vouches for exactly the text it passes up. Separation of duties holds per
    revision (nobody takes two steps of one revision) and across revisions for the submitter (never a
    reviewer of their own post).

    Blocking findings: a level below the last cannot approve such a post; it returns it, or refers it
    (上报终审) with a written note, which passes the level without vouching for the flagged content. Only
    the final approver approves over a blocking finding, with a written override reason.
    """

    submitted_by: str
    levels: int = DEFAULT_LEVELS
    status: PostStatus = PostStatus.DRAFT
    revision: int = 0
    current_level: int | None = None
    content_hash: str | None = None
    blocking: bool = False
    approved_hash: str | None = None
    approved_at: datetime | None = None
    override_reason: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_levels(self.levels)

    # ---- submission and check

    def submit(self, actor_id: str, content_hash: str) -> None:
        """First submission of a draft: revision 1."""
        if self.status is not PostStatus.DRAFT:
            raise IllegalTransition(f"only a draft can be submitted; the post is {self.status}")
        if actor_id != self.submitted_by:
            raise NotTheSubmitter("a post is submitted by its editor")
        self._start_revision(content_hash)

    def resubmit(self, actor_id: str, content_hash: str, *, levels: int | None = None) -> None:
        """The submitter sends an edited returned post again: a new revision, checked again, from level 1."""
        if actor_id != self.submitted_by:
            raise NotTheSubmitter("only the editor who submitted the post edits and resubmits it")
        if self.status is not PostStatus.RETURNED:
            raise IllegalTransition(f"only a returned post can be edited; the post is {self.status}")
        if levels is not None:
            _check_levels(levels)
            self.levels = levels
        self._start_revision(content_hash)

    def _start_revision(self, content_hash: str) -> None:
        self.revision += 1
        self.status = PostStatus.SUBMITTED
        self.content_hash = content_hash
        self.current_level = None
        self.blocking = False

    def record_check(self, content_hash: str, *, blocking: bool) -> None:
        """The machine check of the submitted revision finished."""
        if self.status is not PostStatus.SUBMITTED:
            raise IllegalTransition(f"only a submitted post is checked; the post is {self.status}")
        if content_hash != self.content_hash:
            raise IllegalTransition("the check is not of the submitted version")
        self.blocking = blocking
        self.status = PostStatus.CHECKED

    def open_review(self) -> None:
        """A checked post waits at level 1 (blocking findings go to the reviewers, they do not stop it)."""
        if self.status is not PostStatus.CHECKED:
            raise IllegalTransition(f"only a checked post enters review; the post is {self.status}")
        self.status = PostStatus.IN_REVIEW
        self.current_level = 1

    # ---- review

    @property
    def at_final_level(self) -> bool:
        """True when the post waits at its last level (终审)."""
        return self.current_level == self.levels

    def steps_of(self, revision: int) -> list[Step]:
        """Decisions taken on one revision, in order."""
        return [s for s in self.steps if s.revision == revision]

    def review(
        self,
        actor: Actor,
        decision: Decision,
        *,
        at: datetime,
        reason: str | None = None,
        override_reason: str | None = None,
    ) -> ReviewOutcome:
        """Decide at the level the post waits at."""
        if self.status is not PostStatus.IN_REVIEW or self.current_level is None:
            raise PostNotInReview(f"the post is {self.status}; there is nothing to review")
        level = self.current_level
        final = self.at_final_level
        if actor.user_id == self.submitted_by:
            raise SubmitterCannotReview("the editor who submitted a post cannot review it")
        earlier = [s for s in self.steps_of(self.revision) if s.reviewer_id == actor.user_id]
        if earlier:
            raise OneStepPerPerson(
                f"{actor.name} already decided level {earlier[0].level} of this revision; "
                "no person takes two steps of the same post (三审中任何两个环节不能同时由一人担任)"
            )
        if final and not actor.roles & FINAL_ROLES:
            raise FinalApproverRequired(
                f"level {level} ({level_name(level, self.levels)}) is decided by an approver (终审)"
            )
        if not actor.roles & REVIEWER_ROLES:
            raise NotAReviewer("reviewing needs the reviewer or approver role")
        reason, override_reason = _text(reason), _text(override_reason)
        override = False
        if decision is Decision.APPROVE:
            if self.blocking and not final:
                raise BlockingFindings(
                    f"level {level} cannot pass a post with blocking findings: return it for correction, or "
                    "refer it (decision 'refer', with your note) to the final approver, who alone may "
                    "override a blocking finding with a written reason"
                )
            if self.blocking and override_reason is None:
                raise OverrideReasonRequired(
                    "approving over a blocking finding needs a written override_reason"
                )
            if not self.blocking and override_reason is not None:
                raise OverrideNotApplicable("the post has no blocking finding; there is nothing to override")
            override = self.blocking
        else:
            if decision is Decision.REFER and (final or not self.blocking):
                raise ReferNotApplicable(
                    "only a level below the last refers a post, and only one with blocking findings; "
                    + ("decide it yourself" if final else "approve it instead")
                )
            if reason is None:
                raise ReasonRequired(f"a reason (note) is required to {decision} a post")
            if override_reason is not None:
                raise OverrideNotApplicable("an override reason only goes with approval at the final level")
        step = Step(
            revision=self.revision,
            level=level,
            decision=decision,
            reviewer_id=actor.user_id,
            reviewer_name=actor.name,
            at=at,
            content_hash=self.content_hash or "",
            reason=reason,
            override_reason=override_reason,
        )
        self.steps.append(step)
        next_level: int | None = None
        if decision is Decision.RETURN:
            self.status, self.current_level = PostStatus.RETURNED, None
        elif decision is Decision.REJECT:
            self.status, self.current_level = PostStatus.REJECTED, None
        elif final:
            self.status, self.current_level = PostStatus.APPROVED, None
            self.approved_hash, self.approved_at = self.content_hash, at
            self.override_reason = override_reason
        else:
            next_level = self.current_level = level + 1
        return ReviewOutcome(
            step=step, status=self.status, final=final, override=override, next_level=next_level
        )

    def signatures(self) -> tuple[Signature, ...]:
        """Who passed each level of the current revision (approved or referred), level 1 first."""
        approvals = [s for s in self.steps_of(self.revision) if s.decision in PASSING]
        return tuple(
            Signature(s.level, s.reviewer_id, s.reviewer_name, s.at)
            for s in sorted(approvals, key=lambda s: s.level)
        )

    # ---- publication

    def publish(self, actor_id: str | None, content_hash: str, *, published_at: datetime) -> None:
        """Record that the approved version went out; the publisher reviewed none of its levels."""
        if self.status is not PostStatus.APPROVED:
            raise IllegalTransition(f"only an approved post is published; the post is {self.status}")
        if content_hash != self.approved_hash:
            raise ContentDiffers(
                f"the published content ({content_hash}) differs from the approved version "
                f"({self.approved_hash}); publish exactly what was approved, or resubmit the change"
            )
        if actor_id is not None and any(s.reviewer_id == actor_id for s in self.steps_of(self.revision)):
            raise OneStepPerPerson(
                "the person who publishes a post cannot also have reviewed it (严禁同一人发布、同一人审核)"
            )
        if self.approved_at is not None and published_at < self.approved_at:
            raise PublishedBeforeApproval(
                f"published_at {published_at.isoformat()} is before the approval at "
                f"{self.approved_at.isoformat()}"
            )
        self.status = PostStatus.PUBLISHED
        self.published_at = published_at
        self.published_by = actor_id


def _check_levels(levels: int) -> None:
    if levels < MIN_LEVELS:
        raise InvalidLevels(f"a post needs at least {MIN_LEVELS} review levels, got {levels}")


# ------------------------------------------------------------------------------------------------ checks

# The check engine's categories in the event catalogue's vocabulary (the public contract).
EVENT_CATEGORY: Mapping[str, FindingCategory] = {
    "illegal": FindingCategory.ILLEGAL_CONTENT,
    "security_stability": FindingCategory.SECURITY_STABILITY,
    "secrets_privacy": FindingCategory.SECRETS_PRIVACY,
    "ads_links": FindingCategory.ADVERTISING_LINKS,
    "personal_opinion": FindingCategory.PERSONAL_OPINION,
    "sensitive_topic": FindingCategory.SENSITIVE_WITHOUT_CONSENT,
    "serious_expression_error": FindingCategory.SERIOUS_EXPRESSION_ERROR,
    "typo": FindingCategory.EXPRESSION_ERROR,
    "reprint_source": FindingCategory.REPOST_SOURCE,
}


@dataclass(frozen=True)
class CheckSummary:
    """Counts of a check's findings, per catalogue category and severity."""

    total: int
    by_category: dict[FindingCategory, int]
    by_severity: dict[FindingSeverity, int]
    blocking: bool
    blocking_categories: tuple[FindingCategory, ...]


def check_summary(findings: Iterable[Mapping[str, Any]]) -> CheckSummary:
    """Summarise findings (as the engine's dicts) for ``PostChecked`` and ``PostOverridden``."""
    by_category: dict[FindingCategory, int] = {}
    by_severity: dict[FindingSeverity, int] = {}
    blocking: list[FindingCategory] = []
    total = 0
    for f in findings:
        category = EVENT_CATEGORY[str(f["category"])]
        severity = FindingSeverity(str(f["severity"]))
        by_category[category] = by_category.get(category, 0) + 1
        by_severity[severity] = by_severity.get(severity, 0) + 1
        if severity is FindingSeverity.BLOCK and category not in blocking:
            blocking.append(category)
        total += 1
    return CheckSummary(total, by_category, by_severity, bool(blocking), tuple(blocking))


# -------------------------------------------------------------------------------------------- joint pushes


class TargetState(StrEnum):
    """Where a target account of a joint push (联动推送) stands."""

    PENDING = "pending"
    ON_TIME = "on_time"
    LATE = "late"


def target_state(completed_at: datetime | None, deadline: datetime) -> TargetState:
    """On time when published no later than the deadline; late after it; pending until published."""
    if completed_at is None:
        return TargetState.PENDING
    return TargetState.ON_TIME if completed_at <= deadline else TargetState.LATE


@dataclass(frozen=True)
class CampaignProgress:
    """How far a joint push got: the 协同完成率 and its on-time part."""

    total: int
    on_time: int
    late: int
    pending: int

    @property
    def completion_rate(self) -> float:
        """Completed targets (on time or late) over all targets, 0..1."""
        return (self.on_time + self.late) / self.total if self.total else 0.0

    @property
    def on_time_rate(self) -> float:
        """Targets completed by the deadline over all targets, 0..1."""
        return self.on_time / self.total if self.total else 0.0


def campaign_progress(states: Iterable[TargetState]) -> CampaignProgress:
    """Count the targets' states."""
    counts = dict.fromkeys(TargetState, 0)
    for state in states:
        counts[state] += 1
    return CampaignProgress(
        total=sum(counts.values()),
        on_time=counts[TargetState.ON_TIME],
        late=counts[TargetState.LATE],
        pending=counts[TargetState.PENDING],
    )
