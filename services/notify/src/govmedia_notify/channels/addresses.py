"""Where a webhook may point: public addresses, and the networks the operator allows (no SSRF).

A subscriber names the URL notify will POST to. Without a check, anyone with ``notify:write`` could make
the server call its own loopback (PostgreSQL, the other services' admin routes), the cloud metadata
address (169.254.169.254) or any host of the internal network, and read the outcome in
``GET /v1/deliveries``. So a webhook host must resolve only to global addresses, unless its address lies
in ``GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS`` (e.g. a government intranet receiver on 10.20.0.0/16).
The URL is checked when subscribing (an address written in it, ``localhost``) and again before each
delivery (what the host name resolves to then).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

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
