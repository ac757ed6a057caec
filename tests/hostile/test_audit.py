"""Every refusal is on record with the real client address; forged forwarding headers are not believed."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.hostile.harness import PROBLEM_JSON, RawConnection, Served

pytestmark = pytest.mark.integration

PROXY = "127.0.0.2"  # the served registry trusts this address as its reverse proxy (conftest)
REAL_CLIENT = "198.51.100.23"


async def _audit_rows(served: Served, action: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(served.registry_db.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT actor_id, outcome, status_code, client_address, detail::text AS detail FROM audit_log "
            "WHERE action = $1 ORDER BY id",
            action,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


async def test_a_404_on_a_sibling_countys_account_is_audited_with_the_real_client_address(
    served_registry: Served,
) -> None:
    served = served_registry
    s = served.setup
    # an account in 椒江区 (331002), filed by its unit
    jiaojiang = await s.unit("331002", "台州市椒江区市场监督管理局", "市场监管局")
    _, _, filer = await s.person(["unit_admin"], region_code="331002", unit_id=jiaojiang)
    r = await s.call(
        "POST",
        "/v1/filings",
        filer,
        json={
            "type": "open",
            "event_date": "2025-09-26",
            "account": {"name": "椒江市场监管", "platform": "weibo", "unit_id": jiaojiang},
        },
    )
    assert r.status_code == 201, r.text
    account_id = r.json()["account_id"]
    # staff of the sibling county 路桥区 (331004) asks for it
    office = await s.unit("331004", "台州市路桥区人民政府办公室", "政府办", kind="competent_office")
    staff_id, _, staff = await s.person(["office_staff"], region_code="331004", unit_id=office)
    target = f"/v1/accounts/{account_id}".encode()
    auth = (b"authorization", f"Bearer {staff}".encode())

    via_proxy = await RawConnection.open(served.registry_url, source=PROXY)
    try:
        answer = await via_proxy.request(
            "GET", target, headers=[auth, (b"x-forwarded-for", f"10.1.1.1, {REAL_CLIENT}".encode())]
        )
    finally:
        await via_proxy.close()
    assert answer.status == 404 and answer.content_type.startswith(PROBLEM_JSON)

    direct = await RawConnection.open(served.registry_url)  # from 127.0.0.1, not a trusted proxy
    try:
        forged = await direct.request("GET", target, headers=[auth, (b"x-forwarded-for", b"203.0.113.99")])
    finally:
        await direct.close()
    assert forged.status == 404

    rows = await _audit_rows(served, f"GET /v1/accounts/{account_id}")
    assert [(r["actor_id"], r["outcome"], r["status_code"]) for r in rows] == [
        (staff_id, "refused", 404),
        (staff_id, "refused", 404),
    ]
    # the proxy's last untrusted hop is the client; a header from anyone else is ignored
    assert [r["client_address"] for r in rows] == [REAL_CLIENT, "127.0.0.1"]
    assert account_id not in (rows[0]["detail"] or "") or "outside your region" in rows[0]["detail"]
