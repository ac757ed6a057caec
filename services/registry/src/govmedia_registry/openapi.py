"""The registry's published OpenAPI document: OAuth2 security with each operation's scopes, and every
problem+json answer an operation can give, on one shared ``Problem`` schema.

FastAPI derives the paths and bodies; this adds what it cannot know (which scopes and roles an
``Authorize`` dependency demands, which refusals a route may answer). ``contracts/openapi/registry.json``
is the committed snapshot; ``python -m govmedia_registry.openapi --write`` regenerates it deliberately.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from govmedia_common.app import Authorize
from govmedia_registry.identity.domain import ALL_SCOPES

TOKEN_URL = "/v1/auth/token"
PROBLEM_JSON = "application/problem+json"
SNAPSHOT = Path("contracts/openapi/registry.json")

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
    400: "Malformed request (a cursor this API did not issue; an OAuth2 request error)",
    401: "Missing, invalid or expired token, or wrong credentials",
    403: "Outside your scopes, roles or region, or refused by a four-eyes rule",
    404: "Does not exist, or lies outside your region",
    409: "The current state does not allow it (a duplicate, a rule of the domain)",
    412: "If-Match does not name the current version",
    413: "Request body too large",
    422: "Invalid request or refused by a rule (names the field or the rule)",
    428: "If-Match is required",
    429: "Too many attempts; retry later",
}


def _authorizers(dependant: Dependant) -> Iterator[Authorize]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Authorize):
            yield dep.call
        yield from _authorizers(dep)


def _statuses(route: APIRoute, method: str, operation: dict[str, Any], secured: bool) -> set[int]:
    if route.path == TOKEN_URL:
        operation.get("responses", {}).pop("403", None)
        return {400, 401, 413, 422, 429}
    params = {p.get("name", "").lower(): p.get("in") for p in operation.get("parameters", [])}
    statuses = {422}
    if secured:
        statuses |= {401, 403}
    if "{" in route.path or method in ("post", "put", "patch") or "region" in params:
        statuses.add(404)  # the thing named, or the region asked for, does not exist (or is not yours)
    if method in ("post", "put", "patch", "delete"):
        statuses |= {409, 413}
    if "if-match" in params:
        statuses |= {412, 428}
    if "cursor" in params:
        statuses.add(400)
    return statuses


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI with OAuth2 security, scopes per operation and documented problems (cached)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    app.openapi_schema = None
    schema = FastAPI.openapi(app)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schemes = components.setdefault("securitySchemes", {})
    schemes.pop("HTTPBearer", None)
    scopes = {s: s.replace(":", " ") for s in sorted(ALL_SCOPES)}
    schemes["OAuth2"] = {
        "type": "oauth2",
        "description": "JWT from the registry: password grant for people, client credentials for systems",
        "flows": {
            "password": {"tokenUrl": TOKEN_URL, "scopes": scopes},
            "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes},
        },
    }
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    from govmedia_registry.api import PARTS  # the routers as declared (FastAPI nests included ones lazily)

    for route in (r for part in PARTS for r in part.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        authorizers = list(_authorizers(route.dependant))
        for method in route.methods or ():
            operation = schema["paths"].get(route.path, {}).get(method.lower())
            if operation is None:
                continue
            secured = bool(authorizers)
            if secured:
                needed = sorted({s for a in authorizers for s in a.scopes})
                operation["security"] = [{"OAuth2": needed}]
                notes = []
                for a in authorizers:
                    if a.scopes:
                        notes.append("scopes: " + ", ".join(a.scopes))
                    if a.any_scope:
                        notes.append("one of the scopes: " + ", ".join(a.any_scope))
                    if a.roles:
                        notes.append("one of the roles: " + ", ".join(a.roles))
                access = "Requires " + ("; ".join(notes) or "a valid token") + "."
            elif route.path == TOKEN_URL:
                # The client may authenticate with HTTP Basic (RFC 6749 §2.3.1) or in the form.
                operation["security"] = [{}, {"HTTPBasic": []}]
                access = "No token needed; a client may authenticate with HTTP Basic."
            else:
                operation.pop("security", None)
                access = "No token needed."
            description = operation.get("description") or operation.get("summary", "")
            operation["description"] = f"{description}\n\n{access}".strip()
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(route, method.lower(), operation, secured)):
                responses[str(status)] = {"description": _WHY[status], "content": problem}
    metrics = schema["paths"].get("/metrics", {}).get("get")
    if metrics is not None:  # Prometheus text exposition, not JSON
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if not operation.get("security") and path != TOKEN_URL:
                # The app-wide 401/403 do not apply to what needs no token.
                operation.get("responses", {}).pop("401", None)
                operation.get("responses", {}).pop("403", None)
    components["schemas"].pop("HTTPValidationError", None)
    components["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Serve :func:`document` as the app's OpenAPI."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]


def snapshot_text(app: FastAPI) -> str:
    """The snapshot as committed: sorted keys, two-space indent, real characters (not escapes)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _offline_app() -> FastAPI:
    from govmedia_common.settings import KafkaSettings, ServiceSettings
    from govmedia_registry.main import create_app

    settings = ServiceSettings(
        service_name="registry",
        environment="test",
        database_url="postgresql+asyncpg://openapi@127.0.0.1:1/none",
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"),
        log_json=False,
    )
    return create_app(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description="Check or regenerate the registry's OpenAPI snapshot.")
    parser.add_argument("--write", action="store_true", help="write the snapshot (an announced change)")
    parser.add_argument("--path", type=Path, default=SNAPSHOT)
    args = parser.parse_args()
    text = snapshot_text(_offline_app())
    if args.write:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
    elif args.path.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{args.path} is out of date: run python -m govmedia_registry.openapi --write")
    else:
        print(f"{args.path} is up to date")


if __name__ == "__main__":
    main()
