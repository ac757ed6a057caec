"""Bad input gets a problem+json 4xx naming what is wrong, never a 5xx, and stores nothing."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


def forged(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_refusals_are_problems_not_server_errors(monitor: MonitorKit) -> None:
    account = await monitor.account()
    admin = monitor.admin
    cases = [
        (admin.get("/v1/alerts", params={"cursor": forged(b'["x"]')}), 422),
        (admin.get("/v1/alerts", params={"cursor": forged(b"[99999999999999999999999]")}), 422),
        (admin.get(f"/v1/accounts/{account}/observed-posts", params={"cursor": "%%%"}), 422),
        (admin.get("/v1/alerts", params={"state": "gone"}), 422),
        (admin.post("/v1/sweeps", json={"as_of": "2099-06-01"}), 422),  # no working-day schedule for 2099
        (admin.post("/v1/sweeps", json={"as_of": "1900-01-01"}), 422),
        (monitor.office.post("/v1/sweeps", json={}), 403),  # office staff, not admin
        (admin.get("/v1/settings/33100x"), 422),
        (admin.get("/v1/hot-words", params={"region_code": "331004", "day": "0001-01-01"}), 422),
        (
            monitor.connector.post(
                "/v1/observed-posts",
                json={
                    "account_id": account,
                    "platform_post_id": "x",
                    "text": "a\u0000b",
                    "published_at": "2025-09-01T10:00:00+08:00",
                },
            ),
            422,
        ),
        (
            monitor.connector.post(
                "/v1/messages",
                json={"account_id": "not-a-uuid", "message_id": "m", "received_at": "2025-09-01T10:00:00"},
            ),
            422,
        ),
        (
            monitor.connector.post(
                "/v1/replies",
                json={
                    "account_id": account,
                    "message_id": "never-received",
                    "answered_at": "2025-09-01T10:00:00+08:00",
                },
            ),
            422,
        ),
        (
            monitor.office.post(
                "/v1/metrics", json={"account_id": account, "taken_at": "2025-09-01T10:00:00+08:00"}
            ),
            403,
        ),
    ]
    for request, status in cases:
        r = await request
        assert r.status_code == status, (r.request.url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
    assert await monitor.alerts(account) == []
