"""Optimistic concurrency: ETag/If-Match on accounts, filings and region settings, raced for real."""

from __future__ import annotations

import asyncio

import pytest

from services.registry.tests.integration.factory import Registry, Taizhou, assert_problem, open_body

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


async def test_two_concurrent_patches_with_the_same_if_match_one_wins_the_other_gets_412(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    url = f"/v1/accounts/{filing['account_id']}"
    etag = (await hu.filer.get(url)).headers["etag"]
    first, second = await asyncio.gather(
        hu.filer.patch(url, json={"interaction_enabled": False}, headers={"If-Match": etag}),
        hu.boss.patch(url, json={"attention_tier": "high"}, headers={"If-Match": etag}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412], (first.text, second.text)
    loser = first if first.status_code == 412 else second
    assert_problem(loser, 412, "stale-version")
    account = (await hu.filer.get(url)).json()
    assert account["version"] == 2  # exactly one edit was applied
    assert (account["interaction_enabled"], account["attention_tier"]) in [
        (False, "ordinary"),
        (True, "high"),
    ]


async def test_patch_without_if_match_is_refused_with_428(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    r = await hu.filer.patch(f"/v1/accounts/{filing['account_id']}", json={"interaction_enabled": False})
    assert_problem(r, 428, "if-match-required")


async def test_two_concurrent_decisions_on_one_filing_only_one_is_recorded(tz: Taizhou) -> None:
    hu = await tz.host_unit()
    second_admin = await tz.factory.person(["unit_admin"], unit=hu.unit)
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    url = f"/v1/filings/{filing['id']}"
    etag = (await hu.boss.get(url)).headers["etag"]
    approve, ret = await asyncio.gather(
        hu.boss.post(f"{url}/decisions", json={"decision": "approve"}, headers={"If-Match": etag}),
        second_admin.post(
            f"{url}/decisions", json={"decision": "return", "reason": "补充材料"}, headers={"If-Match": etag}
        ),
    )
    assert sorted([approve.status_code, ret.status_code]) == [200, 412], (approve.text, ret.text)
    assert_problem(approve if approve.status_code == 412 else ret, 412, "stale-version")
    decided = (await hu.boss.get(url)).json()
    unit_decisions = [d for d in decided["decisions"] if d["level"] == "unit"]
    assert len(unit_decisions) == 1
    assert decided["status"] == ("pending" if approve.status_code == 200 else "returned")


async def test_two_concurrent_settings_updates_with_the_same_if_match_do_not_lose_one(
    module_registry: Registry,
) -> None:
    admin = await module_registry.admin()
    url = "/v1/regions/331022/settings"  # 三门县
    created = await admin.put(url, json={"settings": {"registry": {"filing_deadline_workdays": 7}}})
    assert created.status_code == 200, created.text
    etag = created.headers["etag"]
    results = await asyncio.gather(
        *(
            admin.put(
                url,
                json={"settings": {"registry": {"filing_deadline_workdays": days}}},
                headers={"If-Match": etag},
            )
            for days in (5, 6)  # both tighter than the default: a county may not lengthen the deadline
        )
    )
    assert sorted(r.status_code for r in results) == [200, 412], [r.text for r in results]
    assert (await admin.get(url)).json()["version"] == 2
