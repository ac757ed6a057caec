"""The input policy at the edge, on a bare app served by uvicorn: what it refuses, and that it keeps the
connection alive; plus the bounded schema types, cursors and dates that go with it."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

import orjson
import pytest
from fastapi import FastAPI, Form
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from govmedia_common.inputs import (
    BoundedDate,
    BoundedList,
    InputPolicy,
    ShortText,
    client_address,
    install_input_policy,
    parse_networks,
)
from govmedia_common.pagination import decode_cursor
from govmedia_common.problems import InputRefused, Problem, install_problem_handlers
from govmedia_common.workdays import UnknownCalendarYear, WorkCalendar
from govmedia_platform.sockets import PROBLEM_JSON, RawConnection, serving


class Doc(BaseModel):
    name: ShortText
    tags: BoundedList[str] = []


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_input_policy(app, InputPolicy(max_body_bytes=4_096, max_json_depth=8))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items/{item_id}")
    async def item(item_id: str, q: str | None = None) -> dict[str, Any]:
        return {"id": item_id, "q": q}

    @app.post("/docs")
    async def docs(doc: Doc) -> Doc:
        return doc

    @app.post("/token")
    async def token(username: Annotated[str, Form()]) -> dict[str, str]:
        return {"username": username}

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug nobody foresaw")

    @app.get("/database-gone")
    async def database_gone() -> None:
        raise ConnectionResetError("the server closed the connection")  # as asyncpg raises it

    return app


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[str]:
    async with serving(_app()) as url:
        yield url


@pytest.fixture
async def conn(server: str) -> AsyncIterator[RawConnection]:
    c = await RawConnection.open(server)
    try:
        yield c
    finally:
        await c.close()


JSON = (b"content-type", b"application/json")
FORM = (b"content-type", b"application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "status", "code"),
    [
        ("GET", b"/items/a%00b", [], None, 422, "invalid-text"),
        ("GET", b"/items/x?q=%00", [], None, 422, "invalid-text"),
        ("GET", b"/items/x?q=%ff%fe", [], None, 422, "invalid-text"),
        ("GET", b"/items/%ed%a0%80", [], None, 422, "invalid-text"),  # a surrogate in CESU-8 bytes
        ("POST", b"/docs", [JSON], b'{"name": "a\\u0000b"}', 422, "invalid-text"),
        ("POST", b"/docs", [JSON], b'{"name": "\\ud800"}', 422, "invalid-json"),
        ("POST", b"/docs", [JSON], b'{"name": "ok", "tags": ["\\u0000"]}', 422, "invalid-text"),
        ("POST", b"/docs", [JSON], b'{"name": "ok", "a\\u0000": 1}', 422, "invalid-text"),
        ("POST", b"/docs", [JSON], b'{"name": "\xff"}', 422, "invalid-json"),
        ("POST", b"/docs", [JSON], b'{"name": "a\x00b"}', 422, None),  # a raw NUL is not JSON at all
        (
            "POST",
            b"/docs",
            [JSON],
            orjson.dumps({"name": "x", "n": [[[[[[[[[1]]]]]]]]]}),
            422,
            "json-too-deep",
        ),
        ("POST", b"/docs", [JSON], orjson.dumps({"name": "x" * 201}), 422, "validation-error"),
        (
            "POST",
            b"/docs",
            [JSON],
            orjson.dumps({"name": "x", "tags": ["t"] * 1001}),
            422,
            "validation-error",
        ),
        ("POST", b"/docs", [JSON], orjson.dumps({"name": "x", "tags": ["t" * 5000]}), 413, "body-too-large"),
        ("POST", b"/token", [FORM], b"username=ad%00min", 422, "invalid-text"),
        ("GET", b"/crash", [], None, 500, "internal-error"),
        ("GET", b"/database-gone", [], None, 503, "database-unavailable"),
        ("GET", b"/items/x", [(b"x-note", b"caf\xe9"), (b"user-agent", b"\xff")], None, 200, None),
    ],
    ids=lambda v: v.decode("latin-1")[:40] if isinstance(v, bytes) else None,
)
async def test_the_edge_answers_a_problem_and_the_connection_stays_usable(
    conn: RawConnection,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes | None,
    status: int,
    code: str | None,
) -> None:
    answer = await conn.request(method, target, headers=headers, body=body)
    assert answer.status == status, answer.body
    if code is not None:
        assert answer.content_type.startswith(PROBLEM_JSON)
        assert answer.json()["code"] == code
    after = await conn.request("GET", b"/healthz")
    assert after.status == 200


async def test_a_declared_length_above_the_limit_is_refused_before_the_body_is_sent() -> None:
    async with serving(_app()) as url:
        c = await RawConnection.open(url)
        try:
            # Only the head goes out: the answer must come without the server waiting for 100 MB.
            answer = await c.send_head("POST", b"/docs", [JSON, (b"content-length", b"104857600")])
        finally:
            await c.close()
    assert answer.status == 413
    assert answer.json()["code"] == "body-too-large"
    assert answer.headers.get("connection") == "close"  # far above the limit: not worth draining


async def test_a_chunked_body_is_cut_off_at_the_limit() -> None:
    async with serving(_app()) as url:
        c = await RawConnection.open(url)
        try:
            answer = await c.request("POST", b"/docs", headers=[JSON], chunks=[b"[" * 1000] * 5)
            assert answer.status == 413
            # a little over the limit is drained, so the client reads the 413 and keeps its connection
            assert (await c.request("GET", b"/healthz")).status == 200
        finally:
            await c.close()


# ---- the pieces --------------------------------------------------------------------------------------


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("values", [[1], ["x", "y"], [None], [{"a": 1}], [True], [[1]], ["a\u0000"]])
def test_a_cursor_of_another_shape_is_refused(values: Any) -> None:
    with pytest.raises(Problem) as info:
        decode_cursor(_cursor(values), str)
    assert (info.value.status, info.value.code) == (422, "invalid-cursor")


@pytest.mark.parametrize("values", [["x"], [None], [{"a": 1}], [1.5], [2**70]])
def test_a_sequence_cursor_holds_one_integer(values: Any) -> None:
    with pytest.raises(Problem):
        decode_cursor(_cursor(values), int)
    assert decode_cursor(_cursor([42]), int) == [42]


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "2201-01-01"])
def test_a_bounded_date_refuses_the_ends_of_the_calendar(day: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(BoundedDate).validate_python(day)
    assert TypeAdapter(BoundedDate).validate_python("2200-12-31") == date(2200, 12, 31)


def test_counting_working_days_past_year_9999_is_an_unknown_year_not_an_overflow() -> None:
    calendar = WorkCalendar()
    calendar.load_year(9999, [], [])
    with pytest.raises(UnknownCalendarYear):
        calendar.add_workdays(date(9999, 12, 31), 5)


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", "", "203.0.113.9"),  # nobody trusted: the header is ignored
        ("203.0.113.9", "1.2.3.4", "10.0.0.0/8", "203.0.113.9"),  # a client forging the header
        ("10.0.0.5", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),  # our proxy says who it served
        ("10.0.0.5", "1.2.3.4, 198.51.100.7", "10.0.0.0/8", "198.51.100.7"),  # a forged first hop
        ("10.0.0.5", "198.51.100.7, 10.0.0.6", "10.0.0.0/8", "198.51.100.7"),  # two of our proxies
        ("10.0.0.5", "not-an-ip", "10.0.0.0/8", "10.0.0.5"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    peer: str, header: str, trusted: str, expected: str
) -> None:
    assert client_address(peer, header, parse_networks(trusted.split(","))) == expected


def test_logs_never_carry_sql_parameters_password_hashes_or_bearer_tokens() -> None:
    from govmedia_common.logging import scrub

    error = (
        "(sqlalchemy.dialects.postgresql.asyncpg.IntegrityError) duplicate key\n"
        "[SQL: INSERT INTO people (id, username, password_hash) VALUES ($1, $2, $3)]\n"
        "[parameters: ('p1', 'zhang', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')]\n"
        "(Background on this error at: https://sqlalche.me/e/20/gkpj)"
    )
    cleaned = scrub(error)
    assert "argon2id$v=19" not in cleaned and "zhang" not in cleaned
    assert "[SQL: INSERT INTO people" in cleaned and "Background on this error" in cleaned
    assert "$argon2id$v=19$m" not in scrub("hash was $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA here")
    assert "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig" not in scrub(
        "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig"
    )


async def test_a_service_may_declare_a_larger_body_limit_and_the_environment_overrides_both() -> None:
    import httpx

    from govmedia_common.app import ServiceSpec, create_app
    from govmedia_common.settings import ServiceSettings

    async def status_of(settings: ServiceSettings, spec: ServiceSpec) -> int:
        app = create_app(spec, settings, configure_logs=False)  # no lifespan: only the edge answers
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return (await c.post("/healthz", content=b"x" * 3_000)).status_code

    small, bulk = (
        ServiceSpec("svc", "t", "d", max_body_bytes=2_048),
        ServiceSpec("svc", "t", "d", max_body_bytes=8_192),
    )
    assert await status_of(ServiceSettings(), small) == 413
    assert await status_of(ServiceSettings(), bulk) == 405  # through the edge; /healthz takes GET only
    assert await status_of(ServiceSettings(max_body_bytes=8_192), small) == 405


def test_json_with_many_shallow_brackets_is_checked_without_walking_it_and_deep_or_bad_text_still_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk body has thousands of brackets yet nests three deep, and a client's JSON library may escape
    every Chinese character as \\uXXXX: neither may send the body through the slow parse-and-walk path. What
    the check exists for is still refused: deep nesting (brackets inside strings do not count) and NUL or a
    lone surrogate escaped anywhere."""
    from govmedia_common import inputs

    bulk = orjson.dumps(
        {"items": [{"account_id": f"a-{i}", "tags": ["x", "[{"], "text": "政务"} for i in range(3000)]}
    )
    escaped = json.dumps({"items": [{"text": "政务新媒体[]{}"} for _ in range(500)]}).encode()  # \\u escapes
    walked: list[bytes] = []
    real_loads = orjson.loads

    def loads(raw: bytes) -> Any:
        walked.append(raw)
        return real_loads(raw)

    monkeypatch.setattr(orjson, "loads", loads)  # the module check_json parses with
    inputs.check_json(bulk, 32)
    inputs.check_json(escaped, 32)
    assert walked == [], "a shallow body was parsed and walked in Python"

    deep = b"[" * 40 + b"]" * 40
    hidden = b'{"a": "' + b"[" * 40 + b'", "b": ' + b"[" * 40 + b"]" * 40 + b"}"
    for body in (deep, hidden):
        with pytest.raises(InputRefused) as refused:
            inputs.check_json(body, 32)
        assert refused.value.problem.code == "json-too-deep"
    for body in (
        b'{"items": [' + b'{"t": "ok"},' * 100 + b'{"t": "a\\u0000b"}]}',
        b'{"items": [' + b'{"t": "ok"},' * 100 + b'{"t": "\\ud800"}]}',
    ):
        with pytest.raises(InputRefused) as refused:
            inputs.check_json(body, 32)
        assert refused.value.problem.code in ("invalid-text", "invalid-json"), body[-30:]
    inputs.check_json(b'{"t": "\\ud83d\\ude00 \\\\u0000"}', 32)  # a pair, and an escaped backslash


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_JSON_TEXT = st.text(alphabet=st.sampled_from('ab[]{}"\\/\n政务 \u2028'), max_size=8)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=30,
)


@given(_JSON_VALUES, st.booleans())
def test_the_nesting_read_from_the_brackets_equals_the_parsed_documents_depth(
    value: Any, ascii: bool
) -> None:
    from govmedia_common.inputs import _nesting

    raw = json.dumps(value, ensure_ascii=ascii).encode()
    assert _nesting(raw) == _depth(value), raw


async def test_a_lost_database_connection_is_a_503_to_retry_not_an_internal_error(
    conn: RawConnection,
) -> None:
    """A connection the database dropped (a restart, a failover) is not a bug: the client is told to retry,
    and for how long to wait, in the same problem shape."""
    answer = await conn.request("GET", b"/database-gone")
    assert answer.status == 503 and answer.content_type.startswith(PROBLEM_JSON)
    assert answer.headers["retry-after"] == "2"
    problem = answer.json()
    assert problem["code"] == "database-unavailable" and "Idempotency-Key" in problem["detail"]
