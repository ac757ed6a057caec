"""Every dependency the common library gives a route is awaited on the event loop, none in the thread pool.

FastAPI runs a plain-function dependency in its thread pool: a thread wake-up and two GIL hand-overs on every
request of every service, for no work at all. The probe below walks a route that uses every dependency alias
``govmedia_common.app`` exports (``SessionDep``, ``RuntimeDep``, …) and an ``Authorize`` caller.
"""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute

from govmedia_common import app as common_app
from govmedia_common.app import Authorize
from govmedia_common.auth import Principal
from govmedia_platform.conformance import dependencies_of, runs_on_the_event_loop


def _common_dependency_aliases() -> dict[str, Any]:
    """The module's ``X = Annotated[T, Depends(f)]`` aliases, found by looking, not by a list kept here."""
    aliases = {}
    for name, value in vars(common_app).items():
        if typing.get_origin(value) is Annotated and any(
            isinstance(m, DependsParam) for m in value.__metadata__
        ):
            aliases[name] = value
    return aliases


def _route_using_every_common_dependency() -> APIRoute:
    aliases = _common_dependency_aliases()
    caller = Annotated[Principal, Depends(Authorize("probe:read"))]

    async def endpoint(**kwargs: Any) -> None: ...

    params = [
        inspect.Parameter(name.lower(), inspect.Parameter.KEYWORD_ONLY, annotation=alias)
        for name, alias in aliases.items()
    ]
    params.append(inspect.Parameter("caller", inspect.Parameter.KEYWORD_ONLY, annotation=caller))
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # what FastAPI reads
    router = APIRouter()
    router.add_api_route("/probe", endpoint, methods=["POST"])
    route = router.routes[0]
    assert isinstance(route, APIRoute)
    return route


def test_the_probe_finds_the_common_dependency_aliases() -> None:
    assert {"SessionDep", "RuntimeDep"} <= set(_common_dependency_aliases())


def test_no_common_dependency_of_a_route_runs_in_the_thread_pool() -> None:
    deps = dependencies_of(_route_using_every_common_dependency().dependant)
    assert len(deps) >= 4  # the session, the runtime, the caller and its bearer credentials
    sync = [d.call for d in deps if not runs_on_the_event_loop(d.call)]
    assert sync == [], f"these dependencies hop to a worker thread on every request: {sync}"


def test_the_probe_tells_a_plain_function_from_a_coroutine() -> None:
    def plain() -> None: ...

    async def coroutine() -> None: ...

    assert not runs_on_the_event_loop(plain)
    assert runs_on_the_event_loop(coroutine)
