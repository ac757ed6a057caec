"""Fan a message out to its recipients as durable delivery rows, and the dispatcher that sends them.

A use case calls :func:`fan_out` in its own transaction, next to the outbox event: if the process dies
after the commit, the rows are still there and the dispatcher sends them; if it dies before, neither the
state change nor the messages exist. Delivery ids are stable per (message, channel, recipient), so a retry
of the use case adds nothing and a receiver drops a message it has seen by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import region_prefix
from govmedia_common.scheduled import ScheduledTask
from govmedia_common.workdays import SHANGHAI, Clock
from govmedia_notify.channels import repository as repo
from govmedia_notify.channels.addresses import webhook_client
from govmedia_notify.channels.domain import Channel, DeliveryStatus, Kind, backoff_seconds, delivery_id
from govmedia_notify.channels.senders import DeliveryFailed, EmailSender, Sender, SmsSender, WebhookSender
from govmedia_notify.directory import repository as directory
from govmedia_notify.models import Delivery, UnitView
from govmedia_notify.rules import NotifyRules, in_quiet_hours
from govmedia_notify.settings import NotifySettings

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = Counter(
    "govmedia_delivery_attempts_total",
    "Attempts to deliver an e-mail, SMS or webhook, by outcome: delivered, failed (tried again later) or "
    "dead (its last attempt failed: it waits on the dead list for a redelivery).",
    ["service", "channel", "outcome"],
)
for _channel in (Channel.EMAIL, Channel.SMS, Channel.WEBHOOK):
    for _outcome in ("delivered", "failed", "dead"):
        DELIVERY_ATTEMPTS.labels("notify", _channel, _outcome)


CHANNEL_CONFIGURED = Gauge(
    "govmedia_delivery_channel_configured",
    "1 when a delivery channel is configured (messages are queued for it), 0 when it is not (no SMTP server, "
    "no SMS gateway: nothing is written for it; the inbox carries the message).",
    ["service", "channel"],
)

# The key of the service's NotifySettings in each session's ``info`` (main.create_app puts it there), so
# that fan-out, run inside any use case's transaction, knows which channels the deployment has.
SETTINGS_KEY = "govmedia_notify_settings"


def not_configured(settings: NotifySettings) -> dict[Channel, str]:
    """The channels the deployment has not configured, each with what to set: nothing is queued for them."""
    missing: dict[Channel, str] = {}
    if not settings.smtp_host:
        missing[Channel.EMAIL] = (
            "no SMTP server configured (GOVMEDIA_NOTIFY_SMTP_HOST; 127.0.0.1 for a mail server on this "
            "host): no e-mail is written; messages reach the inbox (and SMS, webhooks where configured)"
        )
    if not settings.sms_gateway_url:
        missing[Channel.SMS] = (
            "no SMS gateway configured (GOVMEDIA_NOTIFY_SMS_GATEWAY_URL): no SMS is written; notices, "
            "returned reports and escalations reach the inbox (and e-mail, if configured) only"
        )
    return missing


def show_channels(settings: NotifySettings) -> None:
    """Export :data:`CHANNEL_CONFIGURED` for every channel."""
    missing = not_configured(settings)
    for channel in Channel:
        CHANNEL_CONFIGURED.labels("notify", channel).set(0 if channel in missing else 1)


def _not_configured_of(session: AsyncSession) -> dict[Channel, str]:
    """:func:`not_configured` of the service of this session (a session of no service: every channel)."""
    settings = session.info.get(SETTINGS_KEY)
    return not_configured(settings) if isinstance(settings, NotifySettings) else {}


@dataclass(frozen=True)
class Recipient:
    """An organisation a message is for, and how to reach it."""

    org_id: str
    region_code: str
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, unit: UnitView) -> Recipient:
        return cls(unit.unit_id, unit.region_code, unit.contact_email, unit.contact_phone)


# The messages that go to the competent office of a case's or a bulletin's region (besides the unit, for a
# case), whoever the directory named when they were sent. Closure recommendations: closure/service.py.
OFFICE_KINDS = (Kind.NOTICE, Kind.ESCALATION, Kind.CASE_CLOSED, Kind.INTERVIEW, Kind.BULLETIN)


def _source_candidates(row: Delivery) -> list[str]:
    """The ``source_id`` fan-out may have given the message of ``row`` (see each kind's sender)."""
    payload = row.payload or {}
    if row.kind == Kind.BULLETIN:  # bulletins/service.py: the bulletin
        return [str(payload.get("bulletin_id", ""))]
    if row.kind == Kind.INTERVIEW:  # ladder/service.py: the interview, again for a case reaching it anew
        interview = str(payload.get("interview_id", ""))
        if payload.get("cancelled"):
            return [f"{interview}:cancelled:{payload.get('false_alarm_case_id', '')}"]
        return [interview, f"{interview}:{row.case_id}"]
    return [row.case_id or ""]  # cases/service.py: notice, escalation and closing are the case's own


def office_copy_id(row: Delivery, office_id: str) -> str | None:
    """The id of the office's inbox copy of the message of ``row``: the one fan-out would have given it.

    The source is the candidate that gives ``row`` its own id; None when it cannot be told (a message
    written before its payload named its source).
    """
    for source in _source_candidates(row):
        if delivery_id(row.kind, source, Channel.INBOX, row.recipient) == row.id:
            return delivery_id(row.kind, source, Channel.INBOX, office_id)
    return None


async def give_late_office_its_messages(session: AsyncSession, office: UnitView) -> int:
    """Copy into an office's inbox the messages of its area sent before notify knew of it.

    A case's notice, escalation, closing and interview messages, and a region's bulletin, are addressed
    once, to the office the directory names at that instant; the office's own UnitRegistered may be read
    later (no order across topics). So when an office is learnt (or changes), the inbox messages of
    ``OFFICE_KINDS`` of its subtree for which it is now the nearest office are copied to it (its inbox
    only: e-mail and SMS are not sent late). Ids are those fan-out gives, so nothing is doubled, also when
    the message is fanned out again later. Returns how many were added.
    """
    rows: dict[str, dict[str, Any]] = {}
    found = await repo.inbox_messages_in(
        session, prefix=region_prefix(office.region_code), kinds=OFFICE_KINDS, not_org=office.unit_id
    )
    for row in found:
        if (row.payload or {}).get("unit_id") == office.unit_id:
            continue  # the office's own account: its messages go to it as the unit
        nearest = await directory.office_for(session, row.region_code)
        if nearest is None or nearest.unit_id != office.unit_id:
            continue
        copy_id = office_copy_id(row, office.unit_id)
        if copy_id is None:  # its source unknown: an id of its own, unless the office has the message
            if await repo.has_inbox_message(
                session,
                org_id=office.unit_id,
                kind=row.kind,
                case_id=row.case_id,
                subject=row.subject,
                created_at=row.created_at,
            ):
                continue
            copy_id = delivery_id(row.kind, "copy-of", row.id, Channel.INBOX, office.unit_id)
        rows[copy_id] = {
            "id": copy_id,
            "channel": Channel.INBOX,
            "kind": row.kind,
            "org_id": office.unit_id,
            "region_code": row.region_code,
            "case_id": row.case_id,
            "recipient": office.unit_id,
            "subject": row.subject,
            "body": row.body,
            "payload": row.payload,
            "status": DeliveryStatus.DELIVERED,
            "attempts": 0,
            "next_attempt_at": row.created_at,
            "created_at": row.created_at,
            "delivered_at": row.created_at,
            "subscription_id": None,
        }
    return await repo.add_deliveries(session, list(rows.values()))


async def fan_out(
    session: AsyncSession,
    *,
    kind: str,
    source_id: str,
    region_code: str,
    unit_id: str | None,
    case_id: str | None,
    subject: str,
    body: str,
    payload: dict[str, Any],
    recipients: Sequence[Recipient],
    now: datetime,
    sms: bool = False,
    not_before: datetime | None = None,
) -> int:
    """Write one delivery per recipient and channel (inbox, e-mail, SMS) and per matching webhook.

    E-mail and SMS only when the deployment has an SMTP server and an SMS gateway: without one they could
    only fail, retry, go dead and raise the delivery alerts (:func:`not_configured`; the channel shows as not
    configured instead)."""
    due = max(now, not_before) if not_before else now
    missing = _not_configured_of(session)
    sms = sms and Channel.SMS not in missing
    email = Channel.EMAIL not in missing
    rows: list[dict[str, Any]] = []

    def row(channel: Channel, recipient: str, org_id: str | None, **extra: Any) -> None:
        rows.append(
            {
                "id": delivery_id(kind, source_id, channel, recipient),
                "channel": channel,
                "kind": kind,
                "org_id": org_id,
                "region_code": region_code,
                "case_id": case_id,
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "payload": payload,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": due,
                "created_at": now,
                "delivered_at": None,
                "subscription_id": None,
                **extra,
            }
        )

    seen: set[str] = set()
    for r in recipients:
        if r.org_id in seen:
            continue
        seen.add(r.org_id)
        # The in-app inbox needs no sending: it is delivered the moment it is written.
        row(Channel.INBOX, r.org_id, r.org_id, status=DeliveryStatus.DELIVERED, delivered_at=now)
        if email and r.email:
            row(Channel.EMAIL, r.email, r.org_id)
        if sms and r.phone:
            row(Channel.SMS, r.phone, r.org_id)
    for sub in await repo.matching_subscriptions(
        session, kind=kind, region_code=region_code, unit_id=unit_id
    ):
        row(Channel.WEBHOOK, sub.url, sub.org_id, subscription_id=sub.id)
    return await repo.add_deliveries(session, rows)


class Dispatcher:
    """Sends due deliveries, retries failures with exponential backoff, gives up to the dead list."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: NotifySettings,
        clock: Clock,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.client = client or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        # Webhooks get a client that checks the address each connection reached (DNS rebinding), unless a
        # test gives its own.
        hooks = client or webhook_client(settings.webhook_timeout_seconds, settings.webhook_networks)
        self.webhook_client = hooks
        self.senders: dict[str, Sender] = {
            Channel.EMAIL: EmailSender(settings),
            Channel.SMS: SmsSender(settings, self.client),
            Channel.WEBHOOK: WebhookSender(hooks, settings.webhook_networks),
        }
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Claim the due deliveries, send them, record each outcome; returns how many were tried."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            batch = await repo.claim_due(
                session,
                now=now,
                limit=self.settings.delivery_batch_size,
                lease_seconds=self.settings.delivery_lease_seconds,
            )
            batch = self._set_aside_not_configured(batch)
            batch = await self._hold_quiet_reminders(session, batch, now)
            secrets = await repo.subscription_secrets(
                session, [d.subscription_id for d in batch if d.subscription_id]
            )
        if not batch:
            return 0
        # Each outcome is recorded as soon as it is known (those known together in one transaction), not
        # once the whole batch is done: a dispatcher that dies while one receiver is still answering has
        # recorded what the others received, and the next one sends only what was in flight.
        done: asyncio.Queue[tuple[Delivery, str | None]] = asyncio.Queue()

        async def attempt(delivery: Delivery) -> None:
            await done.put(
                (delivery, await self._send(delivery, secrets.get(delivery.subscription_id or "")))
            )

        sending = [asyncio.create_task(attempt(d)) for d in batch]
        try:
            recorded = 0
            while recorded < len(batch):
                outcomes = [await done.get()]
                while not done.empty():
                    outcomes.append(done.get_nowait())
                await self._record(outcomes, now)
                recorded += len(outcomes)
        finally:
            for task in sending:
                task.cancel()
        return len(batch)

    async def _record(self, outcomes: list[tuple[Delivery, str | None]], now: datetime) -> None:
        """Record outcomes in one transaction: delivered, or failed with the next attempt (or dead)."""
        counted: list[tuple[str, str]] = []
        async with self.sessions() as session, session.begin():
            for delivery, error in outcomes:
                if error is None:
                    await repo.record_outcome(
                        session, delivery.id, delivered_at=now, error=None, next_attempt_at=None
                    )
                    counted.append((delivery.channel, "delivered"))
                    continue
                attempts = delivery.attempts + 1
                next_at = None
                if attempts < self.settings.delivery_max_attempts:
                    delay = backoff_seconds(
                        attempts,
                        self.settings.delivery_backoff_seconds,
                        self.settings.delivery_backoff_cap_seconds,
                    )
                    next_at = now + timedelta(seconds=delay)
                await repo.record_outcome(
                    session, delivery.id, delivered_at=None, error=error, next_attempt_at=next_at
                )
                counted.append((delivery.channel, "failed" if next_at else "dead"))
                log.warning(
                    "delivery failed",
                    extra={
                        "delivery_id": delivery.id,
                        "channel": delivery.channel,
                        "attempts": attempts,
                        "error": error,
                    },
                )
        for channel, outcome in counted:  # once recorded: a transaction that fails counts nothing
            DELIVERY_ATTEMPTS.labels("notify", channel, outcome).inc()

    def _set_aside_not_configured(self, batch: list[Delivery]) -> list[Delivery]:
        """Deliveries of a channel the deployment no longer has (written while it had, or by an earlier
        version) go to the dead list at once with the cause, uncounted: tried, each would only fail its
        attempts over hours and raise the delivery alerts. A redelivery once it is configured sends them."""
        missing = not_configured(self.settings)
        ready: list[Delivery] = []
        aside: dict[str, int] = {}
        for delivery in batch:
            why = missing.get(Channel(delivery.channel)) if delivery.channel in set(Channel) else None
            if why is None:
                ready.append(delivery)
                continue
            delivery.status, delivery.claimed_until = DeliveryStatus.DEAD, None
            delivery.last_error = f"not sent: {why}"[:2000]
            aside[delivery.channel] = aside.get(delivery.channel, 0) + 1
        for channel, n in aside.items():
            log.warning(
                "%d %s deliveries set aside on the dead list: the channel is not configured (%s)",
                n,
                channel,
                missing[Channel(channel)],
            )
        return ready

    @staticmethod
    async def _hold_quiet_reminders(
        session: AsyncSession, batch: list[Delivery], now: datetime
    ) -> list[Delivery]:
        """A reminder that falls due in quiet hours (a retry, a late dispatcher) waits for the morning."""
        ready: list[Delivery] = []
        rules: dict[str, NotifyRules] = {}
        for delivery in batch:
            if delivery.kind == Kind.REMINDER:
                if delivery.region_code not in rules:
                    rules[delivery.region_code] = await directory.rules_for(session, delivery.region_code)
                r = rules[delivery.region_code]
                local_now = now.astimezone(SHANGHAI)
                if in_quiet_hours(local_now.time(), r.quiet_start, r.quiet_end):
                    morning = datetime.combine(local_now.date(), r.quiet_end, SHANGHAI)
                    delivery.next_attempt_at = morning if morning > now else morning + timedelta(days=1)
                    delivery.claimed_until = None
                    continue
            ready.append(delivery)
        return ready

    def deadline(self, channel: str) -> float:
        """Seconds one delivery's whole exchange may take: the channel's timeout, and at most half the lease.

        httpx's and aiosmtplib's timeouts bound each read or write, not the exchange: a receiver answering a
        byte at a time held the batch (all its outcomes unrecorded) past its lease, and another dispatcher
        claimed and sent it again, healthy receivers included.
        """
        s = self.settings
        timeout = s.smtp_timeout_seconds if channel == Channel.EMAIL else s.webhook_timeout_seconds
        return min(timeout, s.delivery_lease_seconds / 2)

    async def _send(self, delivery: Delivery, secret: str | None) -> str | None:
        sender = self.senders.get(delivery.channel)
        if sender is None:
            return f"no sender for channel {delivery.channel}"
        deadline = self.deadline(delivery.channel)
        try:
            async with asyncio.timeout(deadline):
                await sender.send(delivery, secret)
        except TimeoutError:
            return f"{delivery.recipient}: timed out: no complete answer within {deadline:g} s"[:2000]
        except DeliveryFailed as exc:
            return str(exc)[:2000]
        except Exception as exc:  # a bug in one adapter must not stop the others
            log.exception("delivery crashed", extra={"delivery_id": delivery.id})
            return f"{exc.__class__.__name__}: {exc}"[:2000]
        return None

    async def run(self) -> None:
        interval = self.settings.dispatcher_interval_seconds
        task = ScheduledTask("notify", "dispatcher", interval_seconds=interval, log=log)
        while not self._stopping.is_set():
            try:
                with task.turn():
                    tried = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                task.log_failure("dispatcher error; retrying in %g s", task.pause(interval))
                tried = 0
            if not tried:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(task.pause(interval)):
                        await self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self.client.aclose()
        if self.webhook_client is not self.client:
            await self.webhook_client.aclose()
