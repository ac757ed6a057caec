"""Rules that used to be raced or loosened: one live account per unit and platform, held by the database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


async def test_twenty_concurrent_duplicate_openings_exactly_one_is_accepted(served: Served) -> None:
    s = served.setup
    unit_id = await s.unit("331004", "台州市路桥区市场监督管理局", "市场监管局")
    _, _, filer = await s.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    body = {
        "type": "open",
        "event_date": "2025-09-26",
        "account": {"name": "路桥市场监管", "platform": "douyin", "unit_id": unit_id},
    }
    async with httpx.AsyncClient(
        base_url=served.registry_url,
        headers={"Authorization": f"Bearer {filer}"},
        limits=httpx.Limits(max_connections=20),
        timeout=60,
    ) as http:
        answers = await asyncio.gather(*(http.post("/v1/filings", json=body) for _ in range(20)))

    accepted = [a for a in answers if a.status_code == 201]
    assert len(accepted) == 1, [a.status_code for a in answers]
    for refused in (a for a in answers if a.status_code != 201):
        assert refused.headers["content-type"].startswith(PROBLEM_JSON), refused.text
        problem: dict[str, Any] = refused.json()
        if refused.status_code == 409:  # lost the race at the database
            assert problem["code"] == "one-account-per-unit-per-platform", problem
            assert problem["rule"] == "uq_accounts_live_unit_platform"
        else:  # came after the winner committed: the naming check names rule R4
            assert refused.status_code == 422, refused.text
            assert any(v["rule"] == "R4" for v in problem["violations"]), problem
    async with httpx.AsyncClient(base_url=served.registry_url) as http:
        listed = await http.get(
            "/v1/accounts", params={"unit_id": unit_id}, headers={"Authorization": f"Bearer {filer}"}
        )
    assert [a["platform"] for a in listed.json()["items"]] == ["douyin"]
