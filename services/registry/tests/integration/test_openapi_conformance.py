"""schemathesis against the registry's published OpenAPI: no answer contradicts the documented status codes,
content types and response schemas (and none is a 5xx). Positive and negative requests, fixed seed.

Budget: ``GOVMEDIA_CONFORMANCE_EXAMPLES`` examples per operation and mode (default 3).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import requests

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.sockets import serving
from govmedia_registry.identity import tokens
from govmedia_registry.main import create_app
from services.registry.tests.integration.conftest import _TEST_HASHER
from services.registry.tests.integration.factory import ADMIN_PASSWORD, START

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("GOVMEDIA_CONFORMANCE_EXAMPLES", "3"))


def _conformance(openapi: dict[str, Any], base_url: str, token: str) -> tuple[int, list[str]]:
    """Run schemathesis (blocking; in a thread). Returns (requests sent, failures)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

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
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    make_run(operation, mode)()
                except Exception as exc:  # nothing can be generated for this operation in this mode
                    if type(exc).__name__ not in ("Unsatisfiable", "InvalidArgument"):
                        raise
    return len(sent), failures


async def test_no_response_contradicts_the_published_openapi(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "conformance_registry", "registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
        mp.setattr(tokens, "_hasher", _TEST_HASHER)
        settings = ServiceSettings(
            service_name="registry",
            environment="test",
            database_url=url,
            kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
            run_consumers=False,
            log_json=False,
            log_level="ERROR",
        )
        app = create_app(settings, clock=FixedClock(START))
        async with serving(app) as base_url:
            login = await asyncio.to_thread(
                requests.post,
                f"{base_url}/v1/auth/token",
                data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            openapi = app.openapi()
            sent, failures = await asyncio.to_thread(
                _conformance, openapi, base_url, login.json()["access_token"]
            )
    assert sent > 100, f"only {sent} requests were generated"
    assert not failures, f"{len(failures)} of {sent} responses contradict the OpenAPI:\n" + "\n".join(
        failures
    )
