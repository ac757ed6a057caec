"""The submit route awaits every dependency on the event loop: none hops to FastAPI's thread pool.

FastAPI runs a plain-function dependency in its thread pool; on the write path that is a thread wake-up
and two GIL hand-overs on every submission, for no work at all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from govmedia_review.api import router


def _runs_on_the_event_loop(call: Callable[..., Any] | None) -> bool:
    """FastAPI awaits coroutine functions and async generators; anything else goes to its thread pool."""
    if call is None:
        return True
    method = None if inspect.isroutine(call) else type(call).__call__  # a callable instance (Authorize)
    return any(inspect.iscoroutinefunction(c) or inspect.isasyncgenfunction(c) for c in (call, method) if c)


def _dependencies(dependant: Dependant) -> list[Dependant]:
    found = []
    for sub in dependant.dependencies:
        found.append(sub)
        found.extend(_dependencies(sub))
    return found


def test_no_dependency_of_the_submit_route_runs_in_the_thread_pool() -> None:
    route = next(
        r for r in router.routes if isinstance(r, APIRoute) and r.path == "/v1/posts" and "POST" in r.methods
    )
    deps = _dependencies(route.dependant)
    assert len(deps) >= 3  # the session, the caller's token, the runtime
    sync = [d.call for d in deps if not _runs_on_the_event_loop(d.call)]
    assert sync == [], f"these dependencies hop to a worker thread on every submission: {sync}"


def test_the_probe_tells_a_plain_function_from_a_coroutine() -> None:
    def plain() -> None: ...

    async def coroutine() -> None: ...

    assert not _runs_on_the_event_loop(plain)
    assert _runs_on_the_event_loop(coroutine)
