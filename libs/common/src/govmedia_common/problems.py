"""RFC 9457 problem details (``application/problem+json``) for every error a service returns."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, compile_path

from govmedia_common.errors import DomainError, ErrorKind, echo
from govmedia_common.json_values import error_message
from govmedia_common.tracing import continue_or_start, current_trace
from govmedia_common.transient import is_transient

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:govmedia:problem:"
# A longer request path is not echoed as the problem's ``instance`` (an answer stays small).
MAX_INSTANCE = 300

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """An error the client can act on; rendered as problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": TYPE_PREFIX + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance and len(instance) <= MAX_INSTANCE:  # a cut URI would name another resource
            doc["instance"] = instance
        ctx = current_trace.get()
        if ctx is not None:
            doc["trace_id"] = ctx.trace_id
        doc.update(self.extensions)
        return doc


class InputRefused(Exception):
    """A request the policy refuses; carries the problem to answer."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


CRASH_DETAIL = "An unexpected error occurred; quote the trace_id when reporting it."
DATABASE_DETAIL = (
    "The database did not answer (it may be restarting). Retry in a few seconds; a creating POST sent with "
    "the same Idempotency-Key is applied at most once, whether or not this attempt was."
)


def database_unavailable(headers: dict[str, str] | None = None) -> Problem:
    """503 with ``Retry-After``: the database dropped the connection, refused it, or aborted the
    transaction for a retry (a restart, a failover, a serialization failure). Not a bug, and not the
    client's fault."""
    return Problem(
        503, "database-unavailable", DATABASE_DETAIL, headers={**(headers or {}), "Retry-After": "2"}
    )


def crash_response(path: str, traceparent: str | None = None) -> JSONResponse:
    """The 500 for an error nobody handled, logged (with its traceback) under the trace_id its body carries;
    a 503 to retry (``Retry-After``) when the error is the database dropping or refusing the connection.

    Inside a request's span the span's trace is used (the HTTP middleware adds the ``traceparent`` header);
    outside any span (an error in the outermost layers) a trace is started here, continuing the request's
    ``traceparent`` if it sent one, and returned in a ``traceparent`` header too. Call it from an ``except``.
    """
    ctx = current_trace.get()
    token = None
    headers: dict[str, str] = {}
    if ctx is None:
        ctx = continue_or_start(traceparent)
        token = current_trace.set(ctx)
        headers["traceparent"] = ctx.traceparent
    try:
        error = sys.exc_info()[1]
        if error is not None and is_transient(error):
            # Not a bug: the database dropped the connection or does not answer (a restart, a failover).
            log.warning("database unavailable", extra={"path": path, "error": repr(error)})
            return problem_response(database_unavailable(headers), path)
        log.exception("unhandled error", extra={"path": path})
        return problem_response(Problem(500, "internal-error", CRASH_DETAIL, headers=headers), path)
    finally:
        if token is not None:
            current_trace.reset(token)


def problem_of(error: DomainError) -> Problem:
    """The problem document of a domain error: its kind's status, its code, its extensions."""
    headers = (
        {"WWW-Authenticate": 'Bearer realm="govmedia"'} if error.kind is ErrorKind.UNAUTHENTICATED else None
    )
    return Problem(error.status, error.code, error.detail, headers=headers, **error.extensions)


def not_found(what: str, ident: object) -> Problem:
    return Problem(404, "not-found", f"{what} {echo(ident)} does not exist or is outside your region.")


def methods_served(routes: Iterable[BaseRoute], path: str) -> list[str]:
    """Every method the API routes serve at ``path`` (for a 405's ``Allow``, RFC 9110 15.5.6), sorted."""
    from govmedia_common.openapi import api_routes  # it documents the app; import when a 405 needs it

    allowed: set[str] = set()
    for template, route in api_routes(routes):
        if route.methods and compile_path(template)[0].match(path):
            allowed |= {m.upper() for m in route.methods}
    if "GET" in allowed:
        allowed.add("HEAD")  # answered wherever GET is (govmedia_common.app)
    return sorted(allowed)


# Set in the scope of a HEAD request that is answered as a GET without its body (govmedia_common.app).
HEAD_AS_GET = "govmedia.head_as_get"


def location_in(loc: Sequence[Any], body: Any) -> str:
    """Where an error is, as a path of the request (``body.account.review_levels``): the member tags pydantic
    puts in the path of a union (``body.open.account``, ``body.int``) name nothing the caller sent, and are
    left out. A step that is not in the body is kept when it is the last (a field that is missing)."""
    if not loc or loc[0] != "body" or not isinstance(body, dict | list):
        return ".".join(str(p) for p in loc)
    shown: list[str] = ["body"]
    node: Any = body
    lost = False  # past a step the body does not hold: the rest is kept as pydantic says it
    for i, step in enumerate(loc[1:], start=1):
        held = (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        )
        if lost:
            pass
        elif held:
            node = node[step]
        elif i < len(loc) - 1 and isinstance(step, str) and isinstance(node, dict):
            continue  # a union member's tag: nothing of the body is called so here
        else:
            lost = True
        shown.append(str(step))
    return ".".join(shown)


def _invalid_json(error: Any, document: Any) -> Problem:
    """422 ``invalid-json`` with line and column, for a body the app's JSON reader refused: FastAPI names
    the character offset as if it were a field (``body.13``)."""
    pos = error.get("loc", ("body", 0))[-1]
    reason = (error.get("ctx") or {}).get("error") or "not valid JSON"
    where = ""
    if isinstance(pos, int) and isinstance(document, str):
        line = document.count("\n", 0, pos) + 1
        column = pos - (document.rfind("\n", 0, pos) + 1) + 1
        where = f": line {line} column {column} (char {pos})"
    message = f"{reason}{where}"
    return Problem(
        422,
        "invalid-json",
        f"The body is not valid JSON ({message}).",
        errors=[{"location": "body", "message": message, "type": "json_invalid"}],
    )


FORM = "application/x-www-form-urlencoded"


def _takes_a_form(route: Any) -> bool:
    """Whether ``route`` reads its body as a form (the OAuth 2.0 token endpoint)."""
    from fastapi import params  # FastAPI's parameter classes, only when a request failed validation

    dependant = getattr(route, "dependant", None)
    return dependant is not None and any(
        isinstance(field.field_info, params.Form) for field in dependant.body_params
    )


def _is_form(content_type: str | None) -> bool:
    media = (content_type or "").partition(";")[0].strip().lower()
    return media in (FORM, "multipart/form-data")


_ACCEPT = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}  # a 415 says what the method accepts (RFC 9110)


def install_problem_handlers(app: FastAPI) -> None:
    """Render validation errors, HTTP errors and crashes as problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if _takes_a_form(request.scope.get("route")) and not _is_form(request.headers.get("content-type")):
            # A token request sent as JSON was told "invalid at body.grant_type: Field required".
            sent = request.headers.get("content-type")
            return problem_response(
                Problem(
                    415,
                    "unsupported-media-type",
                    f"The body must be a form sent with 'Content-Type: {FORM}'"
                    + (f" (the request said {sent[:100]!r})." if sent else " (the request named none)."),
                    expected=FORM,
                    headers={"Accept-Post": FORM} if request.method == "POST" else None,
                ),
                request.url.path,
            )
        if isinstance(exc.body, bytes | bytearray) and exc.body:
            # FastAPI hands a JSON route the raw bytes when the Content-Type is not JSON, and pydantic then
            # says "Input should be a valid dictionary" at body: say what to send instead.
            sent = request.headers.get("content-type")
            return problem_response(
                Problem(
                    415,
                    "unsupported-media-type",
                    "The body must be JSON sent with 'Content-Type: application/json'"
                    + (f" (the request said {sent!r})." if sent else " (the request named none)."),
                    expected="application/json",
                    headers={_ACCEPT[request.method]: "application/json"}
                    if request.method in _ACCEPT
                    else None,
                ),
                request.url.path,
            )
        invalid_json = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if invalid_json is not None:
            return problem_response(_invalid_json(invalid_json, exc.body), request.url.path)
        errors = [
            {
                "location": location_in(err.get("loc", ()), exc.body),
                "message": error_message(err),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(e["location"] for e in errors) or "request"
        return problem_response(
            Problem(422, "validation-error", f"The request is invalid at: {fields}.", errors=errors),
            request.url.path,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the one route it tried; the path may be served by several.
            allowed = methods_served(request.app.router.routes, get_route_path(request.scope))
            if allowed:
                headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
                headers["Allow"] = ", ".join(allowed)
                method = "HEAD" if request.scope.get(HEAD_AS_GET) else request.method
                detail = f"{method} is not served at this path; it serves {', '.join(allowed)}."
        return problem_response(Problem(exc.status_code, code, detail, headers=headers), request.url.path)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        # Only what escapes the HTTP middleware lands here (that middleware answers crashes in its span).
        return crash_response(request.url.path, request.headers.get("traceparent"))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
