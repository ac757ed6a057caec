"""The published OpenAPI document of a service: OAuth2 security, each operation's scopes and roles, and every
problem+json answer it can give, on one shared ``Problem`` schema.

FastAPI derives the paths and bodies; this adds what it cannot know (which scopes and roles an
:class:`~govmedia_common.app.Authorize` dependency demands, which refusals a route may answer). Tokens come
from the registry, so the security scheme's ``tokenUrl`` is the registry's token endpoint (relative in the
registry's own document, absolute beside ``GOVMEDIA_JWKS_URL`` elsewhere) and generated clients can sign in.

A route may document further answers with FastAPI's ``responses={409: {"description": ...}}``: every 4xx and
5xx without a body schema gets the Problem schema. ``govmedia openapi write|check`` keeps the committed
snapshots ``contracts/openapi/<service>.json`` honest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

if TYPE_CHECKING:
    from govmedia_common.app import Authorize

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "REGISTRY_TOKEN_PATH",
    "api_routes",
    "document",
    "install",
    "token_url_beside",
]

REGISTRY_TOKEN_PATH = "/v1/auth/token"
PROBLEM_JSON = "application/problem+json"
_PUBLIC = ("/healthz", "/readyz", "/metrics", "/.well-known/jwks.json")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; ``code`` is stable and names what is wrong.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:govmedia:problem:filing-approver-already-decided"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["naming-r4"]},
        "instance": {"type": "string"},
        "trace_id": {"type": "string"},
        "error": {"type": "string", "description": "RFC 6749 error (token endpoint only)"},
        "error_description": {"type": "string"},
    },
    "additionalProperties": True,
}
_WHY = {
    400: "Malformed request (an If-Match that is no ETag, an OAuth2 request error)",
    401: "Missing, invalid or expired token, or wrong credentials",
    403: "Outside your scopes, roles or region, or refused by a four-eyes rule",
    404: "Does not exist, or lies outside your region",
    409: "The current state does not allow it (a duplicate, a rule of the domain)",
    412: "If-Match does not name the current version",
    413: "Request body too large",
    415: "The body is not sent as JSON (Content-Type: application/json)",
    422: "Invalid request or refused by a rule (names the field or the rule)",
    428: "If-Match is required",
    429: "Too many attempts; retry later",
    503: "A dependency is not reachable",
}

# One typical answer per status (components/examples), shown beside the Problem schema.
_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("invalid-if-match", "Bad request", "If-Match must be an ETag of this resource."),
    401: ("unauthorized", "Authentication required", "Send 'Authorization: Bearer <token>'."),
    403: ("insufficient-scope", "Forbidden", "The token lacks the scope(s): review:submit."),
    404: ("not-found", "Not found", "account 6f1c2c8e does not exist or is outside your region."),
    409: ("conflict", "Conflict", "The current state does not allow this."),
    412: ("stale-version", "Precondition failed", "If-Match names version 3; the current version is 4."),
    413: ("body-too-large", "Content too large", "The request body exceeds 1048576 bytes."),
    415: (
        "unsupported-media-type",
        "Unsupported media type",
        "The body must be JSON sent with 'Content-Type: application/json' (the request said 'text/plain').",
    ),
    422: ("validation-error", "Unprocessable content", "The request is invalid at: body.name."),
    428: ("if-match-required", "Precondition required", "Send If-Match with the ETag you read."),
    429: (
        "too-many-failed-logins",
        "Too many requests",
        "Too many failed sign-ins; try again in 42 seconds.",
    ),
    503: ("not-ready", "Service unavailable", "A dependency is not reachable; see checks."),
}


def _example(status: int) -> dict[str, Any]:
    code, title, detail = _EXAMPLES[status]
    value = {"type": f"urn:govmedia:problem:{code}", "title": title, "status": status, "detail": detail}
    return {"summary": title, "value": {**value, "code": code}}


def _problem(status: int) -> dict[str, Any]:
    ref = {"$ref": f"#/components/examples/problem-{status}"}
    schema = {"$ref": "#/components/schemas/Problem"}
    return {PROBLEM_JSON: {"schema": schema, "examples": {_EXAMPLES[status][0]: ref}}}


def token_url_beside(jwks_url: str) -> str:
    """The registry's token endpoint on the host that publishes the signing keys."""
    parts = urlsplit(jwks_url)
    return urlunsplit((parts.scheme, parts.netloc, REGISTRY_TOKEN_PATH, "", ""))


def _authorizers(dependant: Dependant) -> Iterator[Authorize]:
    from govmedia_common.app import Authorize  # app builds on this module; import when documenting

    for dep in dependant.dependencies:
        if isinstance(dep.call, Authorize):
            yield dep.call
        yield from _authorizers(dep)


def api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, looking inside included routers (FastAPI nests them lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(inner.routes, prefix + str(getattr(context, "prefix", "") or ""))
        elif hasattr(route, "routes") and isinstance(getattr(route, "path", None), str):
            yield from api_routes(route.routes, prefix + route.path)


def _statuses(path: str, method: str, operation: dict[str, Any], secured: bool, token_url: str) -> set[int]:
    if path == token_url:
        operation.get("responses", {}).pop("403", None)
        return {400, 401, 413, 422, 429}
    params = {p.get("name", "").lower(): p.get("in") for p in operation.get("parameters", [])}
    statuses = {422}
    if secured:
        statuses |= {401, 403}
    if "{" in path or method in ("post", "put", "patch") or {"region", "region_code"} & set(params):
        statuses.add(404)  # the thing named, or the region asked for, does not exist (or is not yours)
    if method in ("post", "put", "patch", "delete"):
        statuses |= {409, 413}
    if "if-match" in params:
        statuses |= {400, 412, 428}  # 400: If-Match is not an ETag at all
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        statuses.add(415)  # a JSON body sent with another Content-Type (or none)
    return statuses  # a cursor this API did not issue is a 422 naming query.cursor, like any bad parameter


def _access(authorizers: Sequence[Authorize]) -> str:
    notes = []
    for a in authorizers:
        if a.scopes:
            notes.append("scopes: " + ", ".join(a.scopes))
        if a.any_scope:
            notes.append("one of the scopes: " + ", ".join(a.any_scope))
        if a.roles:
            notes.append("one of the roles: " + ", ".join(a.roles))
    return "Requires " + ("; ".join(notes) or "a valid token") + "."


def document(
    app: FastAPI,
    *,
    token_url: str,
    scopes: Iterable[str] | None = None,
    routes: Iterable[Any] | None = None,
) -> dict[str, Any]:
    """The app's OpenAPI with OAuth2 security, scopes per operation and documented problems (cached).

    ``scopes`` are those the token endpoint grants (default: every scope the routes demand); ``routes``
    the routers as declared (default: the app's).
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    found = [(path, route) for path, route in api_routes(app.routes if routes is None else routes)]
    demanded: set[str] = set()
    for path, route in found:
        if not route.include_in_schema:
            continue
        authorizers = list(_authorizers(route.dependant))
        demanded |= {s for a in authorizers for s in (*a.scopes, *a.any_scope)}
        for method in route.methods or ():
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            secured = bool(authorizers)
            if secured:
                operation["security"] = [{"OAuth2": sorted({s for a in authorizers for s in a.scopes})}]
                access = _access(authorizers)
            elif path == token_url:
                # The client may authenticate with HTTP Basic (RFC 6749 §2.3.1) or in the form.
                operation["security"] = [{}, {"HTTPBasic": []}]
                access = "No token needed; a client may authenticate with HTTP Basic."
            else:
                operation.pop("security", None)
                access = "No token needed."
            description = operation.get("description") or operation.get("summary", "")
            operation["description"] = f"{description}\n\n{access}".strip()
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method.lower(), operation, secured, token_url)):
                responses[str(status)] = {"description": _WHY[status], "content": _problem(status)}
            for status, response in responses.items():  # answers a route declared itself
                if status[0] in "45" and not response.get("content"):
                    response["content"] = problem
    schemes = components.setdefault("securitySchemes", {})
    schemes.pop("HTTPBearer", None)
    granted = {s: s.replace(":", " ") for s in sorted(demanded if scopes is None else scopes)}
    schemes["OAuth2"] = {
        "type": "oauth2",
        "description": "JWT from the registry: password grant for people, client credentials for systems",
        "flows": {
            "password": {"tokenUrl": token_url, "scopes": granted},
            "clientCredentials": {"tokenUrl": token_url, "scopes": granted},
        },
    }
    metrics = schema["paths"].get("/metrics", {}).get("get")
    if metrics is not None:  # Prometheus text exposition, not JSON
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    ready = schema["paths"].get("/readyz", {}).get("get")
    if ready is not None:  # not ready: problem+json with the checks
        ready["responses"]["503"] = {"description": _WHY[503], "content": _problem(503)}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if not operation.get("security") and path != token_url:
                # The app-wide 401/403 do not apply to what needs no token.
                operation.get("responses", {}).pop("401", None)
                operation.get("responses", {}).pop("403", None)
    for operations in schema.get("webhooks", {}).values():
        for operation in operations.values():  # what a service sends: the receiver answers, not our 422
            operation.get("responses", {}).pop("422", None)
    components["examples"] = {f"problem-{status}": _example(status) for status in sorted(_EXAMPLES)}
    components["schemas"].pop("HTTPValidationError", None)
    components["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def install(
    app: FastAPI, *, token_url: str, scopes: Iterable[str] | None = None, routes: Iterable[Any] | None = None
) -> None:
    """Serve :func:`document` as the app's OpenAPI (replacing an earlier installation)."""
    app.openapi_schema = None
    app.openapi = lambda: document(  # type: ignore[method-assign]
        app, token_url=token_url, scopes=scopes, routes=routes
    )
