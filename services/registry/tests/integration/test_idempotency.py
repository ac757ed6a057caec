"""Idempotency-Key on the creating POSTs: a replay gets the same answer, a reuse with another payload 422,
concurrent duplicates have one effect."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from services.registry.tests.integration.factory import Factory, Registry, Taizhou, assert_problem, open_body

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


def _unit(name: str) -> dict[str, object]:
    return {"name": name, "short_name": "应急管理局", "region_code": "331004", "duty_keywords": ["应急管理"]}


async def test_replayed_filing_returns_the_first_answer_and_files_once(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = open_body(hu.id, "路桥市场监管")
    first = await hu.filer.post("/v1/filings", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    replay = await hu.filer.post("/v1/filings", json=body, headers=key)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert (replay.headers["location"], replay.headers["etag"]) == (
        first.headers["location"],
        first.headers["etag"],
    )
    listed = (await hu.filer.get("/v1/filings", params={"account_id": first.json()["account_id"]})).json()
    assert len(listed["items"]) == 1
    accounts = (await hu.filer.get("/v1/accounts", params={"unit_id": hu.id})).json()
    assert len(accounts["items"]) == 1


async def test_same_key_with_another_filing_is_refused(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert (
        await hu.filer.post("/v1/filings", json=open_body(hu.id, "路桥市场监管"), headers=key)
    ).status_code == 201
    other = open_body(hu.id, "路桥市场监管", platform="weibo")
    assert_problem(await hu.filer.post("/v1/filings", json=other, headers=key), 422, "idempotency-key-reused")


async def test_concurrent_duplicate_filings_with_one_key_file_once(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = open_body(hu.id, "路桥市场监管")
    answers = await asyncio.gather(*(hu.filer.post("/v1/filings", json=body, headers=key) for _ in range(4)))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    accounts = (await hu.filer.get("/v1/accounts", params={"unit_id": hu.id})).json()
    assert len(accounts["items"]) == 1


async def test_replayed_unit_creation_returns_the_first_answer_and_reuse_is_refused(
    module_registry: Registry,
) -> None:
    admin = await module_registry.admin()
    key = {"Idempotency-Key": f"unit-{uuid.uuid4()}"}
    first = await admin.post("/v1/units", json=_unit("台州市路桥区应急管理局"), headers=key)
    assert first.status_code == 201, first.text
    replay = await admin.post("/v1/units", json=_unit("台州市路桥区应急管理局"), headers=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json() == first.json()
    assert_problem(
        await admin.post("/v1/units", json=_unit("台州市路桥区民政局"), headers=key),
        422,
        "idempotency-key-reused",
    )
    # the key is the caller's own: the same key from someone else is a new request
    city_admin = await Factory(module_registry).person(["office_admin"], region_code="331000")
    other = await city_admin.post(
        "/v1/units", json={**_unit("台州市路桥区退役军人事务局"), "short_name": "退役军人事务局"}, headers=key
    )
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers


async def test_concurrent_duplicate_unit_creations_with_one_key_create_one_unit(
    module_registry: Registry,
) -> None:
    admin = await module_registry.admin()
    key = {"Idempotency-Key": f"unit-{uuid.uuid4()}"}
    body = _unit("台州市路桥区自然资源和规划局")
    answers = await asyncio.gather(*(admin.post("/v1/units", json=body, headers=key) for _ in range(5)))
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    units = (await admin.get("/v1/units", params={"limit": 500})).json()["items"]
    assert [u["name"] for u in units].count("台州市路桥区自然资源和规划局") == 1
