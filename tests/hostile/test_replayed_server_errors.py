"""Every request that used to answer 500 (issue 9) now answers a 4xx problem, on a connection that lives.

Each hostile request goes over a real socket to uvicorn; right after it, ``GET /healthz`` goes over the
*same* HTTP/1.1 connection. Before the input policy, each of these answered 500 and the server then reset
the connection, so a client's keep-alive pool failed its next, innocent request too.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson
import pytest

from tests.hostile.harness import PROBLEM_JSON, Answer, RawConnection, Served

pytestmark = pytest.mark.integration


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def _nested(depth: int) -> bytes:
    """A JSON object nested ``depth`` levels deep (built as text: serialisers refuse to go that deep)."""
    return b'{"x":' * (depth - 1) + b'{"leaf":1}' + b"}" * (depth - 1)


JSON = (b"content-type", b"application/json")


@pytest.fixture(scope="module")
async def actors(served: Served) -> dict[str, Any]:
    unit_id = await served.setup.unit("331004", "台州市路桥区市场监督管理局", "市场监管局")
    _, _, filer = await served.setup.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    return {"admin": await served.setup.admin(), "filer": filer, "unit_id": unit_id}


# (service, who, method, target, headers, body): every family of 500 the outside test found.
def _cases(a: dict[str, Any]) -> list[tuple[str, str, str, bytes, list[tuple[bytes, bytes]], bytes | None]]:
    unit_body = {"name": "路桥司法局", "short_name": "司法局", "region_code": "331004"}
    far_opening = {
        "type": "open",
        "event_date": "9999-12-31",
        "account": {"name": "路桥市场监管", "platform": "wechat", "unit_id": a["unit_id"]},
    }
    post = {"account_id": str(uuid.uuid4()), "title": "通知", "body": "正文"}
    cases: list[tuple[str, str, str, bytes, list[tuple[bytes, bytes]], bytes | None]] = [
        # NUL in a path id, a query filter, a JSON string; invalid text (a lone surrogate)
        ("registry", "admin", "GET", b"/v1/accounts/ab%00cd", [], None),
        ("registry", "admin", "GET", b"/v1/units/%00", [], None),
        ("registry", "admin", "GET", b"/v1/filings?account_id=x%00y", [], None),
        ("registry", "admin", "GET", b"/v1/accounts?unit_id=%00", [], None),
        (
            "registry",
            "admin",
            "POST",
            b"/v1/units",
            [JSON],
            orjson.dumps({**unit_body, "name": "路桥\u0000司法局"}),
        ),
        (
            "registry",
            "admin",
            "POST",
            b"/v1/units",
            [JSON],
            orjson.dumps(unit_body).replace("路桥司法局".encode(), b"\\ud800"),
        ),
        (
            "registry",
            "admin",
            "POST",
            b"/v1/units",
            [JSON],
            orjson.dumps({**unit_body, "duty_keywords": ["a\u0000b"]}),
        ),
        ("registry", "admin", "GET", b"/v1/regions/33%00000", [], None),
        # the unauthenticated token endpoint
        (
            "registry",
            "",
            "POST",
            b"/v1/auth/token",
            [(b"content-type", b"application/x-www-form-urlencoded")],
            b"grant_type=password&username=ad%00min&password=x",
        ),
        # cursors of the wrong shape
        *[
            ("registry", "admin", "GET", f"/v1/accounts?cursor={_cursor(v)}".encode(), [], None)
            for v in ([1], ["x", "y"], [None], [{"a": 1}])
        ],
        *[
            ("registry", "admin", "GET", f"/v1/units?cursor={_cursor(v)}".encode(), [], None)
            for v in ([1], [None], [{"a": 1}])
        ],
        # dates at the end of the calendar
        ("registry", "filer", "GET", b"/v1/calendar/workdays/add?start=9999-12-31&days=5", [], None),
        ("registry", "filer", "POST", b"/v1/filings", [JSON], orjson.dumps(far_opening)),
        # a non-UTF-8 byte in a header, on every route
        ("registry", "", "GET", b"/healthz", [(b"x-note", b"caf\xe9")], None),
        ("registry", "admin", "GET", b"/v1/me", [(b"x-forwarded-for", b"\xff\xfe")], None),
        ("registry", "", "GET", b"/v1/units", [(b"authorization", b"Bearer \xff")], None),
        # settings nested 254 deep
        (
            "registry",
            "admin",
            "PUT",
            b"/v1/regions/330000/settings",
            [JSON, (b"if-match", b"*")],
            b'{"settings": {"registry": ' + _nested(252) + b"}}",
        ),
        # the review: the same families
        ("review", "admin", "GET", b"/v1/posts/%00", [], None),
        ("review", "admin", "GET", b"/v1/posts?account_id=%00", [], None),
        ("review", "admin", "POST", b"/v1/posts", [JSON], orjson.dumps({**post, "body": "正\u0000文"})),
        (
            "review",
            "admin",
            "POST",
            b"/v1/posts",
            [JSON],
            orjson.dumps(post).replace("正文".encode(), b"\\udc00"),
        ),
        *[
            ("review", "admin", "GET", f"/v1/posts?cursor={_cursor(v)}".encode(), [], None)
            for v in (["x"], [None], [{"a": 1}], [1.5])
        ],
        ("review", "", "GET", b"/healthz", [(b"x-note", b"\xc3\x28")], None),
        ("review", "admin", "GET", b"/v1/posts", [(b"traceparent", b"00-\xff-\xfe-01")], None),
    ]
    return cases


async def test_every_replayed_server_error_is_now_a_4xx_problem_on_a_live_connection(
    served: Served, actors: dict[str, Any]
) -> None:
    connections = {
        "registry": await RawConnection.open(served.registry_url),
        "review": await RawConnection.open(served.review_url),
    }
    failures: list[str] = []
    try:
        for service, who, method, target, headers, body in _cases(actors):
            conn = connections[service]
            auth = [(b"authorization", f"Bearer {actors[who]}".encode())] if who else []
            label = f"{service} {method} {target.decode('latin-1')} {headers}"
            answer: Answer = await conn.request(method, target, headers=[*auth, *headers], body=body)
            ok_status = 400 <= answer.status < 500 or (answer.status == 200 and target == b"/healthz")
            if answer.status == 200 and target != b"/healthz" and method == "GET":
                ok_status = True  # a header that used to crash every route: any valid answer will do
            if not ok_status:
                failures.append(f"{label}: {answer.status} {answer.body[:200]!r}")
            elif answer.status >= 400 and not answer.content_type.startswith(PROBLEM_JSON):
                failures.append(f"{label}: {answer.status} is not problem+json ({answer.content_type})")
            # the same connection answers the next request
            try:
                after = await conn.request("GET", b"/healthz")
            except ConnectionError:
                failures.append(f"{label}: the connection was dropped after the answer")
                connections[service] = await RawConnection.open(
                    served.registry_url if service == "registry" else served.review_url
                )
                continue
            if after.status != 200:
                failures.append(f"{label}: the next request on the connection got {after.status}")
    finally:
        for c in connections.values():
            await c.close()
    assert not failures, "\n".join(failures)
