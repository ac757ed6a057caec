"""A webhook host that resolves to a public address when checked and to loopback when called (DNS rebinding)
must not make notify POST into its own machine.

Found by the outside-testing round: notify checks a webhook's host name before each delivery (it must
resolve only to public addresses, ``channels/addresses.py``), then httpx resolves the name again to
connect. A name whose DNS answers alternate (a public address with TTL 0, then 127.0.0.1) passed the
check and the signed POST went to the loopback: the SSRF the check exists to stop. The address notify
actually connected to is what must be checked.

No DNS server is needed: the host's resolution is replaced, answering a public address first and the
loopback afterwards; a receiver on the loopback records whether anything reached it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from govmedia_notify.channels.domain import Channel
from govmedia_notify.channels.senders import DeliveryFailed
from govmedia_notify.channels.service import Dispatcher
from govmedia_notify.models import Delivery
from govmedia_notify.settings import NotifySettings

HOST = "receiver.rebinding.test"
PUBLIC = "93.184.216.34"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A plain HTTP receiver on the loopback: records every request, answers 200."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(65536)
        received.append(data)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, received
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """HOST resolves to a public address on its first lookup, to 127.0.0.1 on every later one."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if (host.decode() if isinstance(host, bytes) else host) != HOST:  # anyio passes IDNA bytes
            return real(host, port, *args, **kwargs)
        address = PUBLIC if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


async def test_a_host_rebound_to_the_loopback_after_the_check_is_never_called(
    receiver: tuple[int, list[bytes]], rebinding_dns: list[str]
) -> None:
    port, received = receiver
    settings = NotifySettings(service_name="notify", environment="test", webhook_timeout_seconds=5)
    dispatcher = Dispatcher(None, settings, None)  # type: ignore[arg-type]  # only its senders are used
    delivery = Delivery(
        id="delivery-rebinding",
        channel=Channel.WEBHOOK,
        kind="notice",
        recipient=f"http://{HOST}:{port}/hook",
        subject="case opened",
        body="",
        payload={"case_id": "c-1"},
        created_at=datetime.now(UTC),
    )
    try:
        with pytest.raises(DeliveryFailed) as refused:
            await dispatcher.senders[Channel.WEBHOOK].send(delivery, "a-subscription-secret")
    finally:
        await dispatcher.close()
    assert rebinding_dns[0] == PUBLIC and "127.0.0.1" in rebinding_dns, rebinding_dns  # it was rebound
    assert received == [], f"notify POSTed into its own loopback: {received[0][:200]!r}"
    assert "127.0.0.1" in str(refused.value), refused.value
