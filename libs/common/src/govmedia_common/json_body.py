"""Checks of a JSON body beyond its text (``govmedia_common.inputs`` runs them at the edge, every service).

- a compressed body (``Content-Encoding``) → 415 with ``Accept-Encoding: identity``; a JSON body declared
  in a charset other than UTF-8 → 415;
- NaN, Infinity and numbers beyond a double, which Python's JSON reader (the app's) takes although
  RFC 8259 has none: :func:`non_finite_number` says when the exact parse must run;
- an object naming a key twice (RFC 7493 2.3) → 422, in bodies up to :data:`SMALL_JSON_BYTES`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from govmedia_common.problems import InputRefused, Problem

# An escape pair (an escaped quote is no quote) and a string once escape pairs are gone: what lies outside
# the strings of a body is its structure and its numbers (shared with the depth check of inputs).
ESCAPE_PAIR = re.compile(rb"\\.", re.DOTALL)
QUOTED = re.compile(rb'"[^"]*"')
# Numbers RFC 8259 does not have, which Python's JSON reader (the app's) still takes: NaN, Infinity, and an
# exponent of three digits (1e400 is read as infinity). Only outside strings do they count.
_NON_FINITE = re.compile(rb"NaN|Infinity|\d[eE][+-]?\d{3}")
NUMBER_HINT = "JSON numbers are finite: no NaN or Infinity, nothing beyond about 1.8e308"
# Above this size (bulk bodies) only the literals NaN and Infinity are looked for, in C at memchr speed: the
# exponent pattern matches inside most UUIDs (…3e123…), and proving each match outside the strings costs
# more than the whole depth check. Bulk schemas are typed: their numeric fields refuse an infinite value
# themselves, naming the field.
SMALL_JSON_BYTES = 65_536


def non_finite_number(raw: bytes) -> bool:
    """Whether ``raw`` may hold a number the app's JSON reader would turn into NaN or infinity."""
    if len(raw) <= SMALL_JSON_BYTES:
        if _NON_FINITE.search(raw) is None:
            return False
    elif raw.find(b"NaN") < 0 and raw.find(b"Infinity") < 0:
        return False
    outside = QUOTED.sub(b"", ESCAPE_PAIR.sub(b"", raw) if b"\\" in raw else raw)
    return _NON_FINITE.search(outside) is not None


def check_content_encoding(value: str | None) -> None:
    """Refuse a compressed body (415 with ``Accept-Encoding: identity``, RFC 9110 15.5.16): the services
    read bodies as they come, so gzip bytes used to be judged "not valid JSON"."""
    codings = [c.strip().lower() for c in (value or "").split(",") if c.strip()]
    unsupported = [c for c in codings if c != "identity"]
    if unsupported:
        raise InputRefused(
            Problem(
                415,
                "unsupported-content-encoding",
                f"The body is sent with Content-Encoding {', '.join(unsupported)}, which is not accepted: "
                "send it uncompressed (no Content-Encoding, or identity).",
                headers={"Accept-Encoding": "identity"},
                accepted_encodings=["identity"],
            )
        )


_UTF8_NAMES = frozenset({"utf-8", "utf8"})


def check_charset(params: str) -> None:
    """Refuse a JSON body declared in a charset other than UTF-8 (RFC 8259 8.1: JSON is UTF-8): a system
    sending GBK and saying so used to be told about "surrogates" instead."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() != "charset":
            continue
        charset = value.strip().strip('"').strip()
        if charset.lower() not in _UTF8_NAMES:
            raise InputRefused(
                Problem(
                    415,
                    "unsupported-charset",
                    f"The body is declared as charset={charset[:40]}; JSON is accepted in UTF-8 only. "
                    "Encode it as UTF-8 and send 'Content-Type: application/json' (or charset=utf-8).",
                    expected="application/json; charset=utf-8",
                )
            )


def check_unique_keys(raw: bytes) -> None:
    """Refuse an object that names a key twice (RFC 7493 2.3), in a body up to :data:`SMALL_JSON_BYTES`.

    The app's reader keeps the last value silently, so a gateway, a log or a reviewer reading the first saw
    another request than the one applied (``{"name": "甲局", …, "name": "乙局"}``). Bulk bodies are
    not parsed twice for this (about three times the cost of the rest of the edge): their records are typed,
    and a record naming a field twice still keeps the last value.
    """
    if len(raw) > SMALL_JSON_BYTES:
        return
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items) and not repeated:
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    repeated.append(key)
                    break
                seen.add(key)
        return obj

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return  # not JSON the app can read either: it answers invalid-json itself
    if repeated:
        key = repeated[0][:64]
        raise InputRefused(
            Problem(
                422,
                "duplicate-key",
                f"The body names the key {key!r} twice in one object; send each key once.",
                errors=[{"location": "body", "message": f"{key!r} given twice", "type": "duplicate_key"}],
            )
        )
