"""Units are editable (If-Match, audited) and announced; every person is announced, office staff included.

Events are read from the outbox, where the state change's own transaction wrote them (the broker tests
show that the relay publishes what the outbox holds).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.registry.tests.integration.factory import (
    Factory,
    Registry,
    assert_problem,
    office_name,
    with_etag,
)

pytestmark = pytest.mark.integration


async def _events(registry: Registry, event_type: str, aggregate_id: str) -> list[dict[str, Any]]:
    rows = await registry.sql(
        "SELECT payload FROM outbox WHERE type = $1 AND aggregateid = $2 ORDER BY id",
        event_type,
        aggregate_id,
    )
    return [json.loads(r["payload"]) if isinstance(r["payload"], str) else dict(r["payload"]) for r in rows]


async def test_a_unit_is_announced_then_edited_with_if_match_audited_and_announced_again(
    module_registry: Registry,
) -> None:
    f = Factory(module_registry)
    admin = await f.admin()
    r = await admin.post(
        "/v1/units",
        json={
            "name": "台州市路桥区人民政府办公室",
            "short_name": "区府办",
            "kind": "competent_office",
            "region_code": "331004",
            "duty_keywords": ["信息发布", "政务公开"],
            "principal_name": "李明",
        },
    )
    assert r.status_code == 201, r.text
    unit = r.json()
    (registered,) = await _events(module_registry, "gov.registry.unit.registered.v1", unit["id"])
    assert (registered["kind"], registered["principal_name"], registered["deputy_head_name"]) == (
        "office",
        "李明",
        None,
    )
    assert registered["duty_keywords"] == ["信息发布", "政务公开"]

    patch = {"deputy_head_name": "陈静", "contact_email": "xmt@luqiao.gov.cn"}
    assert_problem(await admin.patch(f"/v1/units/{unit['id']}", json=patch), 428, "if-match-required")
    r = await with_etag(admin, "PATCH", f"/v1/units/{unit['id']}", f"/v1/units/{unit['id']}", json=patch)
    assert r.status_code == 200, r.text
    assert (r.json()["deputy_head_name"], r.json()["version"]) == ("陈静", 2)
    (changed,) = await _events(module_registry, "gov.registry.unit.changed.v1", unit["id"])
    assert changed["changed_fields"] == ["deputy_head_name", "contact_email"]
    assert (changed["principal_name"], changed["contact_email"]) == ("李明", "xmt@luqiao.gov.cn")
    audit = await admin.get("/v1/audit", params={"limit": 50})
    assert any(e["action"] == "unit.patch" and e["target"] == unit["id"] for e in audit.json()["items"])
    # An edit that changes nothing is refused and announces nothing.
    r = await with_etag(admin, "PATCH", f"/v1/units/{unit['id']}", f"/v1/units/{unit['id']}", json=patch)
    assert_problem(r, 422, "no-changes")
    assert len(await _events(module_registry, "gov.registry.unit.changed.v1", unit["id"])) == 1


async def test_office_staff_without_a_unit_and_the_first_administrator_are_announced_with_their_office(
    module_registry: Registry,
) -> None:
    f = Factory(module_registry)
    admin = await f.admin()
    # Office staff of Huangyan registered before the Huangyan office exists: announced once it is registered.
    clerk = await f.person(["office_staff"], region_code="331003")
    assert await _events(module_registry, "gov.registry.person.registered.v1", clerk.id) == []
    office = await f.unit("331003", office_name("331003"), "区府办", ("政务公开",), kind="competent_office")
    (clerk_event,) = await _events(module_registry, "gov.registry.person.registered.v1", clerk.id)
    assert (clerk_event["unit_id"], clerk_event["region_code"]) == (office["id"], "331003")
    # Registered after the office: announced at once, with the office.
    later = await f.person(["office_staff"], region_code="331003")
    (later_event,) = await _events(module_registry, "gov.registry.person.registered.v1", later.id)
    assert later_event["unit_id"] == office["id"]
    # The first administrator (Zhejiang, no unit) is announced once the province's office is registered.
    province = await f.unit("330000", office_name("330000"), "省府办", ("政务公开",), kind="competent_office")
    (admin_event,) = await _events(module_registry, "gov.registry.person.registered.v1", admin.id)
    assert (admin_event["unit_id"], admin_event["roles"]) == (province["id"], ["office_admin", "auditor"])


async def test_the_liaison_of_a_unit_is_one_of_its_registered_people(module_registry: Registry) -> None:
    f = Factory(module_registry)
    admin = await f.admin()
    unit = await f.unit("331004", "台州市路桥区教育局", "教育局", ("教育",))
    liaison = await f.person(["liaison"], unit=unit)
    stranger = await f.person(
        ["editor"], unit=await f.unit("331004", "台州市路桥区民政局", "民政局", ("民政",))
    )
    url = f"/v1/units/{unit['id']}"
    refused = await with_etag(admin, "PATCH", url, url, json={"liaison_person_id": stranger.id})
    assert_problem(refused, 422, "unknown-liaison")
    r = await with_etag(admin, "PATCH", url, url, json={"liaison_person_id": liaison.id})
    assert r.status_code == 200, r.text
    (changed,) = await _events(module_registry, "gov.registry.unit.changed.v1", unit["id"])
    assert (changed["liaison_person_id"], changed["changed_fields"]) == (liaison.id, ["liaison_person_id"])
