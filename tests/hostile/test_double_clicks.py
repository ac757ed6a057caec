"""The same write twice at once (a double-click, a client retrying on a timeout): exactly one effect.

Each request goes over its own connection, all at once, to the registry on a real socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


async def test_one_idempotency_key_sent_at_once_with_two_bodies_creates_one_unit(
    served_registry: Served,
) -> None:
    admin = await served_registry.setup.admin()
    bodies = [
        {"name": f"台州市路桥区双击{tag}局", "short_name": f"双击{tag}局", "region_code": "331004"}
        for tag in "甲乙"
    ]
    headers = {"Authorization": f"Bearer {admin}", "Idempotency-Key": "double-click-unit-1"}
    async with httpx.AsyncClient(
        base_url=served_registry.registry_url, limits=httpx.Limits(max_connections=10), timeout=60
    ) as client:
        answers = await asyncio.gather(
            *(client.post("/v1/units", json=bodies[i % 2], headers=headers) for i in range(10))
        )
        listed = await client.get(
            "/v1/units", params={"limit": 200}, headers={"Authorization": headers["Authorization"]}
        )
    created = [a for a in answers if a.status_code == 201]
    assert created, [(a.status_code, a.text[:100]) for a in answers]
    assert len({a.json()["id"] for a in created}) == 1, [a.json()["id"] for a in created]
    winner: dict[str, Any] = created[0].json()
    assert sum(1 for a in created if a.headers.get("idempotent-replayed") != "true") == 1
    for refused in (a for a in answers if a.status_code != 201):
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        assert refused.json()["code"] == "idempotency-key-reused"
    names = [u["name"] for u in listed.json()["items"] if u["name"].startswith("台州市路桥区双击")]
    assert names == [winner["name"]]


async def test_approving_one_filing_twice_at_once_decides_once_and_says_why_the_other_was_refused(
    served_registry: Served,
) -> None:
    s = served_registry.setup
    unit_id = await s.unit("331004", "台州市路桥区双击审批局", "双击审批局")
    _, _, filer = await s.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    _, _, approver = await s.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    body = {
        "type": "open",
        "event_date": "2025-09-26",
        "account": {"name": "路桥双击审批", "platform": "weibo", "unit_id": unit_id},
    }
    filed = await s.call("POST", "/v1/filings", filer, json=body)
    assert filed.status_code == 201, filed.text
    filing = f"/v1/filings/{filed.json()['id']}"
    headers = {"Authorization": f"Bearer {approver}", "If-Match": filed.headers["etag"]}
    async with httpx.AsyncClient(
        base_url=served_registry.registry_url, limits=httpx.Limits(max_connections=6), timeout=60
    ) as client:
        answers = await asyncio.gather(
            *(
                client.post(f"{filing}/decisions", json={"decision": "approve"}, headers=headers)
                for _ in range(6)
            )
        )
        after = await client.get(filing, headers={"Authorization": headers["Authorization"]})
    assert [a.status_code for a in answers].count(200) == 1, [(a.status_code, a.text[:120]) for a in answers]
    for refused in (a for a in answers if a.status_code != 200):
        assert refused.status_code in (409, 412), refused.text
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    approvals = [d for d in after.json()["decisions"] if d["decision"] == "approve"]
    assert len(approvals) == 1, after.json()["decisions"]
