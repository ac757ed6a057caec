"""Webhook receivers that misbehave: one that trickles its answer forever, one that answers 500 every time.

Found by the outside-testing round: the dispatcher's HTTP timeout is httpx's, which bounds each read, not
the exchange. A receiver that sends its answer a byte at a time (each within the timeout) held
``Dispatcher.run_once`` for as long as it liked; the whole claimed batch waited with it, outcomes
unrecorded, past the deliveries' lease, so another dispatcher (a replica, or this one after a restart)
claimed and sent them again — the healthy receivers of the same batch too. Each delivery's exchange now has
a deadline of its own, the webhook timeout, well inside the lease.

A dispatcher that died mid-batch had recorded nothing of it (outcomes were written once the whole batch was
done), so the next one sent every delivery of the batch again, those already received too (found by this
round); each outcome is now recorded as soon as it is known.

A receiver that answers 500 is tried ``delivery_max_attempts`` times with backoff, then the delivery is dead
(listed for an operator to redeliver), never tried again by itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.keys import SigningKey, jwks
from govmedia_common.settings import KafkaSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_notify.channels.service import Dispatcher, fan_out
from govmedia_notify.main import create_app
from govmedia_notify.models import Delivery, Subscription
from govmedia_notify.settings import NotifySettings
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
REGION = "331004"
TIMEOUT = 1.0  # the webhook timeout of these tests
LEASE = 5.0  # the deliveries' lease


class Receiver:
    """A raw HTTP endpoint on the loopback: counts each delivery id it was sent, answers as told."""

    def __init__(self, answer: str) -> None:
        self.answer = answer  # "ok", "slow", "500" or "trickle"
        self.received: Counter[str] = Counter()
        self.server: asyncio.Server | None = None
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = dict(
                line.lower().split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line
            )
            await reader.readexactly(int(headers.get("content-length", "0")))
            self.received[headers.get("x-govmedia-delivery", "?")] += 1
            if self.answer == "ok":
                writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
            elif self.answer == "slow":  # answers after 3 s, well within its timeout
                await asyncio.sleep(3)
                writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
            elif self.answer == "500":
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
            else:  # a byte every half timeout: no single read ever times out
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n")
                for _ in range(40):
                    await writer.drain()
                    await asyncio.sleep(TIMEOUT / 2)
                    writer.write(b".")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


@asynccontextmanager
async def notify_app(
    infra: Infrastructure,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], FixedClock]]:
    url = await fresh_database(infra, "webhook_faults", "notify")
    settings = NotifySettings(
        service_name="notify", environment="test", database_url=url,
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap), run_consumers=False, run_dispatcher=False,
        run_sweeper=False, log_json=False, log_level="WARNING", webhook_allowed_networks="127.0.0.0/8",
    )  # fmt: skip
    clock = FixedClock(START)
    verifier = TokenVerifier(
        issuer="govmedia-registry", audience="govmedia", jwks=jwks(SigningKey.generate())
    )
    app = create_app(settings, verifier=verifier, clock=clock)
    async with LifespanManager(app):
        yield app.state.runtime.sessions, clock


async def notices_to(sessions: async_sessionmaker[AsyncSession], now: datetime, *urls: str) -> list[str]:
    """One notice of a case, fanned out to a region subscription at each url: the webhook delivery ids."""
    async with sessions() as session, session.begin():
        for url in urls:
            session.add(
                Subscription(
                    id=str(uuid.uuid4()), org_id=str(uuid.uuid4()), region_code=REGION, scope="region",
                    event_kinds=["notice"], url=url, secret="s3cret-for-the-receiver-0123456789",
                    active=True, created_by="test", created_at=now,
                )
            )  # fmt: skip
        await session.flush()
        case_id = str(uuid.uuid4())
        await fan_out(
            session, kind="notice", source_id=case_id, region_code=REGION, unit_id=str(uuid.uuid4()),
            case_id=case_id, subject="即时通报", body="请整改", payload={"case_id": case_id}, recipients=[],
            now=now,
        )  # fmt: skip
    async with sessions() as session:
        rows = await session.execute(select(Delivery.id).where(Delivery.case_id == case_id))
        return [r[0] for r in rows]


async def deliveries(sessions: async_sessionmaker[AsyncSession], ids: list[str]) -> dict[str, Delivery]:
    async with sessions() as session:
        return {
            d.id: d for d in (await session.execute(select(Delivery).where(Delivery.id.in_(ids)))).scalars()
        }


def dispatcher(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock, **settings: object
) -> Dispatcher:
    values = {
        "service_name": "notify", "environment": "test", "webhook_timeout_seconds": TIMEOUT,
        "delivery_lease_seconds": LEASE, "delivery_backoff_seconds": 30.0,
        "webhook_allowed_networks": "127.0.0.0/8",
        **settings,
    }  # fmt: skip
    return Dispatcher(sessions, NotifySettings.model_validate(values), clock)


async def test_a_receiver_trickling_its_answer_cannot_hold_the_batch_past_its_lease_or_get_it_sent_twice(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with notify_app(infra) as (sessions, clock), Receiver("ok") as good, Receiver("trickle") as slow:
        ids = await notices_to(sessions, clock.now(), good.url, slow.url)
        assert len(ids) == 2
        first, replica = dispatcher(sessions, clock), dispatcher(sessions, clock)
        try:
            started = time.monotonic()
            running = asyncio.create_task(first.run_once())
            done, _ = await asyncio.wait([running], timeout=TIMEOUT + 3)
            # While it is held (before the fix), the lease runs out and a replica claims the batch again.
            clock.advance(seconds=LEASE + 1)
            again = await asyncio.wait_for(replica.run_once(), timeout=30)
            if not done:
                await asyncio.wait_for(running, timeout=30)
            took = time.monotonic() - started
            assert max(good.received.values()) == 1, (
                f"the healthy receiver got a notice twice: {good.received}"
            )
            assert again == 0, "a replica claimed the batch again: its lease ran out before its outcomes"
            assert done, f"one receiver held the dispatcher's batch for {took:.0f}s (timeout {TIMEOUT}s)"
            assert sum(slow.received.values()) == 1
            rows = await deliveries(sessions, ids)
            by_url = {d.recipient: d for d in rows.values()}
            assert by_url[good.url].status == "delivered"
            assert by_url[slow.url].status == "pending" and by_url[slow.url].attempts == 1
            assert "timed out" in (by_url[slow.url].last_error or ""), by_url[slow.url].last_error
        finally:
            await first.close()
            await replica.close()


async def test_a_receiver_answering_500_is_tried_a_bounded_number_of_times_then_the_delivery_is_dead(
    infra: Infrastructure, kafka_topics: None
) -> None:
    async with notify_app(infra) as (sessions, clock), Receiver("500") as failing:
        [delivery_id] = await notices_to(sessions, clock.now(), failing.url)
        sender = dispatcher(sessions, clock, delivery_max_attempts=4)
        try:
            for attempt in range(1, 7):
                await sender.run_once()
                row = (await deliveries(sessions, [delivery_id]))[delivery_id]
                assert row.attempts == min(attempt, 4)
                clock.advance(timedelta(hours=2))  # past any backoff
            assert failing.received == Counter({delivery_id: 4})
            assert row.status == "dead" and "HTTP 500" in (row.last_error or "")
        finally:
            await sender.close()


async def test_a_dispatcher_dying_mid_batch_does_not_send_again_what_was_delivered(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """The dispatcher dies (its task cancelled mid-batch: nothing more reaches the database, as with SIGKILL)
    while one receiver is still answering: what the others had received is recorded delivered already, so
    the next dispatcher, once the lease has run out, sends only the one that was in flight."""
    async with notify_app(infra) as (sessions, clock), Receiver("ok") as fast, Receiver("slow") as slow:
        ids = await notices_to(sessions, clock.now(), fast.url, slow.url)
        first = dispatcher(sessions, clock, webhook_timeout_seconds=10.0, delivery_lease_seconds=30.0)
        second = dispatcher(sessions, clock, webhook_timeout_seconds=10.0, delivery_lease_seconds=30.0)
        try:
            running = asyncio.create_task(first.run_once())
            deadline = time.monotonic() + 10
            while not (fast.received and slow.received) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # (the receivers count; they set no event)
            await asyncio.sleep(0.5)  # the fast answer is in; the slow receiver is still answering
            running.cancel()
            await asyncio.wait([running])
            clock.advance(seconds=31)  # the lease of the batch has run out
            await asyncio.wait_for(second.run_once(), timeout=30)
            assert sum(fast.received.values()) == 1, f"sent again after the restart: {fast.received}"
            assert sum(slow.received.values()) == 2  # in flight when it died: sent again, same delivery id
            rows = await deliveries(sessions, ids)
            assert {d.status for d in rows.values()} == {"delivered"}
        finally:
            await first.close()
            await second.close()
