"""Rules of delivery: webhook signatures, retry backoff, delivery ids. Plain Python, no I/O.

Webhook signature (documented in ``docs/webhooks.md``)::

    X-Govmedia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

The receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in constant
time and refuses timestamps outside its tolerance (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from enum import StrEnum

SIGNATURE_HEADER = "X-Govmedia-Signature"
DELIVERY_HEADER = "X-Govmedia-Delivery"
EVENT_HEADER = "X-Govmedia-Event"


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class Kind(StrEnum):
    """What a message is about; subscriptions choose kinds."""

    NOTICE = "notice"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    REPORT_SUBMITTED = "report_submitted"
    REPORT_RETURNED = "report_returned"
    REPORT_ACCEPTED = "report_accepted"
    CASE_CLOSED = "case_closed"
    INTERVIEW = "interview"
    CLOSURE = "closure"
    BULLETIN = "bulletin"
    DIGEST = "digest"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its timestamp is within ``tolerance``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next try after ``attempts`` failed ones: base, 2·base, 4·base … capped."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def delivery_id(*parts: str) -> str:
    """A stable id per (message, channel, recipient): fanning out again adds nothing."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "govmedia:notify:delivery:" + ":".join(parts)))
