"""One input policy for every service, applied at the edge before any route runs.

What it refuses, and why:

- **NUL and invalid text** (``\\x00``, lone surrogates, bytes that are not UTF-8) in the path, the query
  string, a form body or any JSON string or key → 422 ``invalid-text`` naming where. PostgreSQL cannot
  store NUL in ``text`` and asyncpg cannot encode a lone surrogate: letting either through turns a typo
  into a 500 deep inside a transaction.
- **Bodies above a size** (``max_body_bytes``, 1 MB unless the service declares more) → 413
  ``body-too-large``, decided from ``Content-Length`` *before* a byte is read, and while streaming for
  chunked bodies. A body up to ``DRAIN_FACTOR`` times the limit is then read and dropped so the client can
  read the answer on a live connection; a larger one is answered at once and the connection closed.
- **JSON nested deeper than** ``max_json_depth`` → 422 ``json-too-deep`` (nobody's settings are 254 deep).
- Database refusals that still get through (:func:`install_input_policy`): a unique violation → 409 naming
  the rule, a value PostgreSQL cannot store → 422, logged without the statement's parameters.
- Anything unexpected still answers ``application/problem+json`` 500 and the keep-alive connection stays
  usable (:class:`LastResort` wraps the whole Starlette stack, whose own error middleware re-raises after
  answering, which makes the server drop the connection).

Header bytes are decoded as Latin-1 everywhere (as HTTP/1.1 defines them), so a stray non-UTF-8 byte in
a header can never make a request fail. :func:`client_address` believes ``X-Forwarded-For`` only when the
peer is one of the configured proxies.

The schema-side half of the policy lives here too: bounded text, lists and dates that request schemas use,
so every field has a maximum (``ShortText``, ``LongText``, ``BoundedList`` …, ``BoundedDate``).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote_to_bytes

import orjson
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govmedia_common.database_errors import database_error_problem as database_error_problem
from govmedia_common.database_errors import register_unique_rule as register_unique_rule
from govmedia_common.json_body import (
    ESCAPE_PAIR,
    NUMBER_HINT,
    QUOTED,
    check_charset,
    check_content_encoding,
    check_unique_keys,
    non_finite_number,
)
from govmedia_common.json_values import iso_date, iso_datetime
from govmedia_common.problems import InputRefused, Problem, crash_response, problem_response

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1_048_576
DEFAULT_MAX_JSON_DEPTH = 32
# A body up to this many times the limit is read and dropped before the 413, so the client can read the
# answer and keep its connection; a larger one gets the answer at once and the connection is closed.
DRAIN_FACTOR = 4
# Path and query together: every id is at most 64 characters and a cursor at most 1,000 (pagination).
MAX_TARGET_BYTES = 8_192

# ----------------------------------------------------------------------------------------------- schemas
# Maximum lengths for request fields. Pick by meaning, not by the column: a name is short, a reason is a
# paragraph, a post body is an article. The body limit (1 MB) bounds them all from above.

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""An id, code, username or key someone typed or a system generated (≤ 64 characters)."""
ShortText = Annotated[str, StringConstraints(max_length=200)]
"""A name, title, label or search term (≤ 200 characters)."""
MediumText = Annotated[str, StringConstraints(max_length=2_000)]
"""A reason, comment, URL or address (≤ 2,000 characters)."""
LongText = Annotated[str, StringConstraints(max_length=100_000)]
"""A post body or a report (≤ 100,000 characters)."""
Secret = Annotated[str, StringConstraints(max_length=256)]
"""A password or client secret (≤ 256 characters; Argon2 never sees a megabyte)."""

T = TypeVar("T")
SmallList = Annotated[list[T], Field(max_length=50)]
"""Roles, scopes, platforms, choices: a handful, never thousands (≤ 50 items)."""
BoundedList = Annotated[list[T], Field(max_length=1_000)]
"""Keywords, dates, ids in one request (≤ 1,000 items)."""

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
BoundedDate = Annotated[date, Field(ge=MIN_DATE, le=MAX_DATE), BeforeValidator(iso_date)]
"""A date the platform can reason about (1900-01-01 … 2200-12-31), as ISO 8601 text: arithmetic never
overflows, and a number is not read as seconds since 1970."""


def _no_bad_text(value: str) -> str:
    reason = text_problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


CleanText = Annotated[str, AfterValidator(_no_bad_text)]
"""A string without NUL or lone surrogates (for inputs that do not pass the HTTP edge, e.g. files)."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (NUL, lone surrogate), or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode)"
    return None


# -------------------------------------------------------------------------------------------- addresses


def parse_networks(entries: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Proxy addresses or networks from settings (``10.0.0.5``, ``10.0.0.0/8``, ``::1``)."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _in(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str | None:
    """The real client: the peer, unless the peer is a trusted proxy; then the last untrusted hop.

    ``X-Forwarded-For`` is appended to by each proxy, so only the entries our own proxies added can be
    believed; reading from the right and skipping trusted hops gives the first address nobody we trust
    could have forged. A header sent by a client that is not a trusted proxy is ignored.
    """
    if peer is None or not forwarded_for or not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: believe only the socket
    return hops[0] if hops else peer


def header(scope: Scope, name: bytes) -> str | None:
    """A request header decoded as Latin-1 (never raises), or None."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


# ------------------------------------------------------------------------------------------ edge checks


def _invalid_text(location: str, reason: str) -> InputRefused:
    return InputRefused(
        Problem(
            422,
            "invalid-text",
            f"The request is invalid at {location}: it {reason}. Send UTF-8 text without NUL characters.",
            errors=[{"location": location, "message": reason, "type": "invalid_text"}],
        )
    )


def check_urlencoded(raw: bytes, where: str, *, unique: bool = False) -> None:
    """Refuse NUL or non-UTF-8 in an ``a=1&b=2`` string (query string or form body); with ``unique``, a
    name given twice too (no route of ours takes a list in the query string: ``?limit=1&limit=500``
    silently meant 500, ``?platform=wechat&platform=weibo`` silently meant weibo only)."""
    if not raw:
        return
    seen: set[bytes] = set()
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name.replace(b"+", b" "))
        label = name_bytes.decode("utf-8", "replace").replace("\x00", "\ufffd")[:64] or "?"
        if unique:
            if name_bytes in seen:
                raise _repeated(f"{where}.{label}", label)
            seen.add(name_bytes)
        for part in (name_bytes, unquote_to_bytes(value.replace(b"+", b" "))):
            if b"\x00" in part:
                raise _invalid_text(f"{where}.{label}", "contains a NUL character")
            try:
                part.decode("utf-8")
            except UnicodeDecodeError:
                raise _invalid_text(f"{where}.{label}", "is not valid UTF-8") from None


def _repeated(location: str, name: str) -> InputRefused:
    return InputRefused(
        Problem(
            422,
            "repeated-parameter",
            f"The query parameter {name!r} is given more than once; this API takes one value for each "
            "parameter. Send it once.",
            errors=[{"location": location, "message": "given more than once", "type": "repeated_parameter"}],
        )
    )


def check_target(path: str, raw_path: bytes | None, query: bytes) -> None:
    """Refuse a request target longer than :data:`MAX_TARGET_BYTES` (414): no id, filter or cursor of
    ours comes near it, and whatever a refusal echoes or audits stays small."""
    size = len(raw_path if raw_path is not None else path.encode("utf-8", "replace")) + len(query)
    if size > MAX_TARGET_BYTES:
        raise InputRefused(
            Problem(
                414,
                "uri-too-long",
                f"The request target (path and query) is {size} bytes; at most {MAX_TARGET_BYTES} are "
                "accepted. Ids are at most 64 characters and cursors are returned by the API.",
                title="URI too long",
                max_bytes=MAX_TARGET_BYTES,
            )
        )


def check_path(path: str, raw_path: bytes | None) -> None:
    """Refuse NUL or invalid UTF-8 in the request path (percent-encoded or not)."""
    if "\x00" in path:
        raise _invalid_text("path", "contains a NUL character")
    if raw_path is not None:
        decoded = unquote_to_bytes(raw_path)
        if b"\x00" in decoded:
            raise _invalid_text("path", "contains a NUL character")
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid_text("path", "is not valid UTF-8") from None


# The nesting is read from the structure alone, in C: escape pairs removed (an escaped quote is no quote),
# every byte but quotes and brackets deleted, then the strings ("…", now short) removed. In valid JSON the
# first quote opens a string, so what is left is exactly the structure's brackets; in invalid JSON the
# parser stops at the first bad token, before any bracket this could misjudge.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
# The only escapes that can carry NUL or a surrogate (a valid pair too: it takes the exact path).
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _nesting(raw: bytes) -> int:
    """How deep ``raw`` nests, counting brackets outside strings."""
    if b"\\" in raw:
        raw = ESCAPE_PAIR.sub(b"", raw)
    brackets = QUOTED.sub(b"", raw.translate(None, _NOT_STRUCTURE))
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def check_json(raw: bytes, max_depth: int) -> None:
    """Refuse JSON that is not UTF-8, has NUL or lone surrogates in any string or key, or nests too deep."""
    if not raw.strip():
        return
    # Fast path for the usual body, bulk ones included: NUL and surrogates can only arrive as \u escapes
    # (raw control bytes are invalid JSON, which the app refuses), and the nesting is read from the
    # brackets outside strings, in C (regex and translate), then one pass over the brackets alone.
    suspicious_number = non_finite_number(raw)
    if not suspicious_number and _RISKY_ESCAPE.search(raw) is None and _nesting(raw) <= max_depth:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass  # parsed below, for the message
        else:
            check_unique_keys(raw)
            return
    try:
        # orjson refuses NaN, Infinity and numbers beyond a double, naming line and column
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        hint = f"; {NUMBER_HINT}" if suspicious_number else ""
        raise InputRefused(
            Problem(
                422,
                "invalid-json",
                f"The body is not valid JSON in UTF-8 ({exc}{hint}).",
                errors=[{"location": "body", "message": f"{exc}{hint}", "type": "json_invalid"}],
            )
        ) from None
    # Iterative walk: a hostile document must not be able to exhaust the interpreter's stack.
    stack: list[tuple[Any, str, int]] = [(doc, "body", 1)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            reason = text_problem(node)
            if reason is not None:
                raise _invalid_text(where, reason)
        elif isinstance(node, dict | list):
            if depth > max_depth:
                raise InputRefused(
                    Problem(
                        422,
                        "json-too-deep",
                        f"The body nests deeper than {max_depth} levels at {where}.",
                        errors=[{"location": where, "message": "nested too deep", "type": "json_depth"}],
                    )
                )
            if isinstance(node, dict):
                for key, value in node.items():
                    reason = text_problem(key)
                    if reason is not None:
                        raise _invalid_text(f"{where} (a key)", reason)
                    stack.append((value, f"{where}.{key[:64]}", depth + 1))
            else:
                stack.extend((v, f"{where}.{i}", depth + 1) for i, v in enumerate(node))
    check_unique_keys(raw)


def _too_large(limit: int, *, close: bool) -> Problem:
    return Problem(
        413,
        "body-too-large",
        f"The request body exceeds {limit} bytes.",
        title="Content too large",
        headers={"Connection": "close"} if close else None,
        max_bytes=limit,
    )


async def _drain(receive: Receive, already: int, cap: int) -> bool:
    """Read and drop the rest of a body; True when it ended within ``cap`` bytes (the connection lives).

    A server that answers before a body is read and then closes makes the client's kernel see unread
    data and reset the connection, so the client never reads the 413. Up to ``cap`` bytes it is cheaper to
    swallow the body and keep the connection; beyond that, the client is told to go away.
    """
    size = already
    while size <= cap:
        message = await receive()
        if message["type"] != "http.request":
            return False
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return size <= cap
    return False


@dataclass(frozen=True)
class InputPolicy:
    """The limits of the edge; read from the service settings."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


class InputPolicyMiddleware:
    """Pure ASGI middleware applying :class:`InputPolicy` to every HTTP request before routing."""

    def __init__(self, app: ASGIApp, policy: InputPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or InputPolicy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope.get("path", ""), scope.get("raw_path"), scope.get("query_string", b""))
            check_path(scope.get("path", ""), scope.get("raw_path"))
            check_urlencoded(scope.get("query_string", b""), "query", unique=True)
        except InputRefused as refused:
            await self._refuse(refused.problem, scope, receive, send)
            return

        limit = self.policy.max_body_bytes
        length = header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await self._refuse(
                    Problem(400, "bad-content-length", "Content-Length is not a number."),
                    scope,
                    receive,
                    send,
                )
                return
            if declared > limit:  # decided from the header, before a byte of the body is read
                drain_cap = self.policy.max_body_bytes * DRAIN_FACTOR
                kept = declared <= drain_cap and await _drain(receive, 0, drain_cap)
                await self._refuse(_too_large(limit, close=not kept), scope, receive, send)
                return

        # Read the body (bounded) so its text can be checked; then hand the same bytes to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before its body arrived whole: what came is not the request it
                # meant (a form cut after a complete field is still a valid form), so nothing runs, and
                # nobody is left to answer.
                log.info("request abandoned before its body ended", extra={"path": safe_path(scope)})
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                more = message.get("more_body", False)
                kept = not more or await _drain(receive, size, limit * DRAIN_FACTOR)
                await self._refuse(_too_large(limit, close=not kept), scope, receive, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        raw = b"".join(chunks)

        content_type, _, params = (header(scope, b"content-type") or "").partition(";")
        content_type = content_type.strip().lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        try:
            if raw:
                check_content_encoding(header(scope, b"content-encoding"))
                if is_json:
                    check_charset(params)
            if raw and is_json:
                check_json(raw, self.policy.max_json_depth)
            elif raw and content_type == "application/x-www-form-urlencoded":
                check_urlencoded(raw, "body")
        except InputRefused as refused:
            await self._refuse(refused.problem, scope, receive, send)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(problem: Problem, scope: Scope, receive: Receive, send: Send) -> None:
        log.info(
            "request refused at the edge",
            extra={"code": problem.code, "status": problem.status, "path": scope.get("path", "")[:200]},
        )
        response = problem_response(problem, safe_path(scope))
        await response(scope, receive, send)


def safe_path(scope: Scope) -> str:
    # The instance member of a problem must itself be valid text.
    path = str(scope.get("path", ""))
    return path.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")[:500]


class LastResort:
    """Outermost ASGI layer: whatever escapes the app still gets a problem+json 500 on a live connection.

    Starlette's error middleware answers 500 and then re-raises so the server can log; uvicorn reacts to an
    exception after a response by closing the connection, so a client's keep-alive pool sees a reset on
    the next request. Here an exception after a complete response is swallowed (it was logged by the
    problem handler), and one before any response gets the problem document.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        completed = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, completed
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                completed = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if completed:
                return
            if started:
                raise  # half a response went out: nothing valid can follow on this connection
            # with a trace_id in the body and the traceparent header, like every other 500
            await crash_response(safe_path(scope), header(scope, b"traceparent"))(scope, receive, send)


def install_input_policy(app: Any, policy: InputPolicy) -> None:
    """Apply the policy to a Starlette/FastAPI app: the edge middleware, the database net, the last resort."""
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import DBAPIError

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(database_error_problem(exc), request.url.path)

    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_middleware(InputPolicyMiddleware, policy=policy)
    build = app.build_middleware_stack

    def build_with_last_resort() -> ASGIApp:
        return LastResort(build())

    app.build_middleware_stack = build_with_last_resort


def _bounded_instant(value: datetime) -> datetime:
    if not MIN_DATE <= value.date() <= MAX_DATE:
        raise ValueError(f"must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return value


BoundedDateTime = Annotated[AwareDatetime, BeforeValidator(iso_datetime), AfterValidator(_bounded_instant)]
"""An instant with a time zone, between 1900 and 2200 (so adding a deadline to it never overflows)."""
