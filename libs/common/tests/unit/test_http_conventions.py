"""HTTP conventions without a server: problem+json bodies, opaque cursors, If-Match, idempotency hashes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.idempotency import IdempotentRequest, idempotent_create, request_hash
from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.problems import PROBLEM_JSON, Problem, not_found, problem_response
from govmedia_common.tracing import TraceContext, current_trace

# ---- problem details (RFC 9457) ------------------------------------------------------------------


def test_a_problem_body_has_the_rfc9457_members_and_our_code() -> None:
    body = Problem(409, "duplicate-account", "An account with this name exists.").body("/accounts")
    assert body == {
        "type": "urn:govmedia:problem:duplicate-account",
        "title": "Conflict",
        "status": 409,
        "detail": "An account with this name exists.",
        "code": "duplicate-account",
        "instance": "/accounts",
    }


def test_a_problem_carries_its_extensions_a_custom_title_and_the_current_trace() -> None:
    token = current_trace.set(TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"))
    try:
        body = Problem(422, "bad", "No.", title="Rejected", errors=[{"location": "body.name"}]).body()
    finally:
        current_trace.reset(token)
    assert body["title"] == "Rejected"
    assert body["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert body["errors"] == [{"location": "body.name"}]
    assert "instance" not in body


def test_an_unlisted_status_gets_a_generic_title() -> None:
    assert Problem(418, "teapot", "Short and stout.").body()["title"] == "Error"


def test_a_problem_response_is_problem_json_with_its_status_and_headers() -> None:
    response = problem_response(Problem(503, "down", "Later.", headers={"Retry-After": "5"}), "/x")
    assert response.status_code == 503
    assert response.media_type == PROBLEM_JSON
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["retry-after"] == "5"
    assert orjson.loads(response.body)["instance"] == "/x"


def test_not_found_does_not_reveal_whether_the_thing_exists_elsewhere() -> None:
    problem = not_found("Account", "abc")
    assert problem.status == 404 and problem.code == "not-found"
    assert "outside your region" in problem.detail


# ---- cursors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        [1],
        ["2025-06-01T08:00:00+00:00", "3f0c2d2e-0000-4000-8000-000000000001"],
        ["台州", 3.5, None, True],
        [],
    ],
)
def test_a_cursor_decodes_to_the_sort_key_it_encoded(values: list[Any]) -> None:
    cursor = encode_cursor(values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string as is
    assert decode_cursor(cursor) == values


def test_values_without_a_json_form_are_encoded_as_text() -> None:
    at = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor([at])) == ["2025-06-01T08:00:00+00:00"]


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_means_the_first_page(cursor: str | None) -> None:
    assert decode_cursor(cursor) is None


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor({"a": 1}), encode_cursor(5)])  # type: ignore[arg-type]  # not a list: the point
def test_a_cursor_this_api_did_not_return_is_a_422_problem_naming_the_cursor_parameter(cursor: str) -> None:
    with pytest.raises(Problem) as info:
        decode_cursor(cursor)
    assert info.value.status == 422 and info.value.code == "invalid-cursor"
    assert "cursor" in info.value.detail
    assert [e["location"] for e in info.value.extensions["errors"]] == ["query.cursor"]


# ---- If-Match ------------------------------------------------------------------------------------


def test_etags_are_weak_version_tags() -> None:
    assert etag(7) == 'W/"7"'


@pytest.mark.parametrize("if_match", ['W/"7"', '"7"', '"6", W/"7"', "*", ' W/"7" '])
def test_an_edit_based_on_the_current_version_is_allowed(if_match: str) -> None:
    require_if_match(if_match, 7)


@pytest.mark.parametrize("if_match", [None, ""])
def test_an_edit_without_if_match_is_refused_with_428(if_match: str | None) -> None:
    with pytest.raises(Problem) as info:
        require_if_match(if_match, 7)
    assert info.value.status == 428 and info.value.code == "if-match-required"


@pytest.mark.parametrize("if_match", ['W/"6"', '"8"', '"6", "8"', "7"])
def test_an_edit_of_a_stale_version_is_refused_with_412_and_the_current_etag(if_match: str) -> None:
    with pytest.raises(Problem) as info:
        require_if_match(if_match, 7)
    assert info.value.status == 412 and info.value.code == "stale-version"
    assert info.value.body()["current_etag"] == 'W/"7"'


# ---- idempotency ---------------------------------------------------------------------------------


def test_the_request_hash_is_sha256_of_the_canonical_json_and_ignores_key_order() -> None:
    a = {"name": "台州发布", "platform": "wechat", "levels": [1, 2]}
    b = {"levels": [1, 2], "platform": "wechat", "name": "台州发布"}
    canonical = '{"levels":[1,2],"name":"台州发布","platform":"wechat"}'.encode()
    assert request_hash(a) == request_hash(b) == hashlib.sha256(canonical).hexdigest()


def test_the_request_hash_changes_with_any_value_and_with_list_order() -> None:
    base = {"name": "台州发布", "levels": [1, 2]}
    assert request_hash(base) != request_hash({"name": "台州发布 ", "levels": [1, 2]})
    assert request_hash(base) != request_hash({"name": "台州发布", "levels": [2, 1]})
    assert request_hash({"n": 1}) != request_hash({"n": 1.5})


def test_an_idempotency_key_longer_than_200_characters_is_a_400_problem() -> None:
    session: Any = object()  # never used: the key is checked before any database access
    IdempotentRequest(session, principal="p", key="k" * 200, route="POST /x", payload={})
    with pytest.raises(Problem) as info:
        IdempotentRequest(session, principal="p", key="k" * 201, route="POST /x", payload={})
    assert info.value.status == 400 and info.value.code == "invalid-idempotency-key"


# ---- creating POSTs: the answer and its Idempotency-Key ----------------------------------------------


def test_a_request_without_an_idempotency_key_is_not_hashed() -> None:
    """Hashing the payload serves only a replay check; without a key there is none (a cost per request)."""
    session: Any = object()
    request = IdempotentRequest(session, principal="p", key=None, route="POST /x", payload={1: "unhashable"})
    assert request.key is None


async def test_a_created_answer_is_compact_utf8_json_with_its_status_and_headers() -> None:
    session: Any = object()  # no key: no database access
    body = {"id": "p-1", "title": "通知", "at": "2026-12-01T08:00:00Z", "n": 1.5}

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        return body, {"ETag": 'W/"1"', "Location": "/v1/posts/p-1"}

    response = await idempotent_create(
        session, principal="p", key=None, route="posts", payload={"title": "通知"}, make=make
    )
    assert response.status_code == 201
    assert response.body == orjson.dumps(body)
    assert response.headers["etag"] == 'W/"1"' and response.headers["location"] == "/v1/posts/p-1"
    assert response.headers["content-type"] == "application/json"


def test_a_pydantic_payload_hashes_as_its_json_dump() -> None:
    """A route may pass its request model: the stored hash of a key is the same as for the dumped dict."""
    from pydantic import BaseModel

    class Body(BaseModel):
        title: str
        at: datetime

    body = Body(title="通知", at=datetime(2026, 12, 1, tzinfo=UTC))
    session: Any = object()
    with_model = IdempotentRequest(session, principal="p", key="k", route="posts", payload=body)
    with_dict = IdempotentRequest(
        session, principal="p", key="k", route="posts", payload=body.model_dump(mode="json")
    )
    assert with_model.hash == with_dict.hash == request_hash(body.model_dump(mode="json"))
