"""schemathesis over the OpenAPI of all five services: whatever it generates, no answer is a 5xx.

Each service runs in this process (uvicorn on a loopback socket, real PostgreSQL and broker); the registry
issues a real token and the other four verify it against the registry's JWKS, as in production. For each
operation schemathesis draws a bounded number of valid (positive) and invalid (negative) requests, with
a fixed seed so a run is reproducible; the test lists every request that got a 5xx, with a curl line.
Budget: ``GOVMEDIA_FUZZ_EXAMPLES`` examples per operation and mode (default 6).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from tests.hostile.harness import (
    ADMIN_PASSWORD,
    START,
    Setup,
    registry_settings,
    service_settings_for,
    serving,
)

pytestmark = pytest.mark.integration

SERVICES = ("registry", "review", "monitor", "notify", "scoring")
EXAMPLES = int(os.environ.get("GOVMEDIA_FUZZ_EXAMPLES", "6"))


def _fuzz(openapi: dict[str, Any], base_url: str, token: str, examples: int) -> tuple[int, list[str]]:
    """Run schemathesis against one service (blocking; call in a thread). Returns (requests, 5xx lines)."""
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_dict(openapi)
    headers = {"Authorization": f"Bearer {token}"}
    sent: list[int] = []
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an invalid schema fails here, loudly
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run = _one_operation(operation, mode, base_url, headers, session, examples, sent, failures)
                try:
                    run()
                except Exception as exc:  # nothing can be generated for this operation in this mode
                    if type(exc).__name__ not in ("Unsatisfiable", "InvalidArgument"):
                        raise
    return len(sent), failures


def _one_operation(
    operation: Any,
    mode: Any,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    examples: int,
    sent: list[int],
    failures: list[str],
) -> Any:
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(
        max_examples=examples,
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
        except requests.ConnectionError as exc:  # a dropped connection is as bad as a 5xx
            failures.append(f"connection dropped: {operation.label} ({mode.value}): {exc!r}"[:500])
            return
        sent.append(response.status_code)
        if response.status_code >= 500:
            failures.append(
                f"{response.status_code} {operation.label} ({mode.value}): {response.text[:300]}\n"
                f"    {case.as_curl_command(headers=headers)}"
            )

    return run


@contextlib.asynccontextmanager
async def _serve_all(infra: Infrastructure) -> AsyncIterator[dict[str, str]]:
    import importlib

    from govmedia_common.workdays import FixedClock

    clock = FixedClock(START)
    urls: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
            mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
            from govmedia_registry.main import create_app

            db = await fresh_database(infra, "fuzz_registry", "registry")
            registry = create_app(registry_settings(db, infra), clock=clock)
            urls["registry"] = await stack.enter_async_context(serving(registry))
            for service in SERVICES[1:]:
                main = importlib.import_module(f"govmedia_{service}.main")
                db = await fresh_database(infra, f"fuzz_{service}", service)
                settings = service_settings_for(
                    service, db, infra, jwks_url=f"{urls['registry']}/.well-known/jwks.json"
                )
                app = main.create_app(settings, clock=clock)
                urls[service] = await stack.enter_async_context(serving(app))
            yield urls


async def test_no_generated_request_gets_a_server_error_from_any_service(
    infra: Infrastructure, kafka_topics: None
) -> None:
    import httpx

    async with _serve_all(infra) as urls:
        async with httpx.AsyncClient(base_url=urls["registry"]) as client:
            token = await Setup(client).admin()
        report: list[str] = []
        total = 0
        for service, url in urls.items():
            async with httpx.AsyncClient(base_url=url) as client:
                openapi = (await client.get("/openapi.json")).json()
            sent, failures = await asyncio.to_thread(_fuzz, openapi, url, token, EXAMPLES)
            total += sent
            print(f"schemathesis {service}: {sent} requests, {len(failures)} server errors")
            report += [f"[{service}] {f}" for f in failures]
        assert total > 100, f"only {total} requests were generated"
        assert not report, f"{len(report)} server errors in {total} requests:\n" + "\n".join(report)
