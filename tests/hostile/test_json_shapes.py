"""JSON shapes a request body's schema does not allow, sent to every field of every body of the five services.

The class of tests/hostile/test_json_types.py, for the other JSON shapes an integrator or a fuzzer sends:
``null`` for a field the schema does not let be null, a string where an array is expected (``"roles":
"editor"``), an array or an object where a string is expected, and a property the schema does not name
(a typo, ``"reeds"``) in any object of a body. Each is a 422 naming where, read from each service's own
OpenAPI so a field added later is probed too; these held.

What the outside round found, in the one body whose content the OpenAPI leaves open (the registry's own
section of a region's settings, ``PUT /v1/regions/{code}/settings``): a string where a list of levels,
roles or filing types belongs was read character by character (``"county"`` refused as "'c' is not a valid
ApprovalLevel"), and an object where a list belongs (its keys taken) or a list of pairs where an object
belongs was accepted and stored, then announced to every service in ``RegionSettingsChanged``. Each is now
a 422 naming ``registry.<key>`` and what was sent; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hostile.harness import Served
from tests.hostile.supervision import Supervision
from tests.hostile.test_json_types import ALL_ROLES, SCOPES, Consts, Steps, _resolve, _url, body_with

pytestmark = pytest.mark.integration

UNKNOWN = "zz_not_a_field"


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, components)
    found: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found |= _types(sub, components)
    if "type" in schema:
        kind = schema["type"]
        found |= set(kind) if isinstance(kind, list) else {kind}
    if "const" in schema or "enum" in schema:
        found.add("const")
    return found


def shapes(
    schema: dict[str, Any],
    components: dict[str, Any],
    at: Steps = (),
    consts: Consts = (),
    *,
    member: bool = False,
) -> Iterator[tuple[Steps, Any, Consts]]:
    """(path, a value the schema does not allow there, constants picking the union member) for every
    field and object of a body schema (``member``: a union's member, whose field was probed already)."""
    schema = _resolve(schema, components)
    types = _types(schema, components)
    if at and not member:
        if "null" not in types:
            yield at, None, consts
        if "array" in types and "string" not in types:
            yield at, "x", consts
        if types and types <= {"string", "null", "const"}:
            yield at, ["x"], consts
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            if _resolve(sub, components).get("type") != "null":
                yield from shapes(sub, components, at, consts, member=True)
    properties = schema.get("properties")
    here = consts + tuple(
        ((*at, name), _resolve(sub, components)["const"])
        for name, sub in (properties or {}).items()
        if "const" in _resolve(sub, components)
    )
    if properties is not None and schema.get("additionalProperties") is False:
        yield (*at, UNKNOWN), 1, here
    for name, sub in (properties or {}).items():
        if "const" not in _resolve(sub, components):
            yield from shapes(sub, components, (*at, name), here)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        yield from shapes(schema["items"], components, (*at, 0), here)


def _probes(openapi: dict[str, Any]) -> Iterator[tuple[str, str, Steps, Any, Consts]]:
    components = openapi.get("components", {}).get("schemas", {})
    for url, operations in openapi["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            seen: set[str] = set()
            for path, value, consts in shapes(content["application/json"]["schema"], components):
                key = repr((path, value))
                if key not in seen:
                    seen.add(key)
                    yield method.upper(), url, path, value, consts


async def _unrefused(
    client: httpx.AsyncClient, service: str, others: tuple[str, ...] = ()
) -> tuple[list[str], int]:
    openapi = (await client.get("/openapi.json")).json()
    lax: list[str] = []
    sent = 0
    for method, path, field, value, consts in _probes(openapi):
        where = ".".join(map(str, ("body", *field)))
        sent += 1
        body = body_with(field, value, consts)
        r = await client.request(method, _url(path), json=body, headers={"If-Match": "*"})
        for other in others if r.status_code == 403 else ():
            headers = {"If-Match": "*", "Authorization": f"Bearer {other}"}
            r = await client.request(method, _url(path), json=body, headers=headers)
            if r.status_code != 403:
                break
        errors = r.json().get("errors", []) if r.status_code == 422 else []
        if not any(e.get("location") == where for e in errors):
            lax.append(f"{service} {method} {path} {where}={value!r}: {r.status_code} {r.text[:200]}")
    return lax, sent


async def test_every_field_of_the_supervision_services_refuses_a_shape_its_schema_does_not_allow(
    supervision: Supervision,
) -> None:
    lax: list[str] = []
    total = 0
    for service, url in (
        ("monitor", supervision.monitor_url),
        ("notify", supervision.notify_url),
        ("scoring", supervision.scoring_url),
    ):
        token = supervision.token(roles=ALL_ROLES, scopes=SCOPES[service], region="330000")
        found, sent = await _unrefused(supervision.client(url, token), service)
        lax += found
        total += sent
    assert total > 50, total
    assert not lax, f"{len(lax)} of {total} shapes not refused naming where:\n" + "\n".join(lax)


async def test_every_field_of_the_registry_and_the_review_refuses_a_shape_its_schema_does_not_allow(
    served: Served,
) -> None:
    token = await served.setup.admin()
    unit_id = await served.setup.unit("330000", "浙江省大数据发展管理局", "省数据局")
    _, _, unit_admin = await served.setup.person(["unit_admin"], region_code="330000", unit_id=unit_id)
    _, _, approver = await served.setup.person(["approver"], region_code="330000", unit_id=unit_id)
    lax: list[str] = []
    total = 0
    for service, url in (("registry", served.registry_url), ("review", served.review_url)):
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            found, sent = await _unrefused(client, service, (unit_admin, approver))
        lax += found
        total += sent
    assert total > 50, total
    assert not lax, f"{len(lax)} of {total} shapes not refused naming where:\n" + "\n".join(lax)


NOT_AN_OBJECT = ["[]", "null", '"x"', "1", "true", "[{}]"]


async def _bodies_not_objects(
    client: httpx.AsyncClient, service: str, others: tuple[str, ...] = ()
) -> tuple[list[str], int]:
    """Every JSON body operation sent a body that is not an object: each must be a 422 naming ``body``."""
    openapi = (await client.get("/openapi.json")).json()
    lax: list[str] = []
    sent = 0
    for url, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if "application/json" not in (operation.get("requestBody") or {}).get("content", {}):
                continue
            for raw in NOT_AN_OBJECT:
                sent += 1
                headers = {"If-Match": "*", "Content-Type": "application/json"}
                r = await client.request(method.upper(), _url(url), content=raw, headers=headers)
                for other in others if r.status_code == 403 else ():
                    headers["Authorization"] = f"Bearer {other}"
                    r = await client.request(method.upper(), _url(url), content=raw, headers=headers)
                    if r.status_code != 403:
                        break
                errors = r.json().get("errors", []) if r.status_code == 422 else []
                if not any(e.get("location") == "body" for e in errors):
                    lax.append(f"{service} {method.upper()} {url} {raw}: {r.status_code} {r.text[:200]}")
    return lax, sent


async def test_a_body_that_is_not_an_object_is_refused_naming_the_body_in_the_supervision_services(
    supervision: Supervision,
) -> None:
    lax: list[str] = []
    for service, url in (
        ("monitor", supervision.monitor_url),
        ("notify", supervision.notify_url),
        ("scoring", supervision.scoring_url),
    ):
        token = supervision.token(roles=ALL_ROLES, scopes=SCOPES[service], region="330000")
        lax += (await _bodies_not_objects(supervision.client(url, token), service))[0]
    assert not lax, f"{len(lax)} bodies not refused naming the body:\n" + "\n".join(lax)


async def test_a_body_that_is_not_an_object_is_refused_naming_the_body_in_the_registry_and_the_review(
    served: Served,
) -> None:
    token = await served.setup.admin()
    unit_id = await served.setup.unit("330000", "浙江省经济和信息化厅", "省经信厅")
    _, _, unit_admin = await served.setup.person(["unit_admin"], region_code="330000", unit_id=unit_id)
    _, _, approver = await served.setup.person(["approver"], region_code="330000", unit_id=unit_id)
    lax: list[str] = []
    for service, url in (("registry", served.registry_url), ("review", served.review_url)):
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            lax += (await _bodies_not_objects(client, service, (unit_admin, approver)))[0]
    assert not lax, f"{len(lax)} bodies not refused naming the body:\n" + "\n".join(lax)


# ------------------------------------------------------------- the registry's own section of the settings

REGISTRY_SECTION_SHAPES = {
    "a level as a string": ({"approval_levels": {"open": "county"}}, "approval_levels.open"),
    "a type as a string": ({"announced_filing_types": "open"}, "announced_filing_types"),
    "a role as a string": ({"approver_roles": {"unit": "unit_admin"}}, "approver_roles.unit"),
    "types as an object": (
        {"announced_filing_types": dict.fromkeys(("open", "change", "merge", "deregister"), 1)},
        "announced_filing_types",
    ),
    "chains as an array of pairs": (
        {"approval_levels": [["open", ["unit", "county"]]]},
        "approval_levels",
    ),
    "a chain as an object": ({"approval_levels": {"open": {"unit": 1, "county": 2}}}, "approval_levels.open"),
    "roles as an array": ({"approver_roles": [["unit", ["unit_admin"]]]}, "approver_roles"),
    "a word list as a string": ({"naming_release_words": "发布"}, "naming_release_words"),
}


@pytest.mark.parametrize("case", sorted(REGISTRY_SECTION_SHAPES))
async def test_a_registry_setting_of_another_json_shape_is_refused_naming_it(
    served: Served, case: str
) -> None:
    """A string where a list of levels belongs was read character by character ("'c' is not a valid
    ApprovalLevel" for "county"); an object where a list belongs, or a list of pairs where an object
    belongs, was taken (its keys, or its pairs) and stored."""
    section, key = REGISTRY_SECTION_SHAPES[case]
    token = await served.setup.admin()
    before = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    assert before.status_code == 200, before.text
    headers = {"If-Match": before.headers["ETag"]}
    r = await served.setup.call(
        "PUT", "/v1/regions/330000/settings", token, json={"settings": {"registry": section}}, headers=headers
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert f"registry.{key}" in detail and "must be" in detail, detail
    after = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    assert after.json()["own"] == before.json()["own"], after.json()


async def test_a_settings_section_no_service_reads_is_refused(served: Served) -> None:
    """The registry took a ``review`` section (200, stored, announced) that no service reads: the review
    consumes no settings, so a region's ``{"review": {...}}`` never applied anywhere, silently."""
    token = await served.setup.admin()
    before = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    r = await served.setup.call(
        "PUT",
        "/v1/regions/330000/settings",
        token,
        json={"settings": {"review": {"review_levels": 3}}},
        headers={"If-Match": before.headers["ETag"]},
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "unknown-settings-section" and "review" in r.json()["detail"], r.json()
    after = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    assert after.json()["own"] == before.json()["own"]


BULKS = {
    "/v1/observed-posts/bulk": "/v1/observed-posts",
    "/v1/metrics/bulk": "/v1/metrics",
    "/v1/messages/bulk": "/v1/messages",
    "/v1/replies/bulk": "/v1/replies",
}


async def test_a_bulk_items_schema_is_the_schema_of_its_single_item(supervision: Supervision) -> None:
    """The monitor's OpenAPI said a bulk item is any object ("additionalProperties": true) while the service
    validates each as the single endpoint's item (no property it does not name, its fields and types): an
    integrator, or a generator of requests, had only the single endpoint to guess from."""
    openapi = (await supervision.client(supervision.monitor_url).get("/openapi.json")).json()
    components = openapi["components"]["schemas"]

    def body_of(path: str) -> dict[str, Any]:
        ref = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return _resolve(ref, components)

    for bulk, single in BULKS.items():
        items = body_of(bulk)["properties"]["items"]
        assert (items["minItems"], items["maxItems"]) == (1, 5000), (bulk, items)
        single_ref = openapi["paths"][single]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert items["items"] == single_ref, (bulk, items["items"], single_ref)
