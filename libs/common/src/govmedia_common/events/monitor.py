"""Events the monitor owns: observations (``gov.monitor.observations``) and alerts (``gov.monitor.alerts``),
both keyed by ``account_id``. Topic, aggregate and key are declared once per topic.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from govmedia_common.events.base import Fact
from govmedia_common.events.types import (
    AlertRule,
    AlertSeverity,
    ContentHash,
    Count,
    FrozenValue,
    NonEmpty,
    Platform,
    RegionCode,
    Uuid,
)

__all__ = [
    "AlertClass",
    "AlertRaised",
    "AlertResolution",
    "AlertResolved",
    "HotTerm",
    "HotWordsExtracted",
    "IngestChannel",
    "InteractionSwitched",
    "MessageAnswered",
    "MessageChannel",
    "MessageReceived",
    "MetricsObserved",
    "PostObserved",
]


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
    ESCALATED = (
        "escalated"  # a warning became a violation: a new alert (detail.previous_alert_id) replaces it
    )
    RETRACTED = (
        "retracted"  # facts that arrived late show it never held (an approval the monitor learnt late)
    )

    @property
    def false_alarm(self) -> bool:
        """The alert should not have been raised: it opens no rectification and counts against nobody."""
        return self in (AlertResolution.DISMISSED, AlertResolution.RETRACTED)


class _MonitorEvent(Fact, service="monitor"):
    """Events the monitor owns."""


class _ObservationEvent(
    _MonitorEvent, topic="gov.monitor.observations", aggregate="account", key="account_id"
):
    """What the monitor saw on a platform, keyed by the account."""


class PostObserved(_ObservationEvent, type="gov.monitor.post.observed.v1"):
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


class MetricsObserved(_ObservationEvent, type="gov.monitor.metrics.observed.v1"):
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


class MessageReceived(_ObservationEvent, type="gov.monitor.message.received.v1"):
    """A member of the public left a comment or message for the account. Its text is not carried."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    message_id: NonEmpty = Field(description="The platform's id of the message.")
    channel: MessageChannel = Field(description="Comment, message or direct message.")
    received_at: AwareDatetime = Field(description="When it was left.")
    platform_post_id: str | None = Field(default=None, description="The post commented on, for comments.")


class MessageAnswered(_ObservationEvent, type="gov.monitor.message.answered.v1"):
    """The account answered a public message."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    message_id: NonEmpty = Field(description="The platform's id of the message answered.")
    answered_at: AwareDatetime = Field(description="When the answer appeared.")


class _AlertEvent(_MonitorEvent, topic="gov.monitor.alerts", aggregate="account", key="account_id"):
    """Alerts raised and resolved, keyed by the account."""


class AlertRaised(_AlertEvent, type="gov.monitor.alert.raised.v1"):
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


class AlertResolved(_AlertEvent, type="gov.monitor.alert.resolved.v1"):
    """An alert was resolved: its condition cleared, a re-check passed, or an officer dismissed it."""

    alert_id: Uuid = Field(description="The alert.")
    account_id: Uuid = Field(description="The account (Kafka key).")
    rule: AlertRule = Field(description="The rule of the alert.")
    period: NonEmpty = Field(description="The deduplication period of the alert.")
    resolution: AlertResolution = Field(description="Why it was resolved.")
    resolved_by: str | None = Field(
        default=None, description="Who dismissed or re-checked it; None when the condition cleared by itself."
    )
    reason: str | None = Field(
        default=None, description="The written reason of a dismissal (audited); None otherwise."
    )


class InteractionSwitched(_ObservationEvent, type="gov.monitor.interaction.switched.v1"):
    """Public interaction (comments, messages) of an account was seen switched on or off on the platform."""

    account_id: Uuid = Field(description="The account (Kafka key).")
    enabled: bool = Field(description="True when interaction is on after the switch.")
    switched_at: AwareDatetime = Field(description="When the platform showed the new state.")
    ingest_channel: IngestChannel = Field(description="How the observation arrived.")


class HotTerm(FrozenValue):
    """One hot word of a region and day."""

    term: NonEmpty = Field(description="The term (a segmented word).")
    weight: float = Field(ge=0, description="Its TF-IDF weight over the window's posts.")
    rank: int = Field(ge=1, description="1 for the hottest.")


class _HotWordsEvent(_MonitorEvent, topic="gov.monitor.hotwords", aggregate="region", key="region_code"):
    """Hot words mined per region, keyed by the region."""


class HotWordsExtracted(_HotWordsEvent, type="gov.monitor.hot_words.extracted.v1"):
    """The hot words (热词) of a region for a day, mined from the posts of its subtree in a window of days."""

    region_code: RegionCode = Field(description="The region (Kafka key); its whole subtree was read.")
    day: date = Field(description="The day the words are for (the window ends with it).")
    window_days: int = Field(ge=1, description="Days of posts read, ending with day.")
    posts: Count = Field(description="Number of posts read.")
    terms: tuple[HotTerm, ...] = Field(description="The hot words, hottest first.")
