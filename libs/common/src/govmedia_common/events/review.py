"""Events the review service owns: posts through review (``gov.review.posts``, key ``account_id``), joint
pushes (``gov.review.campaigns``, key ``campaign_id``) and lexicon versions (``gov.review.lexicons``, key
``lexicon_key``). Topic, aggregate and key are declared once per topic.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, Field, model_validator

from govmedia_common.events.base import Fact
from govmedia_common.events.types import (
    ContentHash,
    Count,
    FrozenValue,
    NonEmpty,
    Platform,
    RegionCode,
    Uuid,
)

__all__ = [
    "CampaignIssued",
    "CampaignTargetCompleted",
    "FindingCategory",
    "FindingSeverity",
    "LexiconPublished",
    "PostApproved",
    "PostChecked",
    "PostKind",
    "PostOverridden",
    "PostPublished",
    "PostRejected",
    "PostReturned",
    "PostReviewed",
    "PostSubmitted",
    "ReviewDecision",
    "ReviewerSignature",
]


class ReviewDecision(StrEnum):
    """What a reviewer decided at one review level."""

    APPROVE = "approve"  # passes to the next level, or is approved at the last one
    REFER = "refer"  # passed up to the final approver without vouching for a blocking finding (上报终审)
    RETURN = "return"  # back to the editor for changes (退回修改)
    REJECT = "reject"  # refused for good (不予发布)


class PostKind(StrEnum):
    """Original post or repost (转载)."""

    ORIGINAL = "original"
    REPOST = "repost"


class FindingCategory(StrEnum):
    """Category of a machine-check finding (风险识别): the six prohibitions (六严禁), expression errors."""

    ILLEGAL_CONTENT = "illegal_content"  # 违反国家法律法规
    SECURITY_STABILITY = "security_stability"  # 三安全一稳定
    SECRETS_PRIVACY = "secrets_privacy"  # 两秘密一隐私
    ADVERTISING_LINKS = "advertising_links"  # 商业广告和链接
    PERSONAL_OPINION = "personal_opinion"  # 个人观点和情绪
    SENSITIVE_WITHOUT_CONSENT = "sensitive_without_consent"  # 需经单位同意的敏感事项
    SERIOUS_EXPRESSION_ERROR = "serious_expression_error"  # 严重表述错误
    EXPRESSION_ERROR = "expression_error"  # 一般表述错误
    REPOST_SOURCE = "repost_source"  # repost without an authoritative source (转载来源)


class FindingSeverity(StrEnum):
    """Severity of a finding: ``block`` stops the post unless the final approver overrides it."""

    BLOCK = "block"
    WARN = "warn"


class ReviewerSignature(FrozenValue):
    """Who signed off a post at one review level (recorded with the published post)."""

    level: int = Field(
        ge=1, le=3, description="Review level, 1 first (初审); the last level is the final one (终审)."
    )
    reviewer_id: Uuid = Field(description="Person who reviewed at this level.")
    reviewer_name: NonEmpty = Field(description="That person's name, as recorded with the post.")
    reviewed_at: AwareDatetime = Field(description="When the level was signed off.")


def _check_signatures(signatures: tuple[ReviewerSignature, ...]) -> None:
    levels = [s.level for s in signatures]
    if levels != list(range(1, len(levels) + 1)):
        raise ValueError(f"reviewer levels must be 1..n in order, got {levels}")
    people = [s.reviewer_id for s in signatures]
    if len(set(people)) != len(people):
        raise ValueError("one person signed two review levels of the same post (separation of duties)")


class _ReviewEvent(Fact, service="review"):
    """Events the review service owns."""


class _PostEvent(_ReviewEvent, topic="gov.review.posts", aggregate="account", key="account_id"):
    """Review events about one post. Keyed by the account so that one account's posts stay in order."""

    account_id: Uuid = Field(description="The account the post is for (Kafka key).")
    post_id: Uuid = Field(description="The post in the review service.")


class PostSubmitted(_PostEvent, type="gov.review.post.submitted.v1"):
    """An editor submitted a post for review (先审后发). The text itself stays in the review service."""

    title: str = Field(description="Title of the post (may be empty for short posts).")
    content_hash: ContentHash = Field(description="Hash of the submitted version.")
    kind: PostKind = Field(description="Original post or repost.")
    repost_source: str | None = Field(default=None, description="Named source of a repost.")
    campaign_id: Uuid | None = Field(
        default=None, description="The joint push (联动推送) this post republishes, if any."
    )
    review_levels: int = Field(ge=2, le=3, description="Number of review levels the post must pass.")
    submitted_by: Uuid = Field(description="The editor (采编).")
    revision: int = Field(
        ge=1, description="1 for the first submission, +1 for each resubmission after return."
    )
    scheduled_for: AwareDatetime | None = Field(
        default=None, description="Requested publication time, if any."
    )


class PostChecked(_PostEvent, type="gov.review.post.checked.v1"):
    """The machine check (风险识别) of a post version finished; findings are summarised, not listed."""

    content_hash: ContentHash = Field(description="Hash of the version that was checked.")
    findings_total: Count = Field(description="Number of findings.")
    by_category: dict[FindingCategory, Count] = Field(description="Number of findings per category.")
    by_severity: dict[FindingSeverity, Count] = Field(description="Number of findings per severity.")
    blocking: bool = Field(description="True when at least one finding blocks publication.")
    lexicon_versions: dict[str, str] = Field(
        description="Version of each lexicon used, by lexicon name (sensitive words, corrections...)."
    )

    @model_validator(mode="after")
    def _counts_agree(self) -> Self:
        if sum(self.by_category.values()) != self.findings_total:
            raise ValueError("by_category does not add up to findings_total")
        if sum(self.by_severity.values()) != self.findings_total:
            raise ValueError("by_severity does not add up to findings_total")
        if self.blocking != (self.by_severity.get(FindingSeverity.BLOCK, 0) > 0):
            raise ValueError("blocking must be true exactly when there is a finding of severity 'block'")
        return self


class PostReviewed(_PostEvent, type="gov.review.post.reviewed.v1"):
    """A reviewer decided at one review level (分级审核: 初审, 复审, 终审)."""

    level: int = Field(
        ge=1, le=3, description="Review level, 1 first (初审); 3 is 终审 when there are three."
    )
    final: bool = Field(description="True when this is the last level the post needs.")
    reviewer_id: Uuid = Field(description="The reviewer.")
    reviewer_name: NonEmpty = Field(description="The reviewer's name.")
    decision: ReviewDecision = Field(description="What the reviewer decided.")
    content_hash: ContentHash = Field(description="Hash of the version reviewed (reviewers may edit).")
    comment: str | None = Field(default=None, description="Reviewer's comment, if any.")


class PostApproved(_PostEvent, type="gov.review.post.approved.v1"):
    """The last review level approved the post: this version may be published.

    Carries the approved text so that the monitor can compare what appears on the platform (双向反馈).
    """

    title: str = Field(description="Approved title.")
    text: str = Field(description="Approved text.")
    content_hash: ContentHash = Field(description="Hash of the approved title and text.")
    reviewers: tuple[ReviewerSignature, ...] = Field(
        min_length=2, description="Who signed off each level, level 1 first; no person twice."
    )
    override: bool = Field(description="True when the final approver approved over a blocking finding.")
    override_reason: str | None = Field(description="The written reason for an override; None otherwise.")
    campaign_id: Uuid | None = Field(
        default=None, description="The joint push this post republishes, if any."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_signatures(self.reviewers)
        if self.override != bool(self.override_reason):
            raise ValueError("override_reason must be given exactly when override is true")
        return self


class PostRejected(_PostEvent, type="gov.review.post.rejected.v1"):
    """A reviewer refused the post for good; it will not be published."""

    level: int = Field(ge=1, le=3, description="Review level that refused.")
    reviewer_id: Uuid = Field(description="The reviewer.")
    reviewer_name: NonEmpty = Field(description="The reviewer's name.")
    reason: NonEmpty = Field(description="Why.")


class PostReturned(_PostEvent, type="gov.review.post.returned.v1"):
    """A reviewer returned the post to the editor for changes (退回修改)."""

    level: int = Field(ge=1, le=3, description="Review level that returned it.")
    reviewer_id: Uuid = Field(description="The reviewer.")
    reviewer_name: NonEmpty = Field(description="The reviewer's name.")
    reason: NonEmpty = Field(description="What has to change.")


class PostPublished(_PostEvent, type="gov.review.post.published.v1"):
    """An approved post went out on the platform, with its reviewers' names recorded."""

    platform: Platform = Field(description="Platform it was published on.")
    platform_post_id: NonEmpty = Field(description="The platform's id of the post.")
    url: str | None = Field(description="Public address of the post, when the platform has one.")
    content_hash: ContentHash = Field(description="Hash of the version published (the approved one).")
    published_at: AwareDatetime = Field(description="When it went out.")
    reviewers: tuple[ReviewerSignature, ...] = Field(
        min_length=2, description="Who signed off each level, level 1 first."
    )
    published_by: Uuid | None = Field(
        default=None, description="Person who pressed publish; None when published by a schedule."
    )
    campaign_id: Uuid | None = Field(
        default=None, description="The joint push this post republishes, if any."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_signatures(self.reviewers)
        return self


class PostOverridden(_PostEvent, type="gov.review.post.overridden.v1"):
    """The final approver (终审) approved a post over a blocking finding, with a written reason.

    Published right before the matching ``PostApproved`` (``override`` true); the monitor raises an alert.
    """

    approver_id: Uuid = Field(description="The final approver.")
    approver_name: NonEmpty = Field(description="The final approver's name.")
    reason: NonEmpty = Field(description="The written reason.")
    blocking_categories: tuple[FindingCategory, ...] = Field(
        min_length=1, description="Categories of the blocking findings that were overridden."
    )
    content_hash: ContentHash = Field(description="Hash of the version approved.")


class _CampaignEvent(_ReviewEvent, topic="gov.review.campaigns", aggregate="campaign", key="campaign_id"):
    """Review events about one joint push (联动推送), keyed by the campaign."""


class CampaignIssued(_CampaignEvent, type="gov.review.campaign.issued.v1"):
    """A competent office issued a joint push (联动推送): target accounts republish it by a deadline."""

    campaign_id: Uuid = Field(description="The joint push (Kafka key).")
    title: NonEmpty = Field(description="Title of the content to republish.")
    content_hash: ContentHash = Field(description="Hash of the content to republish.")
    target_account_ids: tuple[Uuid, ...] = Field(min_length=1, description="Accounts that must republish it.")
    deadline: AwareDatetime = Field(description="When republication is due.")
    issuer_region_code: RegionCode = Field(description="Region of the issuing office.")
    issued_by: NonEmpty = Field(description="Who issued it (person id or machine client id).")

    @model_validator(mode="after")
    def _unique_targets(self) -> Self:
        if len(set(self.target_account_ids)) != len(self.target_account_ids):
            raise ValueError("target_account_ids has duplicates")
        return self


class CampaignTargetCompleted(_CampaignEvent, type="gov.review.campaign.target_completed.v1"):
    """One target account published its republication of a joint push (feeds the 协同完成率)."""

    campaign_id: Uuid = Field(description="The joint push (Kafka key).")
    account_id: Uuid = Field(description="The target account.")
    post_id: Uuid = Field(description="The target's post that republished it.")
    completed_at: AwareDatetime = Field(description="When the post was published.")
    deadline: AwareDatetime = Field(description="The campaign deadline, repeated for convenience.")
    on_time: bool = Field(description="True when completed_at is not after the deadline.")

    @model_validator(mode="after")
    def _on_time_agrees(self) -> Self:
        if self.on_time != (self.completed_at <= self.deadline):
            raise ValueError("on_time must equal completed_at <= deadline")
        return self


class _LexiconEvent(_ReviewEvent, topic="gov.review.lexicons", aggregate="lexicon", key="lexicon_key"):
    """Review events about one lexicon list, keyed by ``<scope region>/<kind>``; versions in order."""

    lexicon_key: str = Field(
        pattern="^[0-9]{6}/[a-z_]+$",
        description="`<scope_region_code>/<kind>` (Kafka key), e.g. `330000/sensitive`.",
    )


class LexiconPublished(_LexiconEvent, type="gov.review.lexicon.published.v1"):
    """A new version of a lexicon list was stored and is used by every check in its scope from now on.

    Scopes: `000000` is the shipped default, used where a province has no list of its own; a province's list
    replaces the default for its whole province (`replaces_base`); a city's or county's list holds only terms
    it adds for its own subtree, on top of its ancestors' lists. The check for a post combines the base with
    the additions of the post's region ancestors. A consumer (the monitor) keeps the latest `seq` per key.

    Size: the document is carried inline when its JSON is at most 256 KiB (about 3,000 entries); a larger
    one (a lexicon may hold 50,000 entries, several MB, beyond the broker's 1 MiB record limit) comes with
    `document` null, and the consumer fetches `document_path` from the review service over HTTP and checks
    it against `document_hash`.
    """

    kind: NonEmpty = Field(
        description="Lexicon kind: sensitive, expressions, topics, link_domains, reprint_sources, protected, "
        "leaders, ads, opinions (new kinds may be added)."
    )
    scope_region_code: RegionCode = Field(
        description="Region whose subtree the list applies to; `000000` for the shipped default."
    )
    replaces_base: bool = Field(
        description="True for a default or province list (it replaces the base), false for a lower "
        "office's additions (combined with its ancestors' lists)."
    )
    name: NonEmpty = Field(description="Name of the list.")
    version: NonEmpty = Field(description="Version label, never reused within one scope and kind.")
    seq: int = Field(ge=1, description="Sequence number of this version (grows with every change).")
    entries_count: Count = Field(description="Number of entries in the document.")
    document_hash: ContentHash = Field(
        description="`sha256:` of the document's canonical JSON (sorted keys, UTF-8, no spaces)."
    )
    document: dict[str, Any] | None = Field(
        default=None,
        description="The lexicon document `{kind, name, version, entries}`, or null when it is larger "
        "than 256 KiB: then fetch `document_path`.",
    )
    document_path: NonEmpty = Field(
        description="Path on the review service that returns this version (`GET`, JSON, field `document`)."
    )
    published_by: NonEmpty = Field(description="Who stored it (person id, machine client id or `system`).")

    @model_validator(mode="after")
    def _key_agrees(self) -> Self:
        if self.lexicon_key != f"{self.scope_region_code}/{self.kind}":
            raise ValueError("lexicon_key must be '<scope_region_code>/<kind>'")
        return self
