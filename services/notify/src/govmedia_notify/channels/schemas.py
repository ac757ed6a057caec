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


class ChannelOut(BaseModel):
    """A delivery channel and whether the deployment has it."""

    channel: str = Field(description="inbox, email, sms or webhook.")
    configured: bool = Field(description="False: nothing is queued for this channel (its setting is unset).")
    detail: str = Field(description="What is sent through it, or the setting that is missing.")


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


class WebhookDelivery(BaseModel):
    """What notify POSTs to a subscriber's URL (docs/webhooks.md): one message, signed, retried until a
    2xx."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": "6f0d8c3e-5b7e-5a52-9a55-3f1c1c1c0a11",
                    "kind": "notice",
                    "subject": "【即时通报】路桥市场监管存在违规：内容不更新",
                    "data": {
                        "case_id": "0b7e4d1e-2f7a-4c55-9d0c-9a1e6c2f1b33",
                        "account_id": "6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                        "unit_id": "3c9d2b7a-1e4f-4a6b-8c2d-5e7f9a0b1c2d",
                        "region_code": "331004",
                        "rule": "not_updated",
                        "state": "open",
                        "rectify_by": "2025-09-08",
                    },
                }
            ]
        }
    )

    delivery_id: str = Field(
        description="The same on every retry of this message to this subscriber (also in "
        "X-Govmedia-Delivery): store it and drop a delivery whose id you have already stored."
    )
    kind: Kind = Field(description="What the message is about; the kinds a subscription chose.")
    subject: str = Field(description="One line, as the in-app inbox shows it.")
    data: dict[str, Any] = Field(
        description="The message's facts: for a case (notice, reminder, escalation, report_*, case_closed) "
        "its case_id, account_id, unit_id, region_code, rule, state and rectify_by; other kinds carry their "
        "own ids (interview_id, bulletin_id …). New fields may appear: ignore the ones you do not know."
    )
