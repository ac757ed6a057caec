"""Generated contracts of the event catalogue, and the check that keeps them honest.

A build-time tool (not imported by any service at run time). From the classes in
:mod:`govmedia_common.events.catalogue` this module generates

* ``contracts/schemas/<event type>.json``: one JSON Schema (draft 2020-12) per event type, with ``$id`` set to
  the type and ``x-topic``, ``x-key``, ``x-service`` and ``x-aggregate`` extensions;
* ``contracts/asyncapi.yaml``: an AsyncAPI 3.0.0 document with one channel per topic, one message per event
  type (CloudEvents binary-mode headers, Kafka key) and one ``send`` operation per topic for its owner.

Output is deterministic (keys sorted, two-space indentation, trailing newline), so the committed files can be
compared byte for byte with what the code produces.

``check_contracts`` reports drift (committed files differ from the code) and breaking changes inside a
version: the committed schema of a type is the baseline, and the only changes allowed against it are a new
optional property, a new enum value and wording (titles, descriptions, examples). ``write_contracts``
refuses to overwrite a schema with a breaking change; publish a new type (``.v2``) instead.

Command line::

    python -m govmedia_platform.contracts write [--root .]
    python -m govmedia_platform.contracts check [--root .]
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from govmedia_common.events import CATALOGUE, Event
from govmedia_platform.compatibility import compatibility_problems

__all__ = [
    "ASYNCAPI_PATH",
    "SCHEMAS_DIR",
    "SCHEMA_DIALECT",
    "BreakingChangeError",
    "asyncapi_document",
    "check_contracts",
    "compatibility_problems",
    "generated_files",
    "json_schema",
    "main",
    "render_json",
    "render_yaml",
    "stale_schemas",
    "write_contracts",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS_DIR = Path("contracts/schemas")
ASYNCAPI_PATH = Path("contracts/asyncapi.yaml")
KAFKA_BINDING_VERSION = "0.5.0"

_BREAKING_MARK = "breaking change inside a version"
_FIX_BREAKING = (
    "A change inside a version must be additive (a new optional field, a new enum value). "
    "Undo it, or publish the changed event as a new type with the next version, next to the old one:"
)
_FIX_DRIFT = "Run `make contracts` (python -m govmedia_platform.contracts write) and commit contracts/."


class _SchemaGenerator(GenerateJsonSchema):
    """Pydantic's generator without the per-field titles it derives from field names (noise in a contract)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _events() -> list[type[Event]]:
    return [CATALOGUE[t] for t in sorted(CATALOGUE)]


def json_schema(cls: type[Event]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one event type's data, as committed under ``contracts/schemas``."""
    schema = cls.model_json_schema(mode="validation", schema_generator=_SchemaGenerator)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": cls.event_type,
        **schema,
        "x-aggregate": cls.aggregate_type,
        "x-key": cls.key_field,
        "x-service": cls.service,
        "x-topic": cls.topic,
    }


def _next_version(event_type: str) -> str:
    stem, version = event_type.rsplit(".v", 1)
    return f"{stem}.v{int(version) + 1}" if version.isdigit() else f"{event_type}.v2"


def schema_path(event_type: str) -> Path:
    """Where the schema of an event type lives, relative to the repository root."""
    return SCHEMAS_DIR / f"{event_type}.json"


# ----------------------------------------------------------------------------------------------------------
# AsyncAPI
# ----------------------------------------------------------------------------------------------------------

_TRACEPARENT = "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "CloudEventHeaders",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode, plus W3C trace context. "
    "Header values are UTF-8 strings. The message value is the event data as JSON; "
    "the message key is the aggregate id.",
    "required": ["ce_id", "ce_source", "ce_specversion", "ce_type", "ce_time", "ce_subject", "content-type"],
    "properties": {
        "ce_id": {
            "type": "string",
            "minLength": 1,
            "description": "Unique id of this event. Redeliveries repeat it: consumers deduplicate on it.",
        },
        "ce_source": {
            "type": "string",
            "pattern": "^/govmedia/[a-z]+$",
            "description": "The owning service, as /govmedia/<service>.",
        },
        "ce_specversion": {"type": "string", "const": "1.0", "description": "CloudEvents version."},
        "ce_type": {
            "type": "string",
            "description": "Versioned event type, e.g. gov.registry.account.filed.v1; selects the schema.",
        },
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "When the fact happened (RFC 3339): the data's occurred_at, the business time "
            "recorded by the owner (CloudEvents' time of the occurrence), not when the record was "
            "produced; that is the Kafka record timestamp (CreateTime, set on publishing).",
        },
        "ce_subject": {
            "type": "string",
            "description": "The aggregate id: the same value as the Kafka message key.",
        },
        "content-type": {
            "type": "string",
            "const": "application/json",
            "description": "Media type of the message value.",
        },
        "traceparent": {
            "type": "string",
            "pattern": _TRACEPARENT,
            "description": "W3C trace context of the request that caused the event, when there was one.",
        },
        "tracestate": {"type": "string", "description": "W3C trace state accompanying traceparent."},
    },
}


def _summary(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.split("\n", 1)[0].strip()


def _add_component(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different schemas are both named {name!r}; rename one of the classes")
    schemas[name] = schema


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document describing every topic, message and owning service."""
    schemas: dict[str, Any] = {"CloudEventHeaders": _HEADERS_SCHEMA}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for cls in _events():
        name = cls.__name__
        payload = cls.model_json_schema(
            mode="validation",
            schema_generator=_SchemaGenerator,
            ref_template="#/components/schemas/{model}",
        )
        for def_name, definition in payload.pop("$defs", {}).items():
            _add_component(schemas, def_name, definition)
        _add_component(schemas, name, payload)

        key_schema = {k: v for k, v in payload["properties"][cls.key_field].items() if k != "description"}
        key_schema["description"] = f"The {cls.aggregate_type} id: the value of the `{cls.key_field}` field."
        if name in messages:
            raise ValueError(f"two event types share the class name {name!r}")
        messages[name] = {
            "name": name,
            "title": name,
            "summary": _summary(cls),
            "contentType": "application/json",
            "headers": {
                "allOf": [
                    {"$ref": "#/components/schemas/CloudEventHeaders"},
                    {
                        "type": "object",
                        "properties": {
                            "ce_source": {"const": cls.source()},
                            "ce_type": {"const": cls.event_type},
                        },
                    },
                ]
            },
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "correlationId": {
                "description": "Trace context of the request that caused the event.",
                "location": "$message.header#/traceparent",
            },
            "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING_VERSION, "key": key_schema}},
            "x-event-type": cls.event_type,
        }

        channel = channels.setdefault(
            cls.topic,
            {
                "address": cls.topic,
                "title": cls.topic,
                "description": f"Owned by the {cls.service} service. Message key: `{cls.key_field}` "
                f"(one {cls.aggregate_type}'s events stay in one partition, in order).",
                "messages": {},
                "x-key": cls.key_field,
                "x-service": cls.service,
            },
        )
        if channel["x-service"] != cls.service or channel["x-key"] != cls.key_field:
            raise ValueError(f"{cls.topic}: every event on a topic needs the same owner and key ({name})")
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}

        operation = operations.setdefault(
            f"{cls.topic}.send",
            {
                "action": "send",
                "channel": {"$ref": f"#/channels/{cls.topic}"},
                "summary": f"The {cls.service} service publishes these events (transactional outbox).",
                "tags": [{"name": cls.service}],
                "messages": [],
            },
        )
        operation["messages"].append({"$ref": f"#/channels/{cls.topic}/messages/{name}"})

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "govmedia events",
            "version": "1.0.0",
            "description": "Events published by the govmedia services (政务新媒体管理平台) on Kafka. "
            "Each message type is versioned on its own through ce_type; this document lists every type "
            "in the catalogue. "
            "Generated from govmedia_common.events.catalogue; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The deployment's Kafka bootstrap servers.",
                "variables": {"bootstrap": {"default": "localhost:9092"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


# ----------------------------------------------------------------------------------------------------------
# Deterministic rendering
# ----------------------------------------------------------------------------------------------------------


def render_json(document: Any) -> str:
    """JSON with sorted keys, two-space indentation, UTF-8 kept readable, and a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_YAML_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})


def _yaml_printable(char: str) -> bool:
    code = ord(char)
    return (
        code in (0x09, 0x0A, 0x0D, 0x85)
        or 0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code >= 0x10000
    ) and code not in (0x2028, 0x2029)


def _yaml_string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if _yaml_printable(c) else f"\\u{ord(c):04x}" for c in quoted)


def _yaml_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"YAML keys must be strings here, got {key!r}")
    if _PLAIN_KEY.match(key) and key.lower() not in _YAML_RESERVED:
        return key
    return _yaml_string(key)


def _yaml_inline(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = json.dumps(value)
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, str):
        return _yaml_string(value)
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, list | tuple) and not value:
        return "[]"
    raise TypeError(f"cannot render {type(value).__name__} inline")


def _is_block(value: Any) -> bool:
    return isinstance(value, dict | list | tuple) and bool(value)


def _yaml_lines(value: Any, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if _is_block(item):
                out.append(f"{pad}{_yaml_key(key)}:")
                _yaml_lines(item, indent + 1, out)
            else:
                out.append(f"{pad}{_yaml_key(key)}: {_yaml_inline(item)}")
    else:
        for item in value:
            if _is_block(item):
                nested: list[str] = []
                _yaml_lines(item, indent + 1, nested)
                out.append(f"{pad}- {nested[0][len(pad) + 2 :]}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_yaml_inline(item)}")


def render_yaml(document: Any) -> str:
    """Block-style YAML (1.2 and 1.1 compatible) with sorted keys and every string double-quoted.

    Written here rather than with a YAML library so that the output is stable and the package needs no
    extra dependency.
    """
    if not _is_block(document):
        return _yaml_inline(document) + "\n"
    lines: list[str] = []
    _yaml_lines(document, 0, lines)
    return "\n".join(lines) + "\n"


# The sections of a region's settings that other services read, and the model each reads its section with.
# The registry owns the settings and checks each section against these schemas when a region's settings are
# put, so a wrong type or an unknown key is refused there, naming the key, rather than ignored later by the
# service that reads it. Written into the registry's package (it imports no other service).
SETTINGS_SECTIONS = {
    "monitor": "govmedia_monitor.rules.thresholds:MonitorSettings",
    "notify": "govmedia_notify.rules:NotifyRules",
    "scoring": "govmedia_scoring.rules:ScoringRules",
}
SETTINGS_SECTIONS_DIR = Path("services/registry/src/govmedia_registry/regions/sections")


def settings_section_schema(section: str) -> dict[str, Any]:
    """The JSON Schema of one settings section: the reading service's model, every key optional (a region
    sets only what it changes; the rest is inherited)."""
    module, name = SETTINGS_SECTIONS[section].split(":")
    model = getattr(importlib.import_module(module), name)
    schema: dict[str, Any] = model.model_json_schema()
    schema.pop("required", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Generated from {SETTINGS_SECTIONS[section]} by `make contracts`; do not edit.",
        **schema,
    }


def generated_files() -> dict[Path, str]:
    """Every contract file the code produces, by path relative to the repository root."""
    files = {schema_path(cls.event_type): render_json(json_schema(cls)) for cls in _events()}
    files[ASYNCAPI_PATH] = render_yaml(asyncapi_document())
    for section in SETTINGS_SECTIONS:
        files[SETTINGS_SECTIONS_DIR / f"{section}.json"] = render_json(settings_section_schema(section))
    return files


# ----------------------------------------------------------------------------------------------------------
# Write and check
# ----------------------------------------------------------------------------------------------------------


class BreakingChangeError(Exception):
    """``write_contracts`` would have overwritten a committed schema with a breaking change."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _breaking_changes(root: Path, files: dict[Path, str]) -> list[str]:
    problems: list[str] = []
    for cls in _events():
        relative = schema_path(cls.event_type)
        committed = _read(root / relative)
        if committed is None or committed == files[relative]:
            continue
        try:
            baseline = json.loads(committed)
        except json.JSONDecodeError as exc:
            problems.append(f"{relative}: not valid JSON ({exc}); restore it from version control")
            continue
        for problem in compatibility_problems(baseline, json_schema(cls)):
            problems.append(f"{cls.event_type}: {_BREAKING_MARK} at {problem}")
    return problems


def stale_schemas(root: Path) -> list[Path]:
    """Committed schema files for which the catalogue has no event type any more (removed or renamed)."""
    directory = root / SCHEMAS_DIR
    if not directory.is_dir():
        return []
    known = {f"{t}.json" for t in CATALOGUE}
    return sorted(p.relative_to(root) for p in directory.glob("*.json") if p.name not in known)


def write_contracts(root: Path) -> list[Path]:
    """Write the contract files under ``root/contracts``; returns the paths whose content changed.

    Raises :class:`BreakingChangeError` (writing nothing) when a committed schema would change in a way that
    is not additive. Schemas of types that left the catalogue are not deleted: see :func:`stale_schemas`.
    """
    files = generated_files()
    problems = _breaking_changes(root, files)
    if problems:
        raise BreakingChangeError(problems)
    written: list[Path] = []
    for relative, text in sorted(files.items()):
        target = root / relative
        if _read(target) == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def check_contracts(root: Path) -> list[str]:
    """Human-readable problems with the committed contracts under ``root``; empty when all is well."""
    files = generated_files()
    problems = _breaking_changes(root, files)
    broken = {p.split(":", 1)[0] for p in problems}
    for relative, text in sorted(files.items()):
        committed = _read(root / relative)
        if committed is None:
            problems.append(f"{relative}: missing. {_FIX_DRIFT}")
        elif committed != text and relative.stem not in broken and str(relative) not in broken:
            problems.append(f"{relative}: differs from the code. {_FIX_DRIFT}")
    for stale in stale_schemas(root):
        problems.append(
            f"{stale}: the catalogue has no type {stale.stem}. Event types are not removed or renamed while "
            "anyone may still read them; restore the class, or delete the file deliberately."
        )
    return problems


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------


def _print_all(lines: Iterable[str], printer: Callable[[str], None]) -> None:
    for line in lines:
        printer(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govmedia_platform.contracts",
        description="Generate or check the event contracts (JSON Schemas and AsyncAPI) under contracts/.",
    )
    parser.add_argument("command", choices=("write", "check"))
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (default: .)")
    args = parser.parse_args(argv)
    root: Path = args.root

    def err(line: str) -> None:
        print(line, file=sys.stderr)

    if args.command == "write":
        try:
            written = write_contracts(root)
        except BreakingChangeError as exc:
            _print_all(exc.problems, err)
            err(f"nothing written. {_FIX_BREAKING}")
            bump = sorted({p.split(":", 1)[0] for p in exc.problems if _BREAKING_MARK in p})
            _print_all((f"  {t} -> {_next_version(t)}" for t in bump), err)
            return 1
        _print_all((f"wrote {path}" for path in written), print)
        total = len(generated_files())
        print(f"{len(written)} file(s) written, {total - len(written)} already up to date")
        stale = stale_schemas(root)
        _print_all((f"warning: {p} belongs to no event type in the catalogue" for p in stale), err)
        return 1 if stale else 0

    problems = check_contracts(root)
    if problems:
        _print_all(problems, err)
        err(f"{len(problems)} problem(s).")
        bump = sorted({p.split(":", 1)[0] for p in problems if _BREAKING_MARK in p})
        if bump:
            err(_FIX_BREAKING)
            _print_all((f"  {t} -> {_next_version(t)}" for t in bump), err)
        err(_FIX_DRIFT)
        return 1
    topics = {cls.topic for cls in CATALOGUE.values()}
    print(f"contracts up to date: {len(CATALOGUE)} event types on {len(topics)} topics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
