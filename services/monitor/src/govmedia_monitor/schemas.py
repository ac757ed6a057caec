"""Request and response models of the monitor API (not the ORM models, not the events)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from govmedia_common.events import MessageChannel
from govmedia_common.json_values import JsonBool, JsonInt, iso_date, iso_datetime
from govmedia_common.text import shows_something

MAX_BULK = 5_000


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("contains an unpaired surrogate (not valid Unicode)") from exc
    return value


_SCIENTIFIC = re.compile(r"^[0-9](?:\.[0-9]+)?[eE]\+[0-9]+$")


def _not_rounded_by_excel(value: str) -> str:
    """A platform's id is never written in scientific notation: ``4.95232E+15`` is a long numeric id that
    Excel rounded, and every id that rounded alike would name the same post."""
    if _SCIENTIFIC.match(value):
        raise ValueError(
            f"{value!r} is a number in scientific notation, as Excel shows and saves a long numeric id: the "
            "real id is lost; format the column as text in Excel and export again"
        )
    return value


def _web_address(value: str) -> str:
    """A post's address is a web address (http or https, with a host): it travels on in events and alert
    details to whoever shows it as a link, where ``javascript:`` or ``data:`` would run."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(
            "must be a web address starting with https:// or http:// and naming a host "
            "(e.g. https://mp.weixin.qq.com/s/AbCdEf), without spaces"
        )
    return value


def _bounded_instant(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("must be between 2000 and 2100")
    return value


Uuid = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        # the pattern is checked before the value is lowered: capitals (a GUID as SQL Server prints it)
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    ),
]
PlatformId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_clean),
    AfterValidator(_not_rounded_by_excel),
]
Title = Annotated[str, StringConstraints(max_length=500), AfterValidator(_clean)]
Body = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_clean)]
Url = Annotated[
    str, StringConstraints(max_length=2_000), AfterValidator(_clean), AfterValidator(_web_address)
]
# an empty address is no address
OptionalUrl = Annotated[Url | None, BeforeValidator(lambda v: None if v == "" else v)]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000),
    AfterValidator(_clean),
    AfterValidator(shows_something),
]


# ISO 8601 text (never seconds since 1970: iso_datetime costs ~0.1 us on the usual text), then the bounds
Instant = Annotated[AwareDatetime, BeforeValidator(iso_datetime), AfterValidator(_bounded_instant)]
Count = Annotated[JsonInt, Field(ge=0, le=10**12)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["331004"])]
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31)), BeforeValidator(iso_date)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ ingest


class ObservedPostIn(_In):
    """A post as it appears on the platform."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "platform_post_id": "2247483901_1",
                    "url": "https://mp.weixin.qq.com/s/AbCdEf123456",
                    "title": "路桥区政务服务中心国庆期间延时服务公告",
                    "text": "国庆期间，区政务服务中心每日9:00至17:00照常办理业务。",
                    "published_at": "2025-09-30T09:30:00+08:00",
                }
            ]
        }
    )

    account_id: Uuid
    platform_post_id: PlatformId = Field(description="The platform's id of the post (idempotency key).")
    url: OptionalUrl = None
    title: Title = ""
    text: Body = Field(description="Text as published.")
    text_truncated: JsonBool = Field(False, description="True when text is an excerpt of a longer post.")
    published_at: Instant


class MetricSnapshotIn(_In):
    """Cumulative metrics of a post, or of the account when platform_post_id is absent; at least one count."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "platform_post_id": "2247483901_1",
                    "taken_at": "2025-10-01T08:00:00+08:00",
                    "reads": 1532,
                    "likes": 48,
                    "shares": 12,
                    "comments": 5,
                }
            ]
        }
    )

    account_id: Uuid
    platform_post_id: PlatformId | None = None
    taken_at: Instant = Field(description="When the platform reported these values (idempotency key).")
    reads: Count | None = Field(None, description="Reads (阅读/播放).")
    watching: Count | None = Field(None, description="'Watching' marks (在看).")
    likes: Count | None = Field(None, description="Likes (点赞).")
    shares: Count | None = Field(None, description="Shares (转发).")
    comments: Count | None = Field(None, description="Comments (评论).")
    followers: Count | None = Field(None, description="Followers (粉丝).")

    @model_validator(mode="after")
    def _counts_something(self) -> Self:
        # A snapshot of nothing would be stored and announced, and take the key of the moment's real one.
        if (
            self.reads is None
            and self.watching is None
            and self.likes is None
            and self.shares is None
            and self.comments is None
            and self.followers is None
        ):
            raise PydanticCustomError("no_counts", NO_COUNTS)
        return self


COUNT_FIELDS = ("reads", "watching", "likes", "shares", "comments", "followers")
NO_COUNTS = (
    f"a metric snapshot needs at least one count: {', '.join(COUNT_FIELDS)} (each absent or null here)"
)


class MessageIn(_In):
    """A public message, comment or direct message the account received. Its text is not stored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "message_id": "msg-20250930-0007",
                    "channel": "comment",
                    "received_at": "2025-09-30T10:12:00+08:00",
                    "platform_post_id": "2247483901_1",
                }
            ]
        }
    )

    account_id: Uuid
    message_id: PlatformId
    channel: MessageChannel = MessageChannel.MESSAGE
    received_at: Instant
    platform_post_id: PlatformId | None = None


class ReplyIn(_In):
    """The account answered a public message."""

    account_id: Uuid
    message_id: PlatformId
    answered_at: Instant


class InteractionIn(_In):
    """Public interaction (comments, messages) was seen switched on or off at ``at``."""

    account_id: Uuid
    enabled: JsonBool
    at: Instant


class Bulk(_In):
    """Up to 5,000 items of one kind."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BULK)


def _items(model: str) -> WithJsonSchema:
    """The OpenAPI of a bulk's items: the single endpoint's item. They are read as objects first and then
    validated as one list (api._parse_bulk: one call, each error with its item's index)."""
    return WithJsonSchema(
        {
            "type": "array",
            "items": {"$ref": f"#/components/schemas/{model}"},
            "minItems": 1,
            "maxItems": MAX_BULK,
        }
    )


class PostsBulk(Bulk):
    """Up to 5,000 observed posts, each as POST /v1/observed-posts takes one."""

    items: Annotated[list[dict[str, Any]], _items("ObservedPostIn")] = Field(
        min_length=1, max_length=MAX_BULK
    )


class MetricsBulk(Bulk):
    """Up to 5,000 metric snapshots, each as POST /v1/metrics takes one."""

    items: Annotated[list[dict[str, Any]], _items("MetricSnapshotIn")] = Field(
        min_length=1, max_length=MAX_BULK
    )


class MessagesBulk(Bulk):
    """Up to 5,000 public messages, each as POST /v1/messages takes one."""

    items: Annotated[list[dict[str, Any]], _items("MessageIn")] = Field(min_length=1, max_length=MAX_BULK)


class RepliesBulk(Bulk):
    """Up to 5,000 answers, each as POST /v1/replies takes one."""

    items: Annotated[list[dict[str, Any]], _items("ReplyIn")] = Field(min_length=1, max_length=MAX_BULK)


class Rejected(BaseModel):
    index: int = Field(description="Position of the item (or line number of a file row).")
    reason: str


class IngestReport(BaseModel):
    """What an ingest did: new items, items already known (idempotent replays), items refused."""

    accepted: int
    duplicates: int
    rejected: list[Rejected] = Field(default_factory=list)


# ------------------------------------------------------------------------------------------------ output


class AccountOut(BaseModel):
    """The monitor's view of an account: what the registry announced plus what the monitor observed."""

    model_config = ConfigDict(from_attributes=True)

    account_id: str
    name: str
    platform: str
    unit_id: str
    region_code: str
    status: str
    attention_tier: str
    active_since: date | None = Field(description="The day it last became active (silence counts from here).")
    interaction_enabled: bool
    interaction_off_since: datetime | None
    last_post_at: datetime | None = Field(None, description="Publication time of the newest observed post.")
    as_of: datetime = Field(description="When the registry event the view reflects happened.")


class ObservationOut(BaseModel):
    """An observed post with the approved post it matched and the similarity score."""

    model_config = ConfigDict(from_attributes=True)

    account_id: str
    platform_post_id: str
    platform: str
    region_code: str
    url: str | None
    title: str
    text: str
    text_truncated: bool
    content_hash: str
    published_at: datetime
    observed_at: datetime
    ingest_channel: str
    match_kind: str = Field(
        description="exact, near (formatting noise), mismatch (edited) or none (未审先发)."
    )
    matched_post_id: str | None
    match_score: float | None = Field(description="Similarity to the matched approved post, 0–1.")
    check_blocking: bool | None
    check_findings: list[Any] | None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    account_id: str
    unit_id: str
    region_code: str
    rule: str
    severity: str
    alert_class: str
    period: str
    detail: dict[str, Any]
    state: str
    raised_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    resolved_by: str | None
    resolution_reason: str | None


class DismissIn(_In):
    reason: Reason = Field(description="Why the alert is a false positive (audited).")


class SweepIn(_In):
    as_of: Day | None = Field(None, description="Day to evaluate (default: today on the service clock).")


class SweepOut(BaseModel):
    as_of: date
    raised: dict[str, int]
    escalated: dict[str, int]
    resolved: dict[str, int]


class EffectiveSettingsOut(BaseModel):
    region_code: str
    settings: dict[str, Any]
    set_by: dict[str, str]
    ignored: list[dict[str, Any]]
    refused: list[dict[str, Any]] = Field(
        default_factory=list, description="Monitor sections in the chain that did not validate (not applied)."
    )


class HotWordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    term: str
    weight: float
    rank: int


class HotWordsOut(BaseModel):
    region_code: str
    day: date
    posts: int
    terms: list[HotWordOut]


class TrendPoint(BaseModel):
    day: date
    weight: float | None
    rank: int | None


class TrendOut(BaseModel):
    region_code: str
    term: str
    points: list[TrendPoint]


class ExtractIn(_In):
    day: Day | None = Field(None, description="Day to mine (default: today on the service clock).")
    region_code: RegionCode | None = Field(None, description="Only this region (default: every region).")
