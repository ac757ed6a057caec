"""The token endpoint in front of an integrator's first attempts (RFC 6749), over a real socket.

Found by the outside-testing round:

* a token request sent as JSON (the first thing most integrators try) answered 422 "invalid at
  body.grant_type: Field required", never saying that OAuth 2.0 takes a form;
* a malformed ``Authorization: Basic`` header (not base64, no colon) answered 401 ``http-error``
  "Not authenticated", without RFC 6749's ``invalid_client`` or what to send;
* a form naming a field twice (``grant_type=password&grant_type=client_credentials``,
  ``username=admin&username=nobody``) was read by its last value, where RFC 6749 3.1 forbids repeating
  a parameter: a gateway or a log reading the first saw another request.
"""

from __future__ import annotations

import httpx
import pytest

from tests.hostile.harness import ADMIN_PASSWORD, PROBLEM_JSON, Served

pytestmark = pytest.mark.integration

FORM = "application/x-www-form-urlencoded"


async def _token(served: Served, **kw: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=served.registry_url) as client:
        return await client.post("/v1/auth/token", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [
        {"json": {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}},
        {
            "content": f"grant_type=password&username=admin&password={ADMIN_PASSWORD}".encode(),
            "headers": {"Content-Type": "text/plain"},
        },
    ],
    ids=["json", "text-plain"],
)
async def test_a_token_request_that_is_not_a_form_is_a_415_saying_to_send_one(
    served_registry: Served, kw: dict[str, object]
) -> None:
    r = await _token(served_registry, **kw)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "unsupported-media-type"
    assert FORM in r.json()["detail"], r.json()
    assert r.headers["accept-post"] == FORM


@pytest.mark.parametrize("header", ["Basic !!!", "Basic eA==", "Basic " + "x" * 30])
async def test_a_malformed_basic_header_is_invalid_client_saying_what_to_send(
    served_registry: Served, header: str
) -> None:
    r = await _token(
        served_registry, data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc = r.json()
    assert doc["error"] == "invalid_client", doc
    assert "client_id:client_secret" in doc["detail"], doc
    assert r.headers["www-authenticate"].startswith("Basic"), r.headers


@pytest.mark.parametrize(
    ("form", "name"),
    [
        (
            f"grant_type=password&grant_type=client_credentials&username=admin&password={ADMIN_PASSWORD}",
            "grant_type",
        ),
        (f"grant_type=password&username=nobody&username=admin&password={ADMIN_PASSWORD}", "username"),
    ],
)
async def test_a_token_request_naming_a_field_twice_is_invalid_request_and_issues_nothing(
    served_registry: Served, form: str, name: str
) -> None:
    r = await _token(served_registry, content=form.encode(), headers={"Content-Type": FORM})
    assert r.status_code == 400, r.text
    doc = r.json()
    assert doc["error"] == "invalid_request" and name in doc["detail"], doc
    assert "access_token" not in doc


async def test_a_plain_form_token_request_still_works(served_registry: Served) -> None:
    r = await _token(
        served_registry, data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
