"""Query parameters, as strict as JSON bodies: the names a route takes, and their values written one way.

A query string is text, and pydantic's lax mode reads much of it: ``?limit=10.0``, ``?limit=+10``,
``?limit=1_000`` or ``?limit= 10`` were page sizes, ``?overdue=yes``, ``on``, ``1``, ``t`` or ``y`` were true
(and ``no``, ``off``, ``0``, ``f``, ``n`` false), ``?day=2025-10-14T00:00`` was a day. An integrator's bug
(a float where a count belongs, a flag as its integer) was never told, and the same request meant one
thing here and another at the next service. The rule of every API of the platform, in the query string as
in a JSON body (:mod:`govmedia_common.json_values`):

- an integer is decimal digits with an optional ``-`` (``50``, ``-1`` for the bounds to refuse);
- a boolean is ``true`` or ``false``;
- a date is ``YYYY-MM-DD``.

Anything else is a 422 ``validation-error`` naming ``query.<name>``, what it must be and what was sent,
before the route's own validation. An unknown name is a 422 ``unknown-parameter`` (a typo used to be
dropped without a word); a repeated one a 422 ``repeated-parameter`` (at the edge, :mod:`inputs`).

Every route gets this from its parameters' types: for a route with a token from
:class:`govmedia_common.app.Authorize`, after the token is verified (a caller who may not call the route
learns nothing of its parameters), for a public one before it runs.
"""

from __future__ import annotations

import difflib
import re
import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from govmedia_common.errors import echo
from govmedia_common.problems import Problem

_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "integer": (re.compile(r"-?[0-9]+"), "an integer in decimal digits (such as 50)"),
    "boolean": (re.compile(r"true|false"), "true or false"),
    "date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "an ISO 8601 day, YYYY-MM-DD (such as 2025-10-14)"),
}


def _kind(annotation: Any) -> str | None:
    """``integer``, ``boolean`` or ``date`` for a parameter of that type (optional or not), else None."""
    if get_origin(annotation) is Annotated:
        return _kind(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if annotation is date:  # not a datetime (a subclass): none is a query parameter of ours
        return "date"
    return None


def query_fields(route: Any) -> dict[str, str | None]:
    """The query parameters ``route`` takes, its dependencies' included, each with its strict form's kind
    (one walk per route, kept on it)."""
    known: dict[str, str | None] | None = getattr(route, "_govmedia_query_fields", None)
    if known is None:
        fields: dict[str, str | None] = {}
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            for field in dependant.query_params:
                annotation = getattr(field.field_info, "annotation", None)
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a model of them
                    for n, f in annotation.model_fields.items():
                        fields[f.alias or n] = _kind(f.annotation)
                else:
                    fields[field.alias] = _kind(annotation)
            stack.extend(dependant.dependencies)
        known = fields
        route._govmedia_query_fields = known
    return known


def check_query(request: Any) -> None:
    """422 naming a query parameter the route does not take, or a query or path parameter's value not written
    in its strict form (``/v1/calendar/2026.0``, ``+2026`` were the year 2026)."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    known = query_fields(route)
    for name, value in request.query_params.multi_items():
        if name not in known:
            shown = echo(name, 64)
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            takes = ", ".join(sorted(known)) or "no query parameters"
            raise Problem(
                422,
                "unknown-parameter",
                f"The query parameter {shown!r} is not one this endpoint takes; {hint}it takes {takes}.",
                errors=[
                    {
                        "location": f"query.{shown}",
                        "message": "unknown parameter",
                        "type": "unknown_parameter",
                    }
                ],
            )
        _check_form("query", name, known[name], value)
    for name, kind in path_fields(route).items():
        value = request.path_params.get(name)
        if isinstance(value, str):
            _check_form("path", name, kind, value)


def path_fields(route: Any) -> dict[str, str]:
    """The typed path parameters of ``route`` (``/v1/calendar/{year}``), each with its strict form's kind."""
    known: dict[str, str] | None = getattr(route, "_govmedia_path_fields", None)
    if known is None:
        known = {}
        for field in route.dependant.path_params:
            kind = _kind(getattr(field.field_info, "annotation", None))
            if kind is not None:
                known[field.alias] = kind
        route._govmedia_path_fields = known
    return known


def _check_form(where: str, name: str, kind: str | None, value: str) -> None:
    if kind is None:
        return
    pattern, wanted = _FORMS[kind]
    if pattern.fullmatch(value) is None:
        message = f"must be {wanted}, not {echo(value, 40)!r}"
        raise Problem(
            422,
            "validation-error",
            f"The request is invalid at: {where}.{name}: it {message}.",
            errors=[{"location": f"{where}.{name}", "message": message, "type": f"{kind}_form"}],
        )
