"""schemathesis against a service's published OpenAPI: no answer may contradict the documented status codes,
content types and response schemas, and none may be a 5xx. Positive and negative requests, fixed seed.

Test support (like :mod:`govmedia_platform.pytest_plugin`), shared by each service's
``tests/integration/test_openapi_conformance.py``; schemathesis is a development dependency, imported only
when a run starts. Budget:
``GOVMEDIA_CONFORMANCE_EXAMPLES`` examples per operation and mode (default 3), so the five services together
stay within a few minutes on two cores.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from govmedia_common.keys import SigningKey, mint_token
from govmedia_platform.sockets import serving

EXAMPLES = int(os.environ.get("GOVMEDIA_CONFORMANCE_EXAMPLES", "3"))


def run_conformance(openapi: dict[str, Any], base_url: str, token: str) -> tuple[int, list[str]]:
    """Run schemathesis (blocking; in a thread). Returns (requests sent, failures)."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.core.result import Err

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_dict(openapi)
    headers = {"Authorization": f"Bearer {token}"}
    sent: list[int] = []
    failures: list[str] = []
    with requests.Session() as session:

        def make_run(operation: Any, mode: Any) -> Any:
            label = f"{operation.label} ({mode.value})"

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                try:
                    response = case.call(base_url=base_url, headers=headers, session=session, timeout=30)
                except requests.ConnectionError as exc:
                    failures.append(f"connection dropped: {label}: {exc!r}"[:300])
                    return
                sent.append(response.status_code)
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # a failed check, reported with its request
                    failures.append(f"{label} → {response.status_code}: {exc}"[:600])

            return run

        for result in schema.get_all_operations():
            if isinstance(result, Err):
                failures.append(f"an operation of the document is invalid: {result.err()}"[:600])
                continue
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    make_run(operation, mode)()
                except Exception as exc:  # nothing can be generated for this operation in this mode
                    if type(exc).__name__ not in ("Unsatisfiable", "InvalidArgument"):
                        raise
    return len(sent), failures


def token_for_everything(key: SigningKey, openapi: dict[str, Any], region: str = "330000") -> str:
    """A province office administrator's token with every scope the document names (the widest caller)."""
    flows = openapi["components"]["securitySchemes"]["OAuth2"]["flows"]
    return mint_token(
        key,
        subject="conformance-admin",
        name="Conformance Admin",
        region=region,
        roles=["office_admin", "office_staff", "auditor"],
        scopes=sorted(flows["password"]["scopes"]),
        ttl_seconds=3600,
    )


async def assert_conforms(app: FastAPI, token: str, *, at_least: int) -> None:
    """Serve ``app`` (lifespan on) and fail with every answer that contradicts its published OpenAPI."""
    async with serving(app) as base_url:
        sent, failures = await asyncio.to_thread(run_conformance, app.openapi(), base_url, token)
    assert sent >= at_least, f"only {sent} requests were generated"
    assert not failures, f"{len(failures)} of {sent} responses contradict the OpenAPI:\n" + "\n".join(
        failures
    )


def runs_on_the_event_loop(call: Callable[..., Any] | None) -> bool:
    """FastAPI awaits coroutine functions and async generators; anything else goes to its thread pool."""
    if call is None:
        return True
    method = None if inspect.isroutine(call) else type(call).__call__  # a callable instance (Authorize)
    return any(inspect.iscoroutinefunction(c) or inspect.isasyncgenfunction(c) for c in (call, method) if c)


def dependencies_of(dependant: Dependant) -> list[Dependant]:
    """Every dependency of a route, nested ones included."""
    found = []
    for sub in dependant.dependencies:
        found.append(sub)
        found.extend(dependencies_of(sub))
    return found
