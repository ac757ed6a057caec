"""Compatibility of an event type's JSON Schema inside one version: what changed, and does it break anyone.

Used by :mod:`govmedia_platform.contracts` before it overwrites a committed schema.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["compatibility_problems"]


# ----------------------------------------------------------------------------------------------------------
# Compatibility inside a version
# ----------------------------------------------------------------------------------------------------------

# Keywords that only document: changing them never breaks anyone.
_ANNOTATIONS = frozenset({"title", "description", "examples", "$comment", "deprecated", "$schema", "$id"})
# Keywords handled structurally below; every other keyword is a constraint that must not change.
_STRUCTURAL = frozenset(
    {"$ref", "$defs", "type", "anyOf", "oneOf", "allOf", "properties", "required", "enum", "const"}
)
_SUBSCHEMAS = frozenset({"items", "additionalProperties", "propertyNames", "contains", "not"})
_SUBSCHEMA_MARK = {"items": "[]", "additionalProperties": "{}", "propertyNames": "{key}"}
# Root extensions that are part of the contract: the topic, key and owner of a type never change.
_ROOT_EXTENSIONS = ("x-topic", "x-key", "x-service", "x-aggregate")


class _Pair:
    """The two documents being compared, for resolving ``$ref`` in each."""

    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.in_progress: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(root)'}: {message}")


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    """Follow a local ``$ref`` (``#/...``), keeping the keywords written beside it."""
    hops = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **siblings}
        hops += 1
        if hops > 50:
            raise ValueError(f"reference loop at {ref!r}")
    return schema


def _types(schema: dict[str, Any]) -> tuple[str, ...]:
    declared = schema.get("type")
    if declared is None:
        return ()
    return tuple(sorted([declared] if isinstance(declared, str) else declared))


def _describe(schema: Any, root: dict[str, Any], depth: int = 0) -> str:
    if not isinstance(schema, dict):
        return json.dumps(schema)
    ref = schema.get("$ref")
    name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None
    schema = _resolve(schema, root)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema and depth < 3:
            return "|".join(_describe(s, root, depth + 1) for s in schema[combinator])
    kinds = "|".join(_types(schema)) or "any"
    if kinds == "array" and "items" in schema and depth < 3:
        return f"array of {_describe(schema['items'], root, depth + 1)}"
    return f"{kinds} ({name})" if name else kinds


def _allowed_values(schema: dict[str, Any]) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _compare(old: Any, new: Any, path: str, pair: _Pair) -> None:
    refs = (
        old.get("$ref", "") if isinstance(old, dict) else "",
        new.get("$ref", "") if isinstance(new, dict) else "",
    )
    if not (refs[0] and refs[1]):
        _compare_resolved(old, new, path, pair)
    elif refs not in pair.in_progress:  # otherwise a recursive model, compared further up already
        pair.in_progress.add(refs)
        try:
            _compare_resolved(old, new, path, pair)
        finally:
            pair.in_progress.discard(refs)


def _compare_resolved(old: Any, new: Any, path: str, pair: _Pair) -> None:
    old_desc, new_desc = _describe(old, pair.old_root), _describe(new, pair.new_root)
    old = _resolve(old, pair.old_root)
    new = _resolve(new, pair.new_root)
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old != new:
            pair.report(path, f"changed schema {json.dumps(old)} -> {json.dumps(new)}")
        return

    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in old or combinator in new:
            old_branches, new_branches = old.get(combinator), new.get(combinator)
            if old_branches is None or new_branches is None or len(old_branches) != len(new_branches):
                pair.report(path, f"changed type: {old_desc} -> {new_desc}")
                return
            for i, (o, n) in enumerate(zip(old_branches, new_branches, strict=True)):
                _compare(o, n, f"{path}<{i}>", pair)

    if _types(old) != _types(new):
        pair.report(path, f"changed type: {old_desc} -> {new_desc}")
        return

    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if old_values is not None:
        if new_values is None:
            pass  # widened to any value of the type: additive
        else:
            removed = [v for v in old_values if v not in new_values]
            if removed:
                pair.report(path, f"narrowed enum: removed {', '.join(json.dumps(v) for v in removed)}")
    elif new_values is not None:
        pair.report(path, f"narrowed to the values {', '.join(json.dumps(v) for v in new_values)}")

    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name in old_props:
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            pair.report(where, "removed property")
            continue
        if name in old_required and name not in new_required:
            pair.report(where, "no longer required (consumers rely on it being there)")
        _compare(old_props[name], new_props[name], where, pair)
    for name in new_props:
        if name not in old_props and name in new_required:
            where = f"{path}.{name}" if path else name
            pair.report(where, "new required property (events already on the topic do not have it)")
    for name in sorted(new_required - old_required):
        if name in old_props:
            pair.report(f"{path}.{name}" if path else name, "became required")

    for keyword in sorted((set(old) | set(new)) - _ANNOTATIONS - _STRUCTURAL):
        if keyword.startswith("x-"):
            continue
        in_old, in_new = keyword in old, keyword in new
        if keyword in _SUBSCHEMAS and in_old and in_new:
            _compare(old[keyword], new[keyword], f"{path}{_SUBSCHEMA_MARK.get(keyword, '/' + keyword)}", pair)
        elif not in_old:
            pair.report(path, f"added constraint {keyword}={json.dumps(new[keyword], ensure_ascii=False)}")
        elif not in_new:
            pair.report(path, f"removed constraint {keyword}={json.dumps(old[keyword], ensure_ascii=False)}")
        elif old[keyword] != new[keyword]:
            old_value = json.dumps(old[keyword], ensure_ascii=False)
            new_value = json.dumps(new[keyword], ensure_ascii=False)
            pair.report(path, f"changed {keyword}: {old_value} -> {new_value}")


def compatibility_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Breaking changes from the committed schema ``old`` to the current schema ``new`` of one event type.

    Allowed (additive): a new optional property, a new enum value, new definitions, changed wording.
    Breaking: a removed property, a changed type, a new required property, a property no longer required,
    a narrowed enum, any added, removed or changed constraint (format, pattern, bounds, default...), and a
    changed topic, key or owner. An empty list means compatible.
    """
    pair = _Pair(old, new)
    for extension in _ROOT_EXTENSIONS:
        if old.get(extension) != new.get(extension):
            pair.report("", f"changed {extension}: {old.get(extension)!r} -> {new.get(extension)!r}")
    _compare(old, new, "", pair)
    return pair.problems
