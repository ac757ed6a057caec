"""Adapters that put a delivery on the wire: SMTP e-mail, an HTTP SMS gateway, signed webhooks.

Each raises on failure; the dispatcher decides about retries. Every message carries its delivery id
(``Message-ID`` / ``X-Govmedia-Delivery``) so that a receiver can drop a duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import aiosmtplib
import httpx
import orjson

from govmedia_notify.channels.addresses import AddressRefused, Network, check_resolved_host
from govmedia_notify.channels.domain import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from govmedia_notify.models import Delivery
from govmedia_notify.settings import NotifySettings


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; retried with backoff."""


class Sender(Protocol):
    async def send(self, delivery: Delivery, secret: str | None) -> None: ...


class EmailSender:
    """E-mail over SMTP with aiosmtplib; UTF-8 subject and body (Chinese survives every hop)."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def message(self, delivery: Delivery) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.smtp_sender
        msg["To"] = delivery.recipient
        msg["Subject"] = delivery.subject
        msg["Message-ID"] = make_msgid(idstring=delivery.id, domain="govmedia.notify")
        msg[DELIVERY_HEADER] = delivery.id
        msg.set_content(delivery.body, charset="utf-8")
        return msg

    async def send(self, delivery: Delivery, secret: str | None) -> None:
        s = self.settings
        if not s.smtp_host:  # a row written while a server was set
            raise DeliveryFailed("no SMTP server configured (GOVMEDIA_NOTIFY_SMTP_HOST)")
        try:
            await aiosmtplib.send(
                self.message(delivery),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {exc}") from exc


class SmsSender:
    """An SMS gateway over HTTP: POST {"id", "to", "text"} with a bearer token; 2xx means accepted."""

    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    async def send(self, delivery: Delivery, secret: str | None) -> None:
        if not self.settings.sms_gateway_url:
            raise DeliveryFailed("no SMS gateway configured (GOVMEDIA_NOTIFY_SMS_GATEWAY_URL)")
        token = self.settings.sms_gateway_token
        headers = {DELIVERY_HEADER: delivery.id}
        if token:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        body = {
            "id": delivery.id,
            "to": delivery.recipient,
            "text": f"{delivery.subject}：{delivery.body}"[:500],
        }
        await _post(self.client, self.settings.sms_gateway_url, orjson.dumps(body), headers)


class WebhookSender:
    """A signed POST of the delivery's JSON payload to the subscriber's URL (public addresses only)."""

    def __init__(self, client: httpx.AsyncClient, allowed: Sequence[Network] = ()) -> None:
        self.client = client
        self.allowed = allowed

    @staticmethod
    def body(delivery: Delivery) -> bytes:
        return orjson.dumps(
            {
                "delivery_id": delivery.id,
                "kind": delivery.kind,
                "subject": delivery.subject,
                "data": delivery.payload,
            }
        )

    async def send(self, delivery: Delivery, secret: str | None) -> None:
        if not secret:
            raise DeliveryFailed("the subscription is gone")
        try:
            await check_resolved_host(delivery.recipient, self.allowed)
        except AddressRefused as exc:
            raise DeliveryFailed(f"{delivery.recipient}: refused: {exc}") from exc
        body = self.body(delivery)
        headers = {
            SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            DELIVERY_HEADER: delivery.id,
            EVENT_HEADER: delivery.kind,
        }
        await _post(self.client, delivery.recipient, body, headers)


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, Any]) -> None:
    try:
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{url}: {exc.__class__.__name__}: {exc}") from exc
    if not response.is_success:
        raise DeliveryFailed(f"{url}: HTTP {response.status_code}")
