"""No route of any service sends a dependency to FastAPI's thread pool: a plain ``def`` dependency costs a
worker-thread hop on every request (the runtime dependency did, in every service)."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from govmedia_platform.conformance import dependencies_of, runs_on_the_event_loop
from govmedia_platform.openapi_contracts import offline_app
from govmedia_platform.stack import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_no_dependency_of_any_route_runs_in_the_thread_pool(service: str) -> None:
    routes = [r for r in offline_app(service).routes if isinstance(r, APIRoute)]
    assert routes
    sync = sorted(
        {
            f"{route.path} {sorted(route.methods or ())}: {getattr(dep.call, '__qualname__', dep.call)}"
            for route in routes
            for dep in dependencies_of(route.dependant)
            if not runs_on_the_event_loop(dep.call)
        }
    )
    assert sync == [], f"these dependencies hop to a worker thread on every request: {sync}"


def test_the_probe_tells_a_plain_function_from_a_coroutine_and_a_callable_instance() -> None:
    def plain() -> None: ...

    async def coroutine() -> None: ...

    class Checker:
        async def __call__(self) -> None: ...

    class SyncChecker:
        def __call__(self) -> None: ...

    assert not runs_on_the_event_loop(plain)
    assert runs_on_the_event_loop(coroutine)
    assert runs_on_the_event_loop(Checker())
    assert not runs_on_the_event_loop(SyncChecker())
