"""The token endpoint speaks OAuth 2.0 (RFC 6749): HTTP Basic client authentication and ``error`` members."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from services.registry.tests.integration.factory import Factory, Registry, assert_problem

pytestmark = pytest.mark.integration


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def test_client_credentials_with_http_basic_and_rfc6749_errors(module_registry: Registry) -> None:
    f = Factory(module_registry)
    created = await (await f.admin()).post(
        "/v1/clients", json={"name": "政务服务网对接", "region_code": "331000", "scopes": ["registry:read"]}
    )
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]
    http = module_registry.client

    r = await http.post(
        "/v1/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["token_type"], r.json()["scope"]) == ("Bearer", "registry:read")

    wrong = await http.post(
        "/v1/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(client_id, "guessed")
    )
    body = assert_problem(wrong, 401)
    assert body["error"] == "invalid_client" and body["error_description"]

    both = await http.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_secret": secret},
        headers=_basic(client_id, secret),
    )
    assert assert_problem(both, 400, "invalid-request")["error"] == "invalid_request"

    scope = await http.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "audit:read"},
        headers=_basic(client_id, secret),
    )
    assert assert_problem(scope, 400, "invalid-scope")["error"] == "invalid_scope"


async def test_password_grant_errors_name_the_rfc6749_error(module_registry: Registry) -> None:
    http = module_registry.client
    wrong = await http.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "admin", "password": "not-the-password"}
    )
    assert assert_problem(wrong, 401, "unauthorized")["error"] == "invalid_grant"
    missing = await http.post("/v1/auth/token", data={"grant_type": "password", "username": "admin"})
    assert assert_problem(missing, 400, "invalid-request")["error"] == "invalid_request"
    implicit = await http.post("/v1/auth/token", data={"grant_type": "implicit"})
    assert assert_problem(implicit, 400, "unsupported-grant-type")["error"] == "unsupported_grant_type"
