"""DomainError → problem+json through the app factory's one handler, without servers."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from govmedia_common.app import ServiceSpec, create_app
from govmedia_common.auth import TokenVerifier
from govmedia_common.errors import HTTP_STATUS, DomainError, ErrorKind, not_found
from govmedia_common.problems import PROBLEM_JSON, Problem
from govmedia_common.settings import ServiceSettings


class OneStepPerPerson(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "one-step-per-person"


router = APIRouter()


@router.get("/raise/{kind}")
async def raise_kind(kind: str) -> None:
    raise DomainError(kind, f"{kind}-code", f"Refused as {kind}.", post_id="p-1", level=2)


@router.get("/subclass")
async def raise_subclass() -> None:
    raise OneStepPerPerson("You reviewed this revision already.")


@router.get("/problem")
async def raise_problem() -> None:
    raise Problem(409, "old-style", "Still rendered.")


@router.get("/missing")
async def raise_not_found() -> None:
    raise not_found("Post", "abc")


@pytest.fixture(scope="module")
def client() -> TestClient:
    # No lifespan (no broker); the audit write of a refusal fails quietly without a database, by design.
    settings = ServiceSettings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", log_json=False)
    verifier = TokenVerifier(issuer="i", audience="a", jwks={"keys": []})
    spec = ServiceSpec(name="probe", title="probe", description="probe", routers=[router])
    return TestClient(create_app(spec, settings, verifier=verifier, configure_logs=False))


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_kind_renders_as_problem_json_with_its_status_code_and_extensions(
    client: TestClient, kind: ErrorKind
) -> None:
    response = client.get(f"/raise/{kind.value}")
    assert response.status_code == HTTP_STATUS[kind]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["code"] == f"{kind.value}-code"
    assert body["type"] == f"urn:govmedia:problem:{kind.value}-code"
    assert body["status"] == HTTP_STATUS[kind]
    assert body["detail"] == f"Refused as {kind.value}."
    assert body["instance"] == f"/raise/{kind.value}"
    assert (body["post_id"], body["level"]) == ("p-1", 2)


def test_the_status_map_covers_the_kinds_the_services_need() -> None:
    assert {k.value: HTTP_STATUS[k] for k in ErrorKind} == {
        "bad_request": 400,
        "unauthenticated": 401,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "rule_violated": 409,
        "precondition_failed": 412,
        "payload_too_large": 413,
        "unprocessable": 422,
        "precondition_required": 428,
        "too_many_requests": 429,
        "unavailable": 503,
    }


def test_unauthenticated_tells_the_client_how_to_authenticate(client: TestClient) -> None:
    assert client.get("/raise/unauthenticated").headers["www-authenticate"].startswith("Bearer")


def test_a_subclass_fixes_kind_and_code_and_is_raised_with_the_detail_alone(client: TestClient) -> None:
    response = client.get("/subclass")
    assert response.status_code == 403
    assert response.json()["code"] == "one-step-per-person"
    assert response.json()["detail"] == "You reviewed this revision already."


def test_the_existing_problem_still_renders(client: TestClient) -> None:
    response = client.get("/problem")
    assert (response.status_code, response.json()["code"]) == (409, "old-style")


def test_not_found_does_not_reveal_whether_the_thing_exists_elsewhere(client: TestClient) -> None:
    response = client.get("/missing")
    assert (response.status_code, response.json()["code"]) == (404, "not-found")
    assert "outside your region" in response.json()["detail"]


def test_an_unknown_kind_is_a_programming_error_not_a_silent_status() -> None:
    with pytest.raises(ValueError):
        DomainError("teapot", "x", "No.")
    with pytest.raises(TypeError):
        DomainError("conflict", "only-two")  # type: ignore[call-overload]  # the wrong call is the point
