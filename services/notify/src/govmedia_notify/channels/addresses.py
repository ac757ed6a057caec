"""Where a webhook may point: public addresses, and the networks the operator allows (no SSRF).

A subscriber names the URL notify will POST to. Without a check, anyone with ``notify:write`` could make
the server call its own loopback (PostgreSQL, the other services' admin routes), the cloud metadata
address (169.254.169.254) or any host of the internal network, and read the outcome in
``GET /v1/deliveries``. So a webhook host must resolve only to global addresses, unless its address lies
in ``GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS`` (e.g. a government intranet receiver on 10.20.0.0/16).
The URL is checked when subscribing (an address written in it, ``localhost``) and again before each
delivery (what the host name resolves to then); and the address a delivery actually connects to is checked
before a byte is sent (:func:`webhook_client`), since a name may resolve to a public address for the check
and to the loopback a moment later (DNS rebinding). Behind an egress proxy, the proxy's network must be
allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_NETWORKS_SETTING = "GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"


class AddressRefused(Exception):
    """The webhook URL points at an address notify must not call; the message says what to do."""


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why notify must not call ``address`` (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in n for n in allowed):
        return None
    if address.is_global and not address.is_multicast:
        return None
    return (
        f"{address} is not a public address (loopback, private, link-local or reserved); a receiver "
        f"inside your network needs its network in {ALLOWED_NETWORKS_SETTING}"
    )


def check_written_host(url: str, allowed: Sequence[Network]) -> None:
    """Refuse a URL whose host is written as a non-public address, or is ``localhost``."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked when it is resolved, before each delivery
    why = refusal(address, allowed)
    if why:
        raise AddressRefused(why)


async def check_resolved_host(url: str, allowed: Sequence[Network]) -> None:
    """Refuse a URL whose host resolves to any address notify must not call."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    check_written_host(url, allowed)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise AddressRefused(f"{host} does not resolve: {exc}") from exc
    for info in infos:
        why = refusal(ipaddress.ip_address(str(info[4][0]).split("%")[0]), allowed)
        if why:
            raise AddressRefused(f"{host} resolves to {why}")


class _PeerChecked(httpcore.AsyncNetworkBackend):
    """Connects as usual, then refuses the connection unless its peer is an address notify may call."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self.allowed = allowed
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        peer = stream.get_extra_info("server_addr")
        why = refusal(ipaddress.ip_address(str(peer[0]).split("%")[0]), self.allowed) if peer else "no peer"
        if why:
            await stream.aclose()
            raise httpcore.ConnectError(f"{host} connected to {why}")
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("a webhook is never a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def webhook_client(timeout: float, allowed: Sequence[Network]) -> httpx.AsyncClient:
    """An HTTP client whose every connection goes only to an address :func:`refusal` lets notify call."""
    transport = httpx.AsyncHTTPTransport()
    # httpx builds its httpcore pool itself and takes no network backend: the pool's is replaced.
    transport._pool._network_backend = _PeerChecked(allowed)
    return httpx.AsyncClient(transport=transport, timeout=timeout)
