"""A flood of refused requests from one source is not a flood of audit writes, and none goes unaccounted:
the first refusals of a minute are written one by one, the rest are counted and told by the next entry."""

from __future__ import annotations

import re
import uuid

import asyncpg
import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, RawConnection, Served

pytestmark = pytest.mark.integration

PROXY = "127.0.0.2"  # trusted as the registry's reverse proxy (conftest)
PER_MINUTE = 60  # the default of GOVMEDIA_AUDIT_REFUSALS_PER_MINUTE
FLOOD = 200


async def _refusals_of(served: Served, client: str) -> list[dict[str, object]]:
    conn = await asyncpg.connect(served.registry_db.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT status_code, detail->>'unwritten_before' AS unwritten FROM audit_log "
            "WHERE outcome = 'refused' AND client_address = $1 ORDER BY id",
            client,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


def _unwritten(metrics: str) -> float:
    found = re.search(r'^govmedia_audit_refusals_unwritten_total\{service="registry"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def test_an_anonymous_flood_writes_a_minutes_budget_and_the_next_entry_counts_the_rest(
    served_registry: Served,
) -> None:
    served = served_registry
    client = f"198.51.100.{uuid.uuid4().int % 200 + 1}"
    async with httpx.AsyncClient(base_url=served.registry_url) as plain:
        before = _unwritten((await plain.get("/metrics")).text)
    conn = await RawConnection.open(served.registry_url, source=PROXY)
    forwarded = (b"x-forwarded-for", client.encode())
    try:
        for i in range(FLOOD):
            answer = await conn.request("GET", f"/v1/accounts/{uuid.uuid4()}?n={i}", headers=[forwarded])
            assert answer.status == 401 and answer.content_type.startswith(PROBLEM_JSON)
        rows = await _refusals_of(served, client)
        assert len(rows) == PER_MINUTE and all(r["status_code"] == 401 for r in rows)

        served.clock.advance(seconds=61)
        answer = await conn.request("GET", f"/v1/accounts/{uuid.uuid4()}", headers=[forwarded])
        assert answer.status == 401
    finally:
        await conn.close()
    rows = await _refusals_of(served, client)
    assert len(rows) == PER_MINUTE + 1
    assert rows[-1]["unwritten"] == str(FLOOD - PER_MINUTE)
    async with httpx.AsyncClient(base_url=served.registry_url) as plain:
        after = _unwritten((await plain.get("/metrics")).text)
    assert after - before == FLOOD - PER_MINUTE


async def test_another_clients_refusals_are_still_written_while_one_client_floods(
    served_registry: Served,
) -> None:
    served = served_registry
    n = uuid.uuid4().int % 100 + 1
    flooder, other = f"203.0.113.{n}", f"203.0.113.{n + 100}"
    conn = await RawConnection.open(served.registry_url, source=PROXY)
    try:
        for _ in range(PER_MINUTE + 20):
            await conn.request("GET", "/v1/accounts", headers=[(b"x-forwarded-for", flooder.encode())])
        answer = await conn.request("GET", "/v1/accounts", headers=[(b"x-forwarded-for", other.encode())])
        assert answer.status == 401
    finally:
        await conn.close()
    assert len(await _refusals_of(served, flooder)) == PER_MINUTE
    assert len(await _refusals_of(served, other)) == 1
