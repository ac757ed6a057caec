"""Webhooks may point at public addresses and at the networks the operator allows, nowhere else (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from govmedia_notify.channels.addresses import (
    AddressRefused,
    check_resolved_host,
    check_written_host,
    networks,
    refusal,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # the server itself: PostgreSQL, the other services
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",  # loopback written as IPv6
        "224.0.0.1",
    ],
)
def test_loopback_private_link_local_and_reserved_addresses_are_refused(address: str) -> None:
    why = refusal(ipaddress.ip_address(address), ())
    assert why is not None and "GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS" in why


@pytest.mark.parametrize("address", ["8.8.8.8", "114.114.114.114", "2400:3200::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), ()) is None


def test_a_network_the_operator_allows_is_allowed_and_only_that_one() -> None:
    allowed = networks(["10.20.0.0/16", " "])
    assert refusal(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert refusal(ipaddress.ip_address("10.21.3.4"), allowed) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost:8001/v1/admin/apply-due",
        "http://LOCALHOST./x",
        "http://api.localhost/x",
        "http://[::1]:8002/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.7/hook",
    ],
)
def test_a_url_written_with_a_refused_host_is_refused_when_subscribing(url: str) -> None:
    with pytest.raises(AddressRefused):
        check_written_host(url, ())


def test_a_host_name_is_left_to_the_check_before_each_delivery() -> None:
    check_written_host("https://hooks.example.gov.cn/govmedia", ())


async def test_a_name_that_resolves_inside_is_refused_before_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A public-looking name pointed at 127.0.0.1 (or rebound later) is refused by what it resolves to."""
    loop = asyncio.get_running_loop()

    async def resolve(host: str, port: int, **kw: object) -> list[tuple[object, ...]]:
        address = {"hooks.example.gov.cn": "127.0.0.1", "public.example.gov.cn": "114.114.114.114"}[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", resolve)
    with pytest.raises(AddressRefused, match=r"hooks\.example\.gov\.cn resolves to 127\.0\.0\.1"):
        await check_resolved_host("https://hooks.example.gov.cn/govmedia", ())
    await check_resolved_host("https://public.example.gov.cn/govmedia", ())
    await check_resolved_host("https://hooks.example.gov.cn/govmedia", networks(["127.0.0.0/8"]))
