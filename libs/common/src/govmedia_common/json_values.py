"""JSON types of request fields: an integer is a JSON integer, a number a JSON number, a boolean a boolean.

pydantic's lax mode reads ``"12"`` and ``true`` as the integer 12 and 1, ``12.0`` as 12, and ``"yes"``,
``"on"``, ``1`` or ``"true"`` as true: an integrator whose program sends a count as a string, or a flag as a
number, is never told, and a fuzzer's ``true`` becomes a count. The rule of every API of the platform:

- a whole number (a count, a level, a number of days) is a JSON integer: not ``12.0``, ``1e3``, ``"12"``,
  ``true`` or ``null`` (``-0`` is the integer 0);
- a number (a weight, a share) is a JSON number, an integer included: not ``"0.5"`` or ``true``;
- a boolean is ``true`` or ``false``: not ``1``, ``"true"`` or ``"yes"``.

Use :data:`JsonInt`, :data:`JsonNumber` and :data:`JsonBool` (with ``Field`` bounds beside them) for every
integer, number and boolean of a request body and of a settings section. They are strict in pydantic-core
itself (no Python call per value, so a bulk of 5,000 items costs nothing more), and the JSON Schema stays
``integer``, ``number`` and ``boolean``. A file importer whose cells are all text validates a row with
``model_validate(row, strict=False)``: the strictness given at call time overrides the types' own, so a CSV
cell ``12`` or ``true`` is still read.

:func:`wrong_type_message` says what was sent instead, for the ``errors`` of a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Strict
from pydantic_core import PydanticCustomError

JsonInt = Annotated[int, Strict()]
"""A JSON integer (not a float, a numeric string or a boolean)."""
JsonNumber = Annotated[float, Strict()]
"""A JSON number, an integer included (not a numeric string or a boolean)."""
JsonBool = Annotated[bool, Strict()]
"""``true`` or ``false`` (not 1, 0, ``"true"`` or ``"yes"``)."""

_WANTED = {
    "int_type": "a JSON integer (a whole number without quotes, decimal point or exponent)",
    "float_type": "a JSON number (without quotes)",
    "bool_type": "true or false (a JSON boolean, without quotes)",
}


def _sent(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        return f"the string {shown!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def wrong_type_message(error: Mapping[str, Any]) -> str | None:
    """For a pydantic error of a JSON value of the wrong type, a message naming what was wanted and what
    was sent (``must be a JSON integer …, not the string '12'``); None for any other error."""
    wanted = _WANTED.get(str(error.get("type", "")))
    if wanted is None or "input" not in error:
        return None
    return f"must be {wanted}, not {_sent(error['input'])}"


_SCHEMA_TYPES = {
    "integer": _WANTED["int_type"],
    "number": _WANTED["float_type"],
    "boolean": _WANTED["bool_type"],
    "string": "a JSON string",
    "object": "a JSON object",
    "array": "a JSON array",
}


def schema_type_message(wanted: str | Sequence[str], value: Any) -> str:
    """The same message for a JSON Schema ``type`` the value failed (``integer``, ``["number", "null"]``)."""
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    return f"must be {' or '.join(_SCHEMA_TYPES.get(n, n) for n in names)}, not {_sent(value)}"


# ------------------------------------------------------------------------------------- dates and times
# The lax mode reads a number, or digits in a string, as seconds (or milliseconds) since 1970: "event_date": 0
# was the day 1970-01-01, notify's "as_of": 1760000000 ran a sweep. A date or a date-time is ISO 8601
# text, as the OpenAPI says (a file importer's cells are text too, and go the same way).

_DIGITS = re.compile(r"^\s*[-+]?\d+(?:\.\d*)?\s*$")


def _iso_text(kind: str, example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value.__class__ is str and value.find("-", 1) > 0:
            return value  # the usual case, first and cheap (a bulk item's instants): 2025-10-14…
        if isinstance(value, bool | int | float) or (isinstance(value, str) and _DIGITS.match(value)):
            raise PydanticCustomError(
                f"{kind}_not_iso_8601",
                "must be ISO 8601 text such as {example}, not {sent}",
                {"example": example, "sent": _sent(value)},
            )
        return value

    return check


iso_date = _iso_text("date", "2025-10-14")
"""A before-validator: refuses a number (or digits in a string) where a date belongs."""
iso_datetime = _iso_text("datetime", "2025-10-14T09:30:00+08:00")
"""A before-validator: refuses a number (or digits in a string) where a date-time belongs."""
JsonDate = Annotated[date, BeforeValidator(iso_date)]
"""A date written as ISO 8601 text (2025-10-14), never a number."""
JsonDateTime = Annotated[AwareDatetime, BeforeValidator(iso_datetime)]
"""An instant with its zone written as ISO 8601 text, never a number."""


def error_message(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error as a refusal shows it."""
    return wrong_type_message(error) or str(error.get("msg", ""))


# ------------------------------------------------------------------------------------- open documents
# A body part whose content the schema leaves open (a region's settings, a lexicon's entries) is stored and
# announced as it comes. Its integers stay within I-JSON's range (RFC 7493 2.2, the RFC whose duplicate-key
# rule the edge already follows): beyond 64 bits the announcement cannot be serialised (orjson), beyond 2**53
# a consumer's JSON reader keeps another number.

SAFE_INTEGER = 2**53 - 1
T = TypeVar("T")


def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(map(str, path)) or "the document"


def safe_integers(value: T) -> T:
    """``value`` when every integer in it lies within ±(2**53 - 1); ValueError naming the first that does
    not, by its path inside the document."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > SAFE_INTEGER:
            shown = str(node) if len(str(node)) <= 40 else f"{str(node)[:40]}…"
            raise ValueError(
                f"{_where(path)}: {shown} is beyond the integers JSON readers keep exactly "
                f"(±{SAFE_INTEGER}, RFC 7493 I-JSON); no setting or entry is so large"
            )
    return value


JsonDocument = Annotated[dict[str, Any], AfterValidator(safe_integers)]
"""An object whose content the schema leaves open; its integers within I-JSON's range."""
JsonDocuments = Annotated[list[dict[str, Any]], AfterValidator(safe_integers)]
"""A list of such objects."""
