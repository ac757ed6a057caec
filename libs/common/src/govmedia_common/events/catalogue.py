"""The event catalogue: every fact the services announce on Kafka (the public contract).

Each class below is one CloudEvents type. The class keywords say who owns it, which topic carries it and which
field is the Kafka key. JSON Schemas and the AsyncAPI document under ``contracts/`` are generated from these
classes by :mod:`govmedia_common.events.contracts`; never edit them by hand.

Conventions used throughout:

* identifiers the platform issues (accounts, units, people, posts, filings, alerts, cases...) are
  UUIDs carried as canonical lower-case strings (:data:`Uuid`); identifiers that come from a platform
  (a Weibo post id, a message id) are plain strings;
* instants are timezone-aware RFC 3339 timestamps, calendar days are ISO dates;
* every event carries ``occurred_at``, the instant the owning service recorded the fact
  (the envelope's ``ce_time`` should carry the same instant);
* sequences are tuples so that an event cannot be changed after it is built;
* scores are floats between 0 and 100.

Inside one version only additive changes are allowed (a new optional field, a new enum value);
anything else is a new type ending in ``.v2``. See ``docs/events.md``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .base import Event

__all__ = [
    "AccountAnnounced",
    "AccountApproved",
    "AccountChanged",
    "AccountDeregistered",
    "AccountFiled",
    "AccountMerged",
    "AccountOpened",
    "AccountRejected",
    "AccountReturned",
    "AccountSnapshot",
    "AccountStatus",
    "AccountSuspended",
    "AccountWithdrawn",
    "AlertClass",
    "AlertRaised",
    "AlertResolution",
    "AlertResolved",
    "AlertRule",
    "AlertSeverity",
    "ApprovalLevel",
    "AttentionTier",
    "CampaignIssued",
    "CampaignTargetCompleted",
    "CaseClosed",
    "CaseOutcome",
    "ClosureRecommended",
    "ContentHash",
    "FilingType",
    "FindingCategory",
    "FindingSeverity",
    "IngestChannel",
    "InterviewScheduled",
    "IntervieweeRole",
    "InterviewerRole",
    "MessageAnswered",
    "MessageChannel",
    "MessageReceived",
    "MetricsObserved",
    "NoticeIssued",
    "PeriodKind",
    "PersonRegistered",
    "Platform",
    "PostApproved",
    "PostChecked",
    "PostKind",
    "PostObserved",
    "PostOverridden",
    "PostPublished",
    "PostRejected",
    "PostReturned",
    "PostReviewed",
    "PostSubmitted",
    "RectificationAccepted",
    "RectificationReturned",
    "RectificationSubmitted",
    "RegionCode",
    "RegionSettingsChanged",
    "ReviewDecision",
    "ReviewerSignature",
    "Score",
    "ScoresComputed",
    "Uuid",
    "WorkCalendarLoaded",
]

# --------------------------------------------------------------------------------------------------
# Shared value types
# --------------------------------------------------------------------------------------------------

_UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _canonical_uuid(value: object) -> object:
    """Accept a ``uuid.UUID`` or any spelling of one and keep the canonical lower-case string."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise ValueError(f"not a UUID: {value!r}") from exc
    return value


Uuid = Annotated[
    str,
    BeforeValidator(_canonical_uuid),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": _UUID_PATTERN}),
]
"""A platform-issued identifier: a UUID as its canonical lower-case string."""

RegionCode = Annotated[str, Field(pattern="^[0-9]{6}$")]
"""A six-digit administrative division code (行政区划代码, GB/T 2260), e.g. ``331004``."""

ContentHash = Annotated[str, Field(pattern="^sha256:[0-9a-f]{64}$")]
"""``sha256:`` followed by the hex SHA-256 of a post's normalised title and text."""

Score = Annotated[float, Field(ge=0, le=100)]
"""An index value between 0 and 100."""

Count = Annotated[int, Field(ge=0)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Platform(StrEnum):
    """Where an account lives."""

    WECHAT = "wechat"  # 微信公众号 / 视频号
    WEIBO = "weibo"  # 微博
    DOUYIN = "douyin"  # 抖音
    TOUTIAO = "toutiao"  # 今日头条
    KUAISHOU = "kuaishou"  # 快手
    BILIBILI = "bilibili"  # 哔哩哔哩
    APP = "app"  # the unit's own mobile app (移动客户端)
    MINIPROGRAM = "miniprogram"  # 小程序
    OTHER = "other"


class AccountStatus(StrEnum):
    """Where an account stands in its life cycle."""

    PENDING = "pending"  # an opening filing is under review (备案审核中)
    RETURNED = "returned"  # the opening filing came back for amendment (退回修改)
    REJECTED = "rejected"  # the opening filing was refused (不予备案)
    ANNOUNCING = "announcing"  # approved, public announcement running before it opens (公示中)
    ACTIVE = "active"  # open and running (正常运行)
    SUSPENDED = "suspended"  # closed down (关停)
    MERGED = "merged"  # merged into another account (整合)
    DEREGISTERED = "deregistered"  # deregistered (注销)


class AttentionTier(StrEnum):
    """Attention tier: high-attention accounts (重点关注) must update at least weekly."""

    ORDINARY = "ordinary"
    HIGH = "high"


class FilingType(StrEnum):
    """Kind of filing (备案): opening, change, merge, suspension or deregistration."""

    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    MERGE = "merge"  # 整合
    SUSPEND = "suspend"  # 关停
    DEREGISTER = "deregister"  # 注销


class ApprovalLevel(StrEnum):
    """A level of the level-by-level approval of filings (逐级审核)."""

    UNIT = "unit"  # the host unit (主办单位)
    COUNTY = "county"  # county competent office
    CITY = "city"  # city competent office
    PROVINCE = "province"  # province competent office


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


class IngestChannel(StrEnum):
    """How the monitor learned what it reports."""

    CONNECTOR = "connector"  # a platform connector
    INGEST_API = "ingest_api"  # the HTTP ingest API
    FILE_IMPORT = "file_import"  # a bulk file import


class MessageChannel(StrEnum):
    """Kind of public message an account received."""

    COMMENT = "comment"  # 评论
    MESSAGE = "message"  # 留言
    DIRECT_MESSAGE = "direct_message"  # 私信


class AlertRule(StrEnum):
    """The monitoring rule that raised an alert."""

    NOT_UPDATED = "not_updated"  # 内容不更新
    ZOMBIE = "zombie"  # 僵尸/空壳: cleanup candidate
    INTERACTION_OFF = "interaction_off"  # 互动功能关闭
    MESSAGE_UNANSWERED = "message_unanswered"  # 留言未回复
    UNREVIEWED_PUBLICATION = "unreviewed_publication"  # 未审先发
    CONTENT_MISMATCH = "content_mismatch"  # published content differs from the approved version
    CHECK_FAILED = "check_failed"  # published content fails the machine check
    OVERRIDE = "override"  # a blocking finding was overridden by the final approver


class AlertSeverity(StrEnum):
    """Severity of an alert. ``serious`` and ``violation`` open a notification case."""

    SERIOUS = "serious"  # 严重违规
    VIOLATION = "violation"  # 违规
    WARNING = "warning"  # 预警
    MINOR = "minor"  # 一般问题


class AlertClass(StrEnum):
    """Reporting class of an alert, as bulletins group them."""

    SERIOUS = "serious"  # safety, leaks, publication without review
    NOT_UPDATED = "not_updated"  # 不更新
    INTERACTION = "interaction"  # 互动回应差
    EXPRESSION = "expression"  # expression errors, the lesser class


class AlertResolution(StrEnum):
    """Why an alert was resolved."""

    CLEARED = "cleared"  # the condition no longer holds (e.g. the account posted again)
    RECHECKED = "rechecked"  # a re-check after rectification found it fixed
    DISMISSED = "dismissed"  # an officer dismissed it as a false positive


class CaseOutcome(StrEnum):
    """How a notification case ended."""

    RECTIFIED = "rectified"  # 整改完成
    DISMISSED = "dismissed"  # the alert was dismissed


class PeriodKind(StrEnum):
    """Length of a scoring period."""

    DAY = "day"
    WEEK = "week"  # ISO week, Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


IntervieweeRole = Literal["liaison", "deputy_head", "principal"]
"""Who at the host unit is interviewed (约谈): its liaison, a deputy head, or its principal."""

InterviewerRole = Literal["open_government_centre", "deputy_director", "director"]
"""Who conducts the interview: the open-government affairs centre, or the office's (deputy) director."""


class _Frozen(BaseModel):
    """Base of the value objects nested inside events."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class AccountSnapshot(_Frozen):
    """The state of an account right after an event: enough for a consumer to keep its own projection."""

    account_id: Uuid = Field(description="The account's id in the registry.")
    name: NonEmpty = Field(description="Account name as shown on the platform.")
    platform: Platform = Field(description="Platform the account lives on.")
    platform_account_id: str | None = Field(
        description="The platform's own id of the account; None until the platform account exists."
    )
    unit_id: Uuid = Field(description="Host unit (主办单位) answering for the account.")
    unit_name: NonEmpty = Field(description="Name of the host unit.")
    region_code: RegionCode = Field(description="Region (GB/T 2260 code) of the host unit.")
    status: AccountStatus = Field(description="Life-cycle status after the event.")
    attention_tier: AttentionTier = Field(
        description="Attention tier; high-attention accounts update weekly."
    )
    interaction_enabled: bool = Field(description="Whether public interaction (comments, messages) is on.")
    review_levels: int = Field(
        ge=2, le=3, description="Number of human review levels every post goes through."
    )
    certified: bool = Field(description="Whether the platform has certified the account (认证).")
    matrix_badge: str | None = Field(
        description="Matrix badge number (矩阵标识) once the registry issued one."
    )
    outsourced: bool = Field(description="Whether operation is outsourced to a vendor (委托代运营).")


class ReviewerSignature(_Frozen):
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


# --------------------------------------------------------------------------------------------------
# Intermediate bases (no ``type=``: not in the catalogue themselves)
# --------------------------------------------------------------------------------------------------


class _Fact(Event):
    """Fields every event carries."""

    occurred_at: AwareDatetime = Field(
        description="When the fact happened, as recorded by the owning service (business time)."
    )


class _AccountEvent(_Fact):
    """Registry events about one account; they carry its snapshot after the event."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    account: AccountSnapshot = Field(description="The account as it stands after this event.")

    @model_validator(mode="after")
    def _snapshot_matches(self) -> Self:
        if self.account.account_id != self.account_id:
            raise ValueError("account.account_id must equal account_id")
        return self


class _FilingEvent(_AccountEvent):
    """Registry events about one filing (备案) of an account."""

    filing_id: Uuid = Field(description="The filing.")
    actor_id: NonEmpty = Field(
        description="Who did it: a person id (UUID) or a machine client id, as in the caller's token subject."
    )


# --------------------------------------------------------------------------------------------------
# registry — gov.registry.accounts (key: account_id)
# --------------------------------------------------------------------------------------------------


class AccountFiled(
    _FilingEvent,
    type="gov.registry.account.filed.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """A filing (备案) was submitted: opening, change, merge, suspension or deregistration of an account."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    levels: tuple[ApprovalLevel, ...] = Field(
        min_length=1, description="The approval chain this filing goes through, first level first (逐级审核)."
    )
    event_on: date | None = Field(
        default=None,
        description="Day the underlying event happened, if it already did; filings are due within "
        "7 working days of it.",
    )
    reason: str | None = Field(
        default=None, description="Why, as stated by the filer (for changes and closures)."
    )


class AccountApproved(
    _FilingEvent,
    type="gov.registry.account.approved.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """One approval level passed a filing; ``final`` tells whether it was the last one."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    level: ApprovalLevel = Field(description="The level that approved.")
    final: bool = Field(description="True when no further level has to approve.")
    next_level: ApprovalLevel | None = Field(description="The level that reviews next; None when final.")
    comment: str | None = Field(default=None, description="Approver's comment, if any.")

    @model_validator(mode="after")
    def _next_level_iff_not_final(self) -> Self:
        if self.final == (self.next_level is not None):
            raise ValueError("next_level must be set exactly when the approval is not final")
        return self


class AccountRejected(
    _FilingEvent,
    type="gov.registry.account.rejected.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """A filing was refused for good (不予备案) at some level."""

    filing_type: FilingType = Field(description="What the filing asked for.")
    level: ApprovalLevel = Field(description="The level that refused.")
    reason: NonEmpty = Field(description="Why it was refused.")


class AccountWithdrawn(
    _FilingEvent,
    type="gov.registry.account.withdrawn.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """The filer took an undecided filing back (撤回); an account that was only being opened is dropped."""

    filing_type: FilingType = Field(description="What the filing asked for.")
    level: ApprovalLevel | None = Field(
        default=None, description="The level the filing waited at; None when it was returned for amendment."
    )
    reason: str | None = Field(default=None, description="Why, as stated by the filer.")


class AccountReturned(
    _FilingEvent,
    type="gov.registry.account.returned.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """A filing was returned to the filer for amendment (退回修改); it can be filed again."""

    filing_type: FilingType = Field(description="What the filing asks for.")
    level: ApprovalLevel = Field(description="The level that returned it.")
    reason: NonEmpty = Field(description="What has to be amended.")
    amend_by: date | None = Field(default=None, description="Day by which the amended filing is expected.")


class AccountAnnounced(
    _FilingEvent,
    type="gov.registry.account.announced.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """The public announcement (公示) of an approved filing started; it takes effect after ``ends_on``."""

    filing_type: FilingType = Field(description="What is being announced.")
    starts_on: date = Field(description="First day of the announcement.")
    ends_on: date = Field(description="Last day of the announcement (at least 15 working days by default).")
    working_days: int = Field(ge=1, description="Length of the announcement in working days.")
    announcement_url: str | None = Field(default=None, description="Where the announcement is published.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class AccountOpened(
    _AccountEvent,
    type="gov.registry.account.opened.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """An opening (开设) took effect: the account is active from ``effective_on``."""

    filing_id: Uuid | None = Field(
        description="The opening filing; None for an account imported from an earlier registry."
    )
    actor_id: NonEmpty = Field(
        description="Who did it (person id or machine client id); 'system' for schedules."
    )
    effective_on: date = Field(description="Day the account counts as open.")


class AccountChanged(
    _AccountEvent,
    type="gov.registry.account.changed.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """Recorded details of an account changed (变更), after a change filing or an administrative update."""

    filing_id: Uuid | None = Field(
        description="The change filing; None for updates that need none (matrix badge issued, tier set...)."
    )
    actor_id: NonEmpty = Field(description="Who did it (person id or machine client id).")
    changed_fields: tuple[str, ...] = Field(
        min_length=1, description="Names of the AccountSnapshot fields that changed."
    )
    previous: AccountSnapshot = Field(description="The account as it stood before the change.")
    effective_on: date = Field(description="Day the change takes effect.")

    @model_validator(mode="after")
    def _same_account(self) -> Self:
        if self.previous.account_id != self.account_id:
            raise ValueError("previous.account_id must equal account_id")
        unknown = set(self.changed_fields) - set(AccountSnapshot.model_fields)
        if unknown:
            raise ValueError(f"changed_fields names unknown snapshot fields: {sorted(unknown)}")
        return self


class AccountMerged(
    _FilingEvent,
    type="gov.registry.account.merged.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """Accounts were merged (整合) into the surviving account ``account_id``.

    Keyed by the surviving account. The merged-away accounts get no event of their own: their final snapshots
    (status ``merged``) travel in ``merged_accounts``.
    """

    merged_account_ids: tuple[Uuid, ...] = Field(
        min_length=1, description="Accounts merged away into the surviving one."
    )
    merged_accounts: tuple[AccountSnapshot, ...] = Field(
        min_length=1, description="Final snapshots of the merged-away accounts, in merged_account_ids order."
    )
    effective_on: date = Field(description="Day the merge took effect.")

    @property
    def surviving_account_id(self) -> str:
        """The account that remains (the same as ``account_id``)."""
        return self.account_id

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.account_id in self.merged_account_ids:
            raise ValueError("the surviving account cannot be merged away")
        if len(set(self.merged_account_ids)) != len(self.merged_account_ids):
            raise ValueError("merged_account_ids has duplicates")
        if tuple(a.account_id for a in self.merged_accounts) != self.merged_account_ids:
            raise ValueError("merged_accounts must match merged_account_ids one for one")
        return self


class AccountSuspended(
    _FilingEvent,
    type="gov.registry.account.suspended.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """An account was closed down (关停)."""

    reason: NonEmpty = Field(description="Why it was closed down.")
    effective_on: date = Field(description="Day the suspension took effect.")


class AccountDeregistered(
    _FilingEvent,
    type="gov.registry.account.deregistered.v1",
    service="registry",
    topic="gov.registry.accounts",
    aggregate="account",
    key="account_id",
):
    """An account was deregistered (注销); its history stays queryable."""

    reason: NonEmpty = Field(description="Why it was deregistered.")
    effective_on: date = Field(description="Day the deregistration took effect.")
    stop_notice_on: date | None = Field(
        default=None, description="Day the stop-update notice (停更公告) was published on the account."
    )


# --------------------------------------------------------------------------------------------------
# registry — gov.registry.settings (key: region_code) and gov.registry.people (key: person_id)
# --------------------------------------------------------------------------------------------------


class RegionSettingsChanged(
    _Fact,
    type="gov.registry.region_settings.changed.v1",
    service="registry",
    topic="gov.registry.settings",
    aggregate="region",
    key="region_code",
):
    """An administrator changed a region's thresholds and settings (e.g. days before 'not updated')."""

    region_code: RegionCode = Field(description="The region (GB/T 2260 code; Kafka key).")
    settings: dict[str, Any] = Field(
        description="All settings set explicitly at this region after the change. A key not present inherits "
        "from the parent region (derivable from the code), then from the platform default."
    )
    changed_keys: tuple[str, ...] = Field(description="Keys whose value changed, was added or was removed.")
    version: int = Field(ge=1, description="Per-region revision number; increases by one with each change.")
    actor_id: NonEmpty = Field(description="Who changed them (person id or machine client id).")


class WorkCalendarLoaded(
    _Fact,
    type="gov.registry.work_calendar.loaded.v1",
    service="registry",
    topic="gov.registry.settings",
    aggregate="region",
    key="region_code",
):
    """A year's official holiday schedule was loaded (节假日安排), including swapped working weekends (调休).

    A year without a loaded schedule is unknown: working-day arithmetic in it must fail, never guess.
    """

    region_code: RegionCode = Field(
        description="Region the schedule applies to, with everything below it (normally the province root)."
    )
    year: int = Field(ge=2000, le=2100, description="The calendar year.")
    holidays: tuple[date, ...] = Field(
        description="Days off of the published schedule (weekend days in a holiday may be listed), sorted."
    )
    workdays: tuple[date, ...] = Field(description="Weekend days that are working days (调休上班), sorted.")
    loaded_by: NonEmpty = Field(description="Who loaded it (person id or machine client id).")
    source_document: str | None = Field(
        default=None, description="Title of the notice the schedule comes from (国务院办公厅通知)."
    )

    @model_validator(mode="after")
    def _within_year(self) -> Self:
        for day in (*self.holidays, *self.workdays):
            if day.year != self.year:
                raise ValueError(f"{day} is outside {self.year}")
        if set(self.holidays) & set(self.workdays):
            raise ValueError("a day cannot be both a holiday and a working day")
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(f"{day} is a weekday; workdays lists swapped weekend days only")
        return self

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted(cls, days: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(days)))


class PersonRegistered(
    _Fact,
    type="gov.registry.person.registered.v1",
    service="registry",
    topic="gov.registry.people",
    aggregate="person",
    key="person_id",
):
    """A person (staff member of a unit or office) was registered with their roles."""

    person_id: Uuid = Field(description="The person (Kafka key).")
    name: NonEmpty = Field(description="Full name, as recorded with reviews and notices.")
    unit_id: Uuid = Field(description="Unit or office the person belongs to.")
    region_code: RegionCode = Field(description="Region of that unit.")
    roles: tuple[str, ...] = Field(
        description="Roles, e.g. editor (采编), reviewer (审核), final_approver (终审), unit_admin, liaison "
        "(联络员), office_staff, auditor."
    )


# --------------------------------------------------------------------------------------------------
# review — gov.review.posts (key: account_id)
# --------------------------------------------------------------------------------------------------


class _PostEvent(_Fact):
    """Review events about one post. Keyed by the account so that one account's posts stay in order."""

    account_id: Uuid = Field(description="The account the post is for (Kafka key).")
    post_id: Uuid = Field(description="The post in the review service.")


class PostSubmitted(
    _PostEvent,
    type="gov.review.post.submitted.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


class PostChecked(
    _PostEvent,
    type="gov.review.post.checked.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


class PostReviewed(
    _PostEvent,
    type="gov.review.post.reviewed.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


class PostApproved(
    _PostEvent,
    type="gov.review.post.approved.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


class PostRejected(
    _PostEvent,
    type="gov.review.post.rejected.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
    """A reviewer refused the post for good; it will not be published."""

    level: int = Field(ge=1, le=3, description="Review level that refused.")
    reviewer_id: Uuid = Field(description="The reviewer.")
    reviewer_name: NonEmpty = Field(description="The reviewer's name.")
    reason: NonEmpty = Field(description="Why.")


class PostReturned(
    _PostEvent,
    type="gov.review.post.returned.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
    """A reviewer returned the post to the editor for changes (退回修改)."""

    level: int = Field(ge=1, le=3, description="Review level that returned it.")
    reviewer_id: Uuid = Field(description="The reviewer.")
    reviewer_name: NonEmpty = Field(description="The reviewer's name.")
    reason: NonEmpty = Field(description="What has to change.")


class PostPublished(
    _PostEvent,
    type="gov.review.post.published.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


class PostOverridden(
    _PostEvent,
    type="gov.review.post.overridden.v1",
    service="review",
    topic="gov.review.posts",
    aggregate="account",
    key="account_id",
):
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


# --------------------------------------------------------------------------------------------------
# review — gov.review.campaigns (key: campaign_id)
# --------------------------------------------------------------------------------------------------


class CampaignIssued(
    _Fact,
    type="gov.review.campaign.issued.v1",
    service="review",
    topic="gov.review.campaigns",
    aggregate="campaign",
    key="campaign_id",
):
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


class CampaignTargetCompleted(
    _Fact,
    type="gov.review.campaign.target_completed.v1",
    service="review",
    topic="gov.review.campaigns",
    aggregate="campaign",
    key="campaign_id",
):
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


# --------------------------------------------------------------------------------------------------
# monitor — gov.monitor.observations (key: account_id)
# --------------------------------------------------------------------------------------------------


class PostObserved(
    _Fact,
    type="gov.monitor.post.observed.v1",
    service="monitor",
    topic="gov.monitor.observations",
    aggregate="account",
    key="account_id",
):
    """A post was seen on the platform, and matched against approved posts (or not: 未审先发)."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    platform: Platform = Field(description="Platform it was seen on.")
    platform_post_id: NonEmpty = Field(description="The platform's id of the post.")
    url: str | None = Field(description="Public address of the post, when the platform has one.")
    title: str = Field(description="Title as observed (may be empty).")
    text: str = Field(description="Text as observed; see text_truncated.")
    text_truncated: bool = Field(default=False, description="True when text is an excerpt of a longer post.")
    content_hash: ContentHash = Field(description="Hash of the observed title and full text.")
    published_at: AwareDatetime = Field(description="Publication time the platform shows.")
    observed_at: AwareDatetime = Field(description="When the monitor saw it.")
    matched_post_id: Uuid | None = Field(
        description="The approved post it matches; None when it matches none (published without review)."
    )
    ingest_channel: IngestChannel = Field(description="How the observation arrived.")


class MetricsObserved(
    _Fact,
    type="gov.monitor.metrics.observed.v1",
    service="monitor",
    topic="gov.monitor.observations",
    aggregate="account",
    key="account_id",
):
    """A snapshot of cumulative metrics of one post, or of the account when ``platform_post_id`` is None.

    Values are totals as of ``as_of``, not increments. None means the platform does not report that metric.
    """

    account_id: Uuid = Field(description="The account (Kafka key).")
    platform_post_id: str | None = Field(description="The post measured; None for account-level metrics.")
    reads: Count | None = Field(default=None, description="Reads (阅读/播放).")
    watching: Count | None = Field(default=None, description="'Watching' marks (在看, WeChat).")
    likes: Count | None = Field(default=None, description="Likes (点赞).")
    shares: Count | None = Field(default=None, description="Shares (转发).")
    comments: Count | None = Field(default=None, description="Comments (评论).")
    followers: Count | None = Field(default=None, description="Followers of the account (粉丝).")
    as_of: AwareDatetime = Field(description="When the platform reported these values.")
    ingest_channel: IngestChannel = Field(description="How the observation arrived.")


class MessageReceived(
    _Fact,
    type="gov.monitor.message.received.v1",
    service="monitor",
    topic="gov.monitor.observations",
    aggregate="account",
    key="account_id",
):
    """A member of the public left a comment or message for the account. Its text is not carried."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    message_id: NonEmpty = Field(description="The platform's id of the message.")
    channel: MessageChannel = Field(description="Comment, message or direct message.")
    received_at: AwareDatetime = Field(description="When it was left.")
    platform_post_id: str | None = Field(default=None, description="The post commented on, for comments.")


class MessageAnswered(
    _Fact,
    type="gov.monitor.message.answered.v1",
    service="monitor",
    topic="gov.monitor.observations",
    aggregate="account",
    key="account_id",
):
    """The account answered a public message."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    message_id: NonEmpty = Field(description="The platform's id of the message answered.")
    answered_at: AwareDatetime = Field(description="When the answer appeared.")


# --------------------------------------------------------------------------------------------------
# monitor — gov.monitor.alerts (key: account_id)
# --------------------------------------------------------------------------------------------------


class AlertRaised(
    _Fact,
    type="gov.monitor.alert.raised.v1",
    service="monitor",
    topic="gov.monitor.alerts",
    aggregate="account",
    key="account_id",
):
    """A monitoring rule fired. Alerts are unique per (account, rule, period)."""

    alert_id: Uuid = Field(description="The alert.")
    account_id: Uuid = Field(description="The account (Kafka key).")
    unit_id: Uuid = Field(description="Host unit of the account (escalation counts per unit).")
    region_code: RegionCode = Field(description="Region of the host unit.")
    rule: AlertRule = Field(description="The rule that fired.")
    severity: AlertSeverity = Field(description="How bad it is; serious and violation open a case.")
    alert_class: AlertClass = Field(description="Reporting class used in bulletins.")
    period: NonEmpty = Field(
        description="Deduplication period: an ISO day, week (2025-W23) or month, or the subject id "
        "(message or post) for per-item rules."
    )
    detail: dict[str, Any] = Field(
        description="Rule-specific facts, e.g. days_silent, threshold_days, message_id, platform_post_id."
    )


class AlertResolved(
    _Fact,
    type="gov.monitor.alert.resolved.v1",
    service="monitor",
    topic="gov.monitor.alerts",
    aggregate="account",
    key="account_id",
):
    """An alert was resolved: its condition cleared, a re-check passed, or an officer dismissed it."""

    alert_id: Uuid = Field(description="The alert.")
    account_id: Uuid = Field(description="The account (Kafka key).")
    rule: AlertRule = Field(description="The rule of the alert.")
    period: NonEmpty = Field(description="The deduplication period of the alert.")
    resolution: AlertResolution = Field(description="Why it was resolved.")
    resolved_by: str | None = Field(
        default=None, description="Who dismissed or re-checked it; None when the condition cleared by itself."
    )


# --------------------------------------------------------------------------------------------------
# notify — gov.notify.cases (key: account_id)
# --------------------------------------------------------------------------------------------------


class _CaseEvent(_Fact):
    """Notify events about one case (a violation alert being dealt with)."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    case_id: Uuid = Field(description="The case.")


class NoticeIssued(
    _CaseEvent,
    type="gov.notify.notice.issued.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """An immediate notice (即时通报) went to the host unit and its office; a rectification is due."""

    alert_id: Uuid = Field(description="The alert that opened the case.")
    unit_id: Uuid = Field(description="Host unit notified.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    rule: AlertRule = Field(description="Rule of the alert.")
    severity: AlertSeverity = Field(description="Severity of the alert.")
    rectify_by: date = Field(description="Rectification deadline (default 7 days after the notice).")


class RectificationSubmitted(
    _CaseEvent,
    type="gov.notify.rectification.submitted.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """The unit submitted a rectification report (整改报告), signed by its principal and sealed."""

    report_id: Uuid = Field(description="The report.")
    signed_by: NonEmpty = Field(description="Name of the principal who signed it (主要负责人).")
    sealed: bool = Field(description="Whether it bears the unit's official seal (加盖公章).")
    submitted_by: NonEmpty = Field(description="Who uploaded it (person id or machine client id).")


class RectificationAccepted(
    _CaseEvent,
    type="gov.notify.rectification.accepted.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """The competent office accepted a rectification report."""

    report_id: Uuid = Field(description="The report.")
    accepted_by: NonEmpty = Field(description="Office staff who accepted it.")


class RectificationReturned(
    _CaseEvent,
    type="gov.notify.rectification.returned.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """The competent office returned a rectification report; a new one is due."""

    report_id: Uuid = Field(description="The report.")
    returned_by: NonEmpty = Field(description="Office staff who returned it.")
    reason: NonEmpty = Field(description="What is missing or wrong.")
    rectify_by: date = Field(description="New deadline.")


class InterviewScheduled(
    _CaseEvent,
    type="gov.notify.interview.scheduled.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """The host unit reached a step of the 二四六 escalation ladder and an interview (约谈) was scheduled.

    ``case_id`` is the case whose violation reached the step.
    """

    interview_id: Uuid = Field(description="The interview.")
    unit_id: Uuid = Field(description="Host unit (violations count per unit per year).")
    year: int = Field(ge=2000, le=2100, description="Year the violations were counted in.")
    violation_count: int = Field(ge=1, description="Violation alerts of the unit in that year so far.")
    ladder_step: int = Field(
        ge=1, description="Threshold reached: 2, 4 or 6 by default; regions may configure others."
    )
    interviewee_role: IntervieweeRole = Field(description="Who at the unit is interviewed.")
    interviewer_role: InterviewerRole = Field(description="Who conducts the interview.")
    scheduled_for: AwareDatetime = Field(description="When the interview takes place.")


class CaseClosed(
    _CaseEvent,
    type="gov.notify.case.closed.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """A case was closed: the report was accepted and the alert resolved, or the alert was dismissed."""

    outcome: CaseOutcome = Field(description="How it ended.")
    closed_on_time: bool = Field(description="True when closed by the rectification deadline.")


class ClosureRecommended(
    _Fact,
    type="gov.notify.closure.recommended.v1",
    service="notify",
    topic="gov.notify.cases",
    aggregate="account",
    key="account_id",
):
    """An account is recommended for forced closure (e.g. notified more than twice for not updating)."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    unit_id: Uuid = Field(description="Its host unit.")
    rule: AlertRule = Field(description="The rule whose repeated notices led here.")
    notice_count: int = Field(ge=1, description="Number of notices for that rule that counted.")
    case_ids: tuple[Uuid, ...] = Field(min_length=1, description="The cases of those notices.")
    reason: NonEmpty = Field(description="Human-readable reason.")


# --------------------------------------------------------------------------------------------------
# scoring — gov.scoring.scores (key: account_id)
# --------------------------------------------------------------------------------------------------

_INDICES = ("diligence", "effect", "content", "cluster", "growth")


def _period_end(kind: PeriodKind, start: date) -> date:
    if kind is PeriodKind.DAY:
        return start
    if kind is PeriodKind.WEEK:
        return start + timedelta(days=6)
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1) - timedelta(days=1)


def _period_start_ok(kind: PeriodKind, start: date) -> bool:
    if kind is PeriodKind.DAY:
        return True
    if kind is PeriodKind.WEEK:
        return start.weekday() == 0
    if start.day != 1:
        return False
    if kind is PeriodKind.QUARTER:
        return start.month in (1, 4, 7, 10)
    if kind is PeriodKind.YEAR:
        return start.month == 1
    return True


class ScoresComputed(
    _Fact,
    type="gov.scoring.scores.computed.v1",
    service="scoring",
    topic="gov.scoring.scores",
    aggregate="account",
    key="account_id",
):
    """The five indices, the composite and the pass/fail verdict of one account for one period.

    A later event for the same account, period kind and start replaces an earlier one (recomputation).
    """

    account_id: Uuid = Field(description="The account (Kafka key).")
    unit_id: Uuid = Field(description="Its host unit.")
    region_code: RegionCode = Field(description="Region of the host unit.")
    platform: Platform = Field(description="Platform of the account (scores rank within platform).")
    period_kind: PeriodKind = Field(description="Length of the period.")
    period_start: date = Field(
        description="First day: any day, a Monday, or the 1st of a month/quarter/year."
    )
    period_end: date = Field(description="Last day of the period, inclusive.")
    diligence: Score = Field(description="勤勉 diligence index.")
    effect: Score = Field(description="效果 effect (reach and engagement) index.")
    content: Score = Field(description="内容 content quality index.")
    cluster: Score = Field(description="集群 cluster (joint-push completion) index.")
    growth: Score = Field(description="成长 growth index; 50 means no change.")
    composite: Score = Field(description="Weighted composite of the five indices.")
    weights: dict[str, float] = Field(description="Weight of each index in the composite, by index name.")
    passed: bool = Field(description="Pass/fail verdict of the period; any veto fails it.")
    veto_reasons: tuple[str, ...] = Field(
        description="Veto-level violations in the period (e.g. not_updated, interaction_off); empty if none."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not _period_start_ok(self.period_kind, self.period_start):
            raise ValueError(f"{self.period_start} does not start a {self.period_kind.value}")
        if self.period_end != _period_end(self.period_kind, self.period_start):
            raise ValueError("period_end does not match period_kind and period_start")
        if self.veto_reasons and self.passed:
            raise ValueError("a period with a veto cannot pass")
        unknown = set(self.weights) - set(_INDICES)
        if unknown:
            raise ValueError(f"weights name unknown indices: {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights cannot be negative")
        return self
