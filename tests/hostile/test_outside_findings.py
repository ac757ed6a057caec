"""What the second outside test found in the registry, each replayed over a real socket.

* a cursor of the public announcements whose date is not a date (``["999999-01-01", "x"]``) or that has
  the wrong number of values answered 500: the list decoded it without a shape;
* ``POST /v1/units`` answered 201 without ``Location``, where ``POST /v1/filings`` gives one, and with
  the ETag (and body ``version``) 0 while ``GET`` answered 1: an ``If-Match`` with the creation's ETag
  was refused 412.

What it found outside the registry stands at the end, fixed in its owner's code; the tests stay as guards.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [
        ["999999-01-01", "x"],  # a year Python's date cannot hold
        ["2025-13-01", "x"],  # no such month
        ["x"],  # one value where the list sorts by two
        ["2025-10-01", "x", "y"],
        [None, None],
        [1, 2],
        {"ends_on": "2025-10-01"},
    ],
)
async def test_a_public_announcements_cursor_of_the_wrong_shape_is_a_422_naming_the_cursor(
    served_registry: Served, values: Any
) -> None:
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get(
            "/v1/public/announcements", params={"region": "330000", "cursor": _cursor(values)}
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert r.json()["code"] == "invalid-cursor"
        assert r.json()["errors"][0]["location"] == "query.cursor"
        # the connection and the service are fine afterwards
        assert (await client.get("/healthz")).status_code == 200


async def test_a_well_formed_public_announcements_cursor_still_pages(served_registry: Served) -> None:
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get(
            "/v1/public/announcements",
            # the shape its cursors have: the list they belong to, then (ends_on, filing id)
            params={
                "region": "330000",
                "cursor": _cursor(["/v1/public/announcements", "2025-10-01", "some-filing"]),
            },
        )
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [], "next_cursor": None}


async def test_a_new_unit_answers_201_with_its_location_and_the_etag_an_edit_then_accepts(
    served_registry: Served,
) -> None:
    admin = await served_registry.setup.admin()
    headers = {"Authorization": f"Bearer {admin}"}
    body = {"name": "台州市路桥区档案馆", "short_name": "档案馆", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url, headers=headers) as client:
        created = await client.post("/v1/units", json=body)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"/v1/units/{created.json()['id']}"
        fetched = await client.get(created.headers["location"])
        # the ETag of the creation is the version GET shows, so an edit right after it is accepted
        edited = await client.patch(
            created.headers["location"],
            json={"contact_phone": "0576-82400000"},
            headers={"If-Match": created.headers["etag"]},
        )
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["id"] == created.json()["id"]
    assert fetched.headers["etag"] == created.headers["etag"]
    assert fetched.json()["version"] == created.json()["version"]
    assert edited.status_code == 200, edited.text


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"montor": {"not_updated_violation_days": 10}}, "montor"),  # a typo of a section
        ({"monitor": 14}, "monitor"),  # a section that is no object
        ({"registry": {}, "scorng": {}}, "scorng"),
    ],
)
async def test_region_settings_with_an_unknown_section_are_refused_naming_it(
    served_registry: Served, settings: dict[str, Any], key: str
) -> None:
    """A section no service reads was stored with 200: the office admin believed the setting applied."""
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(
        base_url=served_registry.registry_url, headers={"Authorization": f"Bearer {admin}"}
    ) as client:
        r = await client.put(
            "/v1/regions/331003/settings", json={"settings": settings}, headers={"If-Match": "*"}
        )
        after = await client.get("/v1/regions/331003/settings")
    assert r.status_code == 422, r.text
    assert r.json()["key"] == key and key in r.json()["detail"], r.json()
    assert "monitor" in r.json()["detail"]  # it says which sections there are
    assert after.json()["own"] == {}  # nothing stored


# ---- found outside the tester's paths (libs/common), fixed there; each test replays the finding


async def test_an_unexpected_500_carries_the_trace_id_it_asks_the_user_to_quote(
    served_registry: Served,
) -> None:
    """The catch-all ran outside the tracing middleware: the 500 asked to quote a trace_id it lacked."""
    app = served_registry.registry_app

    async def crash() -> None:
        raise RuntimeError("a bug nobody foresaw")

    if not any(getattr(r, "path", "") == "/v1/_tester_crash" for r in app.router.routes):
        app.add_api_route("/v1/_tester_crash", crash, methods=["GET"], include_in_schema=False)
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get("/v1/_tester_crash")
        continued = await client.get("/v1/_tester_crash", headers={"traceparent": caller})
        assert (await client.get("/healthz")).status_code == 200  # the connection and the service live on
    assert r.status_code == 500 and r.headers["content-type"].startswith(PROBLEM_JSON)
    trace_id = r.json().get("trace_id")
    assert trace_id and "quote the trace_id" in r.json()["detail"], r.json()
    # the same trace in the response header, so a proxy's log and the user's screenshot meet
    assert r.headers["traceparent"].split("-")[1] == trace_id
    # a caller's trace is continued, not replaced
    assert continued.status_code == 500
    assert continued.json()["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert continued.headers["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain; charset=utf-8", None])
async def test_a_json_body_with_the_wrong_content_type_is_a_415_saying_which_content_type_to_send(
    served_registry: Served, content_type: str | None
) -> None:
    """pydantic's 'Input should be a valid dictionary' at 'body' never said to send application/json."""
    admin = await served_registry.setup.admin()
    headers = {"Authorization": f"Bearer {admin}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = {"name": "台州市路桥区气象局", "short_name": "气象局", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post("/v1/units", content=orjson.dumps(body), headers=headers)
        listed = await client.get("/v1/units", headers=headers)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "unsupported-media-type"
    assert "Content-Type: application/json" in r.json()["detail"], r.json()
    assert r.headers["accept-post"] == "application/json"
    assert listed.status_code == 200 and "气象局" not in listed.text  # nothing was created


async def test_a_json_body_that_is_not_the_expected_object_is_still_a_422_naming_the_field(
    served_registry: Served,
) -> None:
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units", json={"short_name": "气象局"}, headers={"Authorization": f"Bearer {admin}"}
        )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation-error"


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
async def test_a_405_allows_every_method_the_path_serves(served_registry: Served, method: str) -> None:
    """DELETE /v1/units answered Allow: POST although GET is served too (RFC 9110 15.5.6)."""
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.request(method, "/v1/units")
        item = await client.request(method, "/v1/units/some-unit/nothing-here")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed == {"GET", "HEAD", "POST"}, r.headers["allow"]  # HEAD wherever GET is
    assert "GET" in r.json()["detail"] and "POST" in r.json()["detail"]
    assert item.status_code == 404  # a path nobody serves is still not found
