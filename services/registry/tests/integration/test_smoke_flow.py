"""An account opened through a filing approved at unit, county and city level."""

from __future__ import annotations

import pytest

from services.registry.tests.integration.factory import Registry

pytestmark = pytest.mark.integration


async def test_open_filing_goes_up_three_levels_and_announces(registry: Registry) -> None:
    admin = await registry.as_(await registry.login("admin", "bootstrap-admin-pw"))
    office = (
        await admin.post(
            "/v1/units",
            json={
                "name": "台州市路桥区人民政府办公室",
                "short_name": "区府办",
                "kind": "competent_office",
                "region_code": "331004",
            },
        )
    ).json()
    city_office = (
        await admin.post(
            "/v1/units",
            json={
                "name": "台州市人民政府办公室",
                "short_name": "市府办",
                "kind": "competent_office",
                "region_code": "331000",
            },
        )
    ).json()
    unit = await admin.post(
        "/v1/units",
        json={
            "name": "台州市路桥区市场监督管理局",
            "short_name": "市场监管局",
            "region_code": "331004",
            "duty_keywords": ["市场监管"],
        },
    )
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    people = {
        "filer": ("unit_admin", unit_id, "331004"),
        "boss": ("unit_admin", unit_id, "331004"),
        "county": ("office_staff", office["id"], "331004"),
        "city": ("office_staff", city_office["id"], "331000"),
    }
    tokens = {}
    for name, (role, uid, region) in people.items():
        r = await admin.post(
            "/v1/people",
            json={
                "username": name,
                "display_name": name,
                "password": "smoke-flow-passphrase-31",
                "unit_id": uid,
                "region_code": region,
                "roles": [role],
            },
        )
        assert r.status_code == 201, r.text
        tokens[name] = await registry.as_(await registry.login(name, "smoke-flow-passphrase-31"))
    r = await tokens["filer"].post(
        "/v1/filings",
        json={
            "type": "open",
            "event_date": "2025-09-26",
            "account": {"name": "路桥市场监管", "platform": "wechat", "unit_id": unit_id},
        },
    )
    assert r.status_code == 201, r.text
    filing = r.json()
    assert filing["levels"] == ["unit", "county", "city"]
    assert filing["deadline"] == "2025-10-13"
    etag = r.headers["etag"]
    for who in ("boss", "county", "city"):
        r = await tokens[who].post(
            f"/v1/filings/{filing['id']}/decisions", json={"decision": "approve"}, headers={"If-Match": etag}
        )
        assert r.status_code == 200, r.text
        etag = r.headers["etag"]
    assert r.json()["status"] == "approved"
    assert r.json()["announcement_ends_on"] is not None
    account = (await admin.get(f"/v1/accounts/{filing['account_id']}")).json()
    assert account["status"] == "announcing"


async def test_key_rotation_keeps_old_tokens_valid_until_the_old_key_is_retired(registry: Registry) -> None:
    old_token = await registry.login("admin", "bootstrap-admin-pw")
    admin = await registry.as_(old_token)
    old_kids = [k["kid"] for k in (await registry.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert len(old_kids) == 1
    rotated = await admin.post("/v1/admin/signing-keys")
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    published = [k["kid"] for k in (await registry.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert sorted(published) == sorted([*old_kids, new_kid])
    new_admin = await registry.as_(await registry.login("admin", "bootstrap-admin-pw"))
    assert (await new_admin.get("/v1/me")).status_code == 200
    assert (await admin.get("/v1/me")).status_code == 200  # the old token still verifies
    refused = await new_admin.post(f"/v1/admin/signing-keys/{new_kid}/retire")
    assert refused.status_code == 409 and refused.json()["code"] == "signing-key-in-use"
    retired = await new_admin.post(f"/v1/admin/signing-keys/{old_kids[0]}/retire")
    assert retired.status_code == 200, retired.text
    published = [k["kid"] for k in (await registry.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert published == [new_kid]
