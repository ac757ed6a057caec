"""Deliveries on real wires.

A webhook receiver that is down then up gets every notice once by delivery id, with a signature that verifies
by the documented recipe; dead deliveries are redelivered; e-mail to a real SMTP server keeps Chinese subject
and body intact. A webhook that points inside the server's network is refused (no SSRF).
"""

from __future__ import annotations

import asyncio
import email
import hashlib
import hmac
import socket
import time
from datetime import datetime, timedelta
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

import jsonschema
import orjson
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govmedia_common.workdays import SHANGHAI

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration
SECRET = "s3cret-for-the-receiver-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def verify_like_the_docs(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver recipe of docs/webhooks.md, written out independently of the service's code."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Receiver:
    """A webhook endpoint that verifies signatures, keeps each delivery id once, and can fail on purpose."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hook"
        self.receipts: list[str] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0
        self.fail_first: set[str] = set()
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if not verify_like_the_docs(SECRET, request.headers["X-Govmedia-Signature"], body):
            self.bad_signatures += 1
            return Response(status_code=401)
        delivery_id = request.headers["X-Govmedia-Delivery"]
        self.receipts.append(delivery_id)
        if delivery_id in self.fail_first:  # processed, but the answer is lost: the sender must retry
            self.fail_first.discard(delivery_id)
            return Response(status_code=503)
        self.by_id.setdefault(delivery_id, orjson.loads(body))  # duplicates dropped by delivery id
        return Response(status_code=204)

    async def up(self) -> None:
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.02)

    async def down(self) -> None:
        if self.server and self.task:
            self.server.should_exit = True
            await self.task


async def test_a_receiver_down_then_up_gets_every_notice_once_by_delivery_id_with_a_valid_signature(
    notify: NotifyKit,
) -> None:
    kit = notify
    office = await kit.office()
    receiver = Receiver(free_port())
    r = await office.http.post(
        "/v1/subscriptions",
        json={"url": receiver.url, "event_kinds": ["notice", "case_closed"], "secret": SECRET},
    )
    assert r.status_code == 201, r.text
    units = [await kit.unit(f"路桥区第{i}局", account_name=f"路桥账号{i}") for i in range(4)]
    for u in units:
        await kit.raise_alert(kit.alert(u, at=kit.clock.now()))
    hooks = await kit.deliveries(channel="webhook")
    assert len(hooks) == 4 and {h.kind for h in hooks} == {"notice"}
    dispatcher = kit.dispatcher(delivery_backoff_seconds=30, delivery_max_attempts=3)
    before = {o: _attempts("webhook", o) for o in ("delivered", "failed", "dead")}
    try:
        # Down: the first try fails for all; nothing is due again before the backoff.
        assert await dispatcher.run_once() == 4
        assert await dispatcher.run_once() == 0
        kit.clock.advance(seconds=30)
        assert await dispatcher.run_once() == 4  # second try, still down; next in 60 s
        assert {d.attempts for d in await kit.deliveries(channel="webhook")} == {2}
        # Up: one answer gets lost (503 after processing), the others are delivered.
        await receiver.up()
        receiver.fail_first = {hooks[0].id}
        kit.clock.advance(seconds=60)
        assert await dispatcher.run_once() == 4
        rows = {d.id: d for d in await kit.deliveries(channel="webhook")}
        assert rows[hooks[0].id].status == "dead"  # its third and last try was answered 503
        assert {rows[h.id].status for h in hooks[1:]} == {"delivered"}
        # The dead list, and a redelivery with the same delivery id.
        dead = (await office.http.get("/v1/deliveries", params={"status": "dead"})).json()["items"]
        assert [d["id"] for d in dead] == [hooks[0].id]
        r = await office.http.post(f"/v1/deliveries/{hooks[0].id}/redelivery")
        assert r.status_code == 200, r.text
        r = await office.http.post(f"/v1/deliveries/{hooks[1].id}/redelivery")
        assert r.status_code == 409  # only dead ones
        assert await dispatcher.run_once() == 1
        assert await dispatcher.run_once() == 0
    finally:
        await dispatcher.close()
        await receiver.down()
    # What the operator's panel and alerts read: 2 x 4 failed tries, 1 given up, 3 + 1 redelivered delivered.
    after = {o: _attempts("webhook", o) for o in ("delivered", "failed", "dead")}
    assert {o: after[o] - before[o] for o in after} == {"delivered": 4, "failed": 8, "dead": 1}
    assert receiver.bad_signatures == 0
    assert sorted(receiver.by_id) == sorted(h.id for h in hooks)  # every notice, each once by id
    assert receiver.receipts.count(hooks[0].id) == 2  # the lost answer made it arrive twice, same id
    cases = {p["data"]["case_id"] for p in receiver.by_id.values()}
    assert len(cases) == 4
    # Each body is what notify's OpenAPI declares under webhooks (the receiver's contract).
    document = kit.app.openapi()
    declared = document["webhooks"]["delivery"]["post"]["requestBody"]["content"]["application/json"]
    validator = jsonschema.Draft202012Validator({**declared["schema"], "components": document["components"]})
    for received in receiver.by_id.values():
        assert not [e.message for e in validator.iter_errors(received)], received
    # The recipe refuses a tampered body and another secret.
    body = orjson.dumps(receiver.by_id[hooks[1].id])
    from govmedia_notify.channels.domain import sign

    header = sign(SECRET, int(time.time()), body)
    assert verify_like_the_docs(SECRET, header, body)
    assert not verify_like_the_docs(SECRET, header, body.replace(b"notice", b"n0tice"))
    assert not verify_like_the_docs("another-secret-0123456789", header, body)


def _attempts(channel: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "govmedia_delivery_attempts_total", {"service": "notify", "channel": channel, "outcome": outcome}
    )
    return value or 0.0


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


async def test_email_to_a_real_smtp_server_keeps_the_chinese_subject_and_body(notify: NotifyKit) -> None:
    kit = notify
    await kit.office()
    unit = await kit.unit(
        "路桥区市场监督管理局", account_name="路桥市场监管", contact_email="scjg@luqiao.gov.cn"
    )
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    dispatcher = kit.dispatcher(smtp_host="127.0.0.1", smtp_port=port)
    try:
        kit.clock.set(datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI))
        await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
        assert await dispatcher.run_once() >= 1
        for _ in range(50):
            if mailbox.messages:
                break
            await asyncio.sleep(0.05)
    finally:
        await dispatcher.close()
        controller.stop()
    [raw] = mailbox.messages
    message = email.message_from_bytes(raw, policy=default_policy)
    assert message["To"] == "scjg@luqiao.gov.cn"
    assert message["Subject"] == "【即时通报】路桥市场监管存在违规：内容不更新"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None, "the message has no text/plain part"
    body = plain.get_content()
    assert "路桥区市场监督管理局：" in body
    assert "贵单位主办的政务新媒体“路桥市场监管”被监测发现内容不更新问题" in body
    assert "2025年9月8日前提交经主要负责人签字并加盖公章的整改报告" in body
    [delivery] = await kit.deliveries(channel="email")
    assert message["X-Govmedia-Delivery"] == delivery.id and delivery.status == "delivered"
    assert delivery.delivered_at is not None and delivery.delivered_at - kit.clock.now() < timedelta(
        seconds=1
    )


async def test_a_webhook_into_the_servers_own_network_is_refused_on_subscribing_and_before_delivery(
    notify_public_webhooks_only: NotifyKit, notify: NotifyKit
) -> None:
    # With no allowed networks (the default) the address written in the URL is refused at once.
    office = await notify_public_webhooks_only.office()
    for url in ("http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data/", "http://localhost/"):
        r = await office.http.post(
            "/v1/subscriptions", json={"url": url, "event_kinds": ["notice"], "secret": SECRET}
        )
        assert r.status_code == 422 and r.json()["code"] == "webhook-address-refused", r.text
        assert "GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS" in r.json()["detail"]

    # A subscription taken while loopback was allowed is refused before each delivery once it is not:
    # the receiver gets nothing and the delivery says why.
    kit = notify
    receiver = Receiver(free_port())
    await receiver.up()
    try:
        office = await kit.office()
        r = await office.http.post(
            "/v1/subscriptions", json={"url": receiver.url, "event_kinds": ["notice"], "secret": SECRET}
        )
        assert r.status_code == 201, r.text
        unit = await kit.unit("路桥区第九局", account_name="路桥账号九")
        await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
        dispatcher = kit.dispatcher(webhook_allowed_networks="")
        try:
            assert await dispatcher.run_once() >= 1
        finally:
            await dispatcher.client.aclose()
        hooks = await kit.deliveries(channel="webhook")
        assert hooks and all("refused" in (h.last_error or "") for h in hooks), [h.last_error for h in hooks]
        assert receiver.receipts == []
    finally:
        await receiver.down()
