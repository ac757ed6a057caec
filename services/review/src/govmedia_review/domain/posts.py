"""The post aggregate: machine check and level-by-level human review (先审后发, 分级审核), publication.

Pure rules: no I/O, no clock (every time is a parameter). The service loads a post through
:mod:`govmedia_review.mapping`, calls one method, maps it back and writes the events it recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from govmedia_common.events import (
    Platform,
    PostApproved,
    PostChecked,
    PostKind,
    PostOverridden,
    PostPublished,
    PostRejected,
    PostReturned,
    PostReviewed,
    PostSubmitted,
    ReviewDecision,
    ReviewerSignature,
)
from govmedia_common.events.recorder import RecordsEvents
from govmedia_review.domain.checks import CheckReport, check_report, check_summary
from govmedia_review.domain.errors import (
    BlockingFindings,
    ContentDiffers,
    FinalApproverRequired,
    IllegalTransition,
    InvalidLevels,
    NotAReviewer,
    NotTheSubmitter,
    OneStepPerPerson,
    OverrideNotApplicable,
    OverrideReasonRequired,
    PostNotInReview,
    PublishedBeforeApproval,
    ReasonRequired,
    ReferNotApplicable,
    SubmitterCannotReview,
)

__all__ = [
    "DEFAULT_LEVELS",
    "FINAL_ROLES",
    "MIN_LEVELS",
    "PASSING",
    "REFER_NOTE",
    "REVIEWER_ROLES",
    "Actor",
    "Decision",
    "PostStatus",
    "PostWorkflow",
    "ReviewOutcome",
    "Revision",
    "Signature",
    "Step",
    "level_name",
]

MIN_LEVELS = 2
DEFAULT_LEVELS = 3

REVIEWER_ROLES: frozenset[str] = frozenset({"reviewer", "approver"})
FINAL_ROLES: frozenset[str] = frozenset({"approver"})
REFER_NOTE = "上报终审（存在拦截性问题）："  # marks a referral in PostReviewed.comment


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


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the fields of a verified principal the rules need."""

    user_id: str
    name: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Step:
    """One review decision; the history is never rewritten. ``level_name`` is derived, never stored."""

    revision: int
    level: int
    decision: Decision
    reviewer_id: str
    reviewer_name: str
    at: datetime
    content_hash: str
    reason: str | None = None
    override_reason: str | None = None
    level_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class Signature:
    """Who signed off a level of the approved revision (recorded with the published post)."""

    level: int
    reviewer_id: str
    reviewer_name: str
    reviewed_at: datetime
    level_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class Revision:
    """One submitted version of the post and the machine check of exactly that version."""

    revision: int
    title: str
    body: str
    is_reprint: bool
    source: str | None
    content_hash: str
    submitted_at: datetime
    blocking: bool
    findings: tuple[Mapping[str, Any], ...]
    lexicon_versions: Mapping[str, str]
    checked_at: datetime

    @property
    def check(self) -> CheckReport:
        """The check of this revision as people read it."""
        return check_report(self.findings, self.lexicon_versions)


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
class PostWorkflow(RecordsEvents):
    """A post travelling through machine check and level-by-level human review.

    A returned post is edited and resubmitted as a new revision: it is checked again and restarts at level
    1, because each level vouches for exactly the text it passes up. Separation of duties holds per
    revision (nobody takes two steps of one revision) and across revisions for the submitter (never a
    reviewer of their own post).

    Blocking findings: a level below the last cannot approve such a post; it returns it, or refers it
    (上报终审) with a written note, which passes the level without vouching for the flagged content. Only
    the final approver approves over a blocking finding, with a written override reason.

    Every change records the catalogue events it causes (``pull_events``).
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
    # Identity, place and content of the post (the rest of its row).
    id: str = ""
    account_id: str = ""
    unit_id: str = ""
    region_code: str = ""
    platform: str = Platform.OTHER.value
    campaign_id: str | None = None
    submitted_by_name: str = ""
    submitted_at: datetime | None = None
    title: str = ""
    body: str = ""
    is_reprint: bool = False
    source: str | None = None
    platform_post_id: str | None = None
    url: str | None = None
    revisions: list[Revision] = field(default_factory=list)
    version: int = 0  # optimistic-lock version of the stored row (the ETag); the domain never changes it

    def __post_init__(self) -> None:
        _check_levels(self.levels)

    # ---- read-only views (what the API shows)

    @property
    def override(self) -> bool:
        """Approved over a blocking finding."""
        return self.override_reason is not None

    @property
    def current_level_name(self) -> str | None:
        return level_name(self.current_level, self.levels) if self.current_level else None

    @property
    def review_levels(self) -> int:
        return self.levels

    @property
    def current_revision(self) -> Revision | None:
        return next((r for r in self.revisions if r.revision == self.revision), None)

    @property
    def check(self) -> CheckReport | None:
        """The machine check of the current revision."""
        current = self.current_revision
        return current.check if current else None

    @property
    def reviewers(self) -> tuple[Signature, ...]:
        return self.signatures()

    @property
    def publication(self) -> PostWorkflow | None:
        """The post itself once published (its platform_post_id, url, published_at, published_by)."""
        return self if self.published_at is not None and self.platform_post_id is not None else None

    # ---- submission and check

    def submit(self, actor_id: str, content_hash: str, *, at: datetime) -> None:
        """First submission of a draft: revision 1."""
        if self.status is not PostStatus.DRAFT:
            raise IllegalTransition(f"only a draft can be submitted; the post is {self.status}")
        if actor_id != self.submitted_by:
            raise NotTheSubmitter("a post is submitted by its editor")
        self.submitted_at = self.submitted_at or at
        self._start_revision(content_hash, at)

    def resubmit(
        self,
        actor_id: str,
        content_hash: str,
        *,
        at: datetime,
        levels: int | None = None,
        title: str | None = None,
        body: str | None = None,
        is_reprint: bool | None = None,
        source: str | None = None,
    ) -> None:
        """The submitter sends an edited returned post again: a new revision, checked again, from level 1."""
        if actor_id != self.submitted_by:
            raise NotTheSubmitter("only the editor who submitted the post edits and resubmits it")
        if self.status is not PostStatus.RETURNED:
            raise IllegalTransition(f"only a returned post can be edited; the post is {self.status}")
        if levels is not None:
            _check_levels(levels)
            self.levels = levels
        if body is not None:
            self.title, self.body = title or "", body
            self.is_reprint, self.source = bool(is_reprint), source
        self._start_revision(content_hash, at)

    def _start_revision(self, content_hash: str, at: datetime) -> None:
        self.revision += 1
        self.status = PostStatus.SUBMITTED
        self.content_hash = content_hash
        self.current_level = None
        self.blocking = False
        self.record(
            PostSubmitted(
                occurred_at=at,
                account_id=self.account_id,
                post_id=self.id,
                title=self.title,
                content_hash=content_hash,
                kind=PostKind.REPOST if self.is_reprint else PostKind.ORIGINAL,
                repost_source=self.source,
                campaign_id=self.campaign_id,
                review_levels=self.levels,
                submitted_by=self.submitted_by,
                revision=self.revision,
            )
        )

    def record_check(
        self,
        content_hash: str,
        findings: Sequence[Mapping[str, Any]],
        *,
        lexicon_versions: Mapping[str, str],
        at: datetime,
    ) -> None:
        """The machine check of the submitted revision finished (findings as the engine's dicts)."""
        if self.status is not PostStatus.SUBMITTED:
            raise IllegalTransition(f"only a submitted post is checked; the post is {self.status}")
        if content_hash != self.content_hash:
            raise IllegalTransition("the check is not of the submitted version")
        summary = check_summary(findings)
        self.blocking = summary.blocking
        self.status = PostStatus.CHECKED
        self.revisions.append(
            Revision(
                revision=self.revision,
                title=self.title,
                body=self.body,
                is_reprint=self.is_reprint,
                source=self.source,
                content_hash=content_hash,
                submitted_at=at,
                blocking=summary.blocking,
                findings=tuple(findings),
                lexicon_versions=dict(lexicon_versions),
                checked_at=at,
            )
        )
        self.record(
            PostChecked(
                occurred_at=at,
                account_id=self.account_id,
                post_id=self.id,
                content_hash=content_hash,
                findings_total=summary.total,
                by_category=summary.by_category,
                by_severity=summary.by_severity,
                blocking=summary.blocking,
                lexicon_versions=dict(lexicon_versions),
            )
        )

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
            level_name=level_name(level, self.levels),
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
        self._record_review(step, final=final, override=override)
        return ReviewOutcome(
            step=step, status=self.status, final=final, override=override, next_level=next_level
        )

    def _record_review(self, step: Step, *, final: bool, override: bool) -> None:
        post = {"occurred_at": step.at, "account_id": self.account_id, "post_id": self.id}
        who = {"reviewer_id": step.reviewer_id, "reviewer_name": step.reviewer_name}
        comment = f"{REFER_NOTE}{step.reason}" if step.decision is Decision.REFER else step.reason
        self.record(
            PostReviewed(
                **post,
                **who,
                level=step.level,
                final=final,
                decision=ReviewDecision(step.decision.value),
                content_hash=step.content_hash,
                comment=comment,
            )
        )
        if step.decision is Decision.RETURN:
            self.record(PostReturned(**post, **who, level=step.level, reason=step.reason or ""))
        elif step.decision is Decision.REJECT:
            self.record(PostRejected(**post, **who, level=step.level, reason=step.reason or ""))
        elif self.status is PostStatus.APPROVED:
            if override:
                current = self.current_revision
                categories = check_summary(current.findings if current else ()).blocking_categories
                self.record(
                    PostOverridden(
                        **post,
                        approver_id=step.reviewer_id,
                        approver_name=step.reviewer_name,
                        reason=step.override_reason or "",
                        blocking_categories=categories,
                        content_hash=step.content_hash,
                    )
                )
            self.record(
                PostApproved(
                    **post,
                    title=self.title,
                    text=self.body,
                    content_hash=self.content_hash or "",
                    reviewers=self._event_signatures(),
                    override=override,
                    override_reason=step.override_reason,
                    campaign_id=self.campaign_id,
                )
            )

    def signatures(self) -> tuple[Signature, ...]:
        """Who passed each level of the current revision (approved or referred), level 1 first."""
        approvals = [s for s in self.steps_of(self.revision) if s.decision in PASSING]
        return tuple(
            Signature(s.level, s.reviewer_id, s.reviewer_name, s.at, level_name(s.level, self.levels))
            for s in sorted(approvals, key=lambda s: s.level)
        )

    def _event_signatures(self) -> tuple[ReviewerSignature, ...]:
        return tuple(
            ReviewerSignature(
                level=x.level,
                reviewer_id=x.reviewer_id,
                reviewer_name=x.reviewer_name,
                reviewed_at=x.reviewed_at,
            )
            for x in self.signatures()
        )

    # ---- publication

    def publish(
        self,
        actor_id: str | None,
        content_hash: str,
        *,
        published_at: datetime,
        at: datetime,
        platform_post_id: str = "",
        url: str | None = None,
    ) -> None:
        """Record that the approved version went out; the publisher reviewed none of its levels."""
        if self.status is not PostStatus.APPROVED:
            raise IllegalTransition(f"only an approved post is published; the post is {self.status}")
        if content_hash != self.approved_hash:
            raise ContentDiffers(
                f"the published content ({content_hash}) differs from the approved version "
                f"({self.approved_hash}); publish exactly what was approved, or resubmit the change",
                approved_hash=self.approved_hash,
                published_hash=content_hash,
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
        self.platform_post_id, self.url = platform_post_id or self.platform_post_id, url
        self.record(
            PostPublished(
                occurred_at=at,
                account_id=self.account_id,
                post_id=self.id,
                platform=Platform(self.platform),
                platform_post_id=self.platform_post_id or "",
                url=url,
                content_hash=content_hash,
                published_at=published_at,
                reviewers=self._event_signatures(),
                published_by=actor_id,
                campaign_id=self.campaign_id,
            )
        )


def _check_levels(levels: int) -> None:
    if levels < MIN_LEVELS:
        raise InvalidLevels(f"a post needs at least {MIN_LEVELS} review levels, got {levels}")
