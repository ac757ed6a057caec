"""Request and response models of the inbox, subscriptions and deliveries API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from govmedia_notify.channels.domain import Kind


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="Where to POST signed deliveries.")
    event_kinds: list[Kind] = Field(min_length=1, max_length=20)
    secret: str = Field(
        min_length=16, max_length=256, description="Shared secret for the HMAC-SHA256 signature."
    )


class SubscriptionOut(_Out):
    id: str
    org_id: str
    region_code: str
    scope: str
    event_kinds: list[str]
    url: str
    active: bool
    created_at: datetime


class MessageOut(_Out):
    """An in-app inbox message."""

    id: str
    kind: str
    case_id: str | None
    subject: str
    body: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class DeliveryOut(_Out):
    id: str
    channel: str
    kind: str
    org_id: str | None
    case_id: str | None
    recipient: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = None
