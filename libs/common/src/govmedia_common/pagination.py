"""Opaque cursor pagination: the cursor encodes the sort key of the last item returned."""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

from govmedia_common.inputs import text_problem
from govmedia_common.problems import Problem

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Opaque; absent on the last page.")


def encode_cursor(values: list[Any], *, of: str | None = None) -> str:
    """The cursor after the item whose sort key is ``values``; ``of`` names the list (its route, e.g.
    ``"/v1/accounts"``), so that the cursor of one list given to another is refused, not read as a place in
    it (a UUID of an account read as the place after a unit of that id)."""
    payload = [of, *values] if of is not None else values
    return base64.urlsafe_b64encode(orjson.dumps(payload, default=str)).decode().rstrip("=")


def invalid_cursor() -> Problem:
    """422 naming the ``cursor`` query parameter, shaped like every other invalid parameter's answer."""
    message = "not a cursor this API returned; start without it"
    return Problem(
        422,
        "invalid-cursor",
        f"The request is invalid at: query.cursor ({message}).",
        errors=[{"location": "query.cursor", "message": message, "type": "invalid_cursor"}],
    )


_invalid = invalid_cursor


def decode_cursor(cursor: str | None, *shape: type, of: str | None = None) -> list[Any] | None:
    """The sort key of the last item seen, or None; a malformed cursor is a 422 problem naming ``cursor``.

    ``shape`` is the type of each value the list's own cursors hold (e.g. ``decode_cursor(c, str)`` for a
    list sorted by a text id, ``decode_cursor(c, int)`` for a sequence number): a cursor of any other
    shape (``[1]`` where an id is expected, ``[null]``, ``[{"a": 1}]``) is refused here instead of
    reaching the database as a value of the wrong type. ``of`` is the list's name given to
    :func:`encode_cursor`: a cursor of another list (or of none) is refused as well.
    """
    if not cursor:
        return None
    if len(cursor) > 1_000:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise _invalid() from exc
    if not isinstance(values, list):
        raise _invalid()
    if of is not None:
        if not values or values[0] != of:
            raise _invalid()  # another list's cursor: its values are no place in this one
        values = values[1:]
    if shape:
        if len(values) != len(shape):
            raise _invalid()
        for value, kind in zip(values, shape, strict=True):
            # bool is an int to Python but never a sort key here; text must be storable text.
            if isinstance(value, bool) or not isinstance(value, kind):
                raise _invalid()
            if isinstance(value, str) and (len(value) > 200 or text_problem(value) is not None):
                raise _invalid()
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise _invalid()
    return values
