"""The committed OpenAPI documents of the five services, and the check that tells additive from breaking.

A build-time tool, like :mod:`govmedia_platform.contracts` for the events. Each service's document (built
offline: no database or broker is contacted) is committed as ``contracts/openapi/<service>.json``. ``check``
fails when a document differs from its snapshot and says whether the change is additive or breaking;
``write`` regenerates the snapshots and refuses a breaking change unless ``allow_breaking`` is given.

Breaking, for a client written against the committed document: a removed path or operation; a removed or
newly required parameter; a parameter or request body that accepts less (narrowed type or enum, a new
constraint, a new required field); a success answer that loses a media type, a field, a required field or
changes a field's type; an operation that demands more scopes, or a token where none was needed. Additive:
new operations, optional parameters and fields, new enum values, new documented answers, wording. A pattern
that only lists words (``^(open|resolved)$``) counts as the enum it means.

Command line::

    govmedia openapi check [--service S] [--root .]
    govmedia openapi write [--service S] [--root .] [--allow-breaking]
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govmedia_platform.compatibility import _compare, _Pair
from govmedia_platform.stack import SERVICES

__all__ = [
    "SNAPSHOT_DIR",
    "BreakingChangeError",
    "Drift",
    "breaking_changes",
    "check",
    "current_document",
    "render",
    "snapshot_path",
    "write",
]

SNAPSHOT_DIR = Path("contracts/openapi")
DEFAULT_JWKS_URL = "http://127.0.0.1:8001/.well-known/jwks.json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# What a request may lose without breaking anyone (the server accepts more); what an answer may gain.
_REQUEST_WIDENING = ("no longer required", "removed constraint")
_RESPONSE_WIDENING = ("new required property", "became required")


class BreakingChangeError(RuntimeError):
    """A snapshot would be overwritten with a breaking change and ``allow_breaking`` was not given."""


@dataclass
class Drift:
    """How one service's document differs from its committed snapshot."""

    service: str
    breaking: list[str] = field(default_factory=list)
    changed: bool = False
    missing: bool = False

    def describe(self) -> str:
        if self.missing:
            return f"{self.service}: no committed snapshot"
        kind = "BREAKING" if self.breaking else "additive"
        lines = [f"{self.service}: {kind} change of the OpenAPI document"]
        lines += [f"  - {problem}" for problem in self.breaking]
        return "\n".join(lines)


def snapshot_path(service: str) -> Path:
    """Where a service's OpenAPI snapshot lives, relative to the repository root."""
    return SNAPSHOT_DIR / f"{service}.json"


def render(doc: dict[str, Any]) -> str:
    """The snapshot as committed: sorted keys, two-space indent, real characters (not escapes)."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def current_document(service: str) -> dict[str, Any]:
    """The service's OpenAPI document as its code builds it (offline settings; nothing is contacted)."""
    doc: dict[str, Any] = offline_app(service).openapi()
    return doc


def offline_app(service: str) -> Any:
    """The service's FastAPI app built with offline settings (not started: nothing is contacted)."""
    from govmedia_common.settings import KafkaSettings, ServiceSettings

    settings = ServiceSettings(
        service_name=service,
        environment="test",
        database_url="postgresql+asyncpg://openapi@127.0.0.1:1/none",
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"),
        jwks_url=DEFAULT_JWKS_URL,  # the snapshot shows the default token URL, whatever this shell says
        log_json=False,
    )
    main = importlib.import_module(f"govmedia_{service}.main")
    return main.create_app(settings)


# ---- breaking or additive


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, ops in doc.get("paths", {}).items()
        for method, op in ops.items()
        if method in _METHODS
    }


def _schema_problems(
    old: Any, new: Any, where: str, docs: tuple[dict[str, Any], dict[str, Any]], widening: tuple[str, ...]
) -> list[str]:
    pair = _Pair(docs[0], docs[1])
    _compare(old, new, "", pair)
    return [f"{where}{p}" for p in pair.problems if not any(w in p for w in widening)]


def _parameters(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p.get("in", ""), p.get("name", "")): p for p in op.get("parameters", [])}


def _security(op: dict[str, Any]) -> set[str] | None:
    """The scopes an operation demands (None: no token needed)."""
    requirements = op.get("security") or []
    if not requirements or {} in requirements:
        return None
    return {scope for req in requirements for scopes in req.values() for scope in scopes}


def _compare_operation(
    name: str, old: dict[str, Any], new: dict[str, Any], docs: tuple[dict[str, Any], dict[str, Any]]
) -> list[str]:
    problems: list[str] = []
    old_params, new_params = _parameters(old), _parameters(new)
    for key, param in old_params.items():
        if key not in new_params:
            problems.append(f"{name}: removed {key[0]} parameter {key[1]}")
            continue
        if new_params[key].get("required") and not param.get("required"):
            problems.append(f"{name}: {key[0]} parameter {key[1]} became required")
        problems += _schema_problems(
            param.get("schema", {}),
            new_params[key].get("schema", {}),
            f"{name}: {key[0]} parameter {key[1]}: ",
            docs,
            _REQUEST_WIDENING,
        )
    for key, param in new_params.items():
        if key not in old_params and param.get("required"):
            problems.append(f"{name}: new required {key[0]} parameter {key[1]}")
    old_body, new_body = old.get("requestBody"), new.get("requestBody")
    if old_body is None and new_body is not None and new_body.get("required"):
        problems.append(f"{name}: new required request body")
    if old_body is not None and new_body is not None:
        for media, content in old_body.get("content", {}).items():
            if media not in new_body.get("content", {}):
                problems.append(f"{name}: request body no longer accepts {media}")
                continue
            problems += _schema_problems(
                content.get("schema", {}),
                new_body["content"][media].get("schema", {}),
                f"{name}: request body ({media}): ",
                docs,
                _REQUEST_WIDENING,
            )
    for status, response in old.get("responses", {}).items():
        if not status.startswith("2"):
            continue  # a refusal no longer given breaks no one
        if status not in new.get("responses", {}):
            problems.append(f"{name}: no longer answers {status}")
            continue
        new_content = new["responses"][status].get("content", {})
        for media, content in response.get("content", {}).items():
            if media not in new_content:
                problems.append(f"{name}: {status} no longer answers {media}")
                continue
            problems += _schema_problems(
                content.get("schema", {}),
                new_content[media].get("schema", {}),
                f"{name}: {status} ({media}): ",
                docs,
                _RESPONSE_WIDENING,
            )
    old_scopes, new_scopes = _security(old), _security(new)
    if new_scopes is not None and old_scopes is None:
        problems.append(f"{name}: now needs a token")
    elif new_scopes is not None and old_scopes is not None and new_scopes - old_scopes:
        problems.append(f"{name}: now needs the scopes {', '.join(sorted(new_scopes - old_scopes))}")
    return problems


_ALTERNATIVES = re.compile(r"^\^\(([\w-]+(?:\|[\w-]+)*)\)\$$")


def _normalised(node: Any) -> Any:
    """A copy where a string pattern that only lists words (``^(a|b)$``) is the enum it means."""
    if isinstance(node, list):
        return [_normalised(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalised(value) for key, value in node.items()}
    match = _ALTERNATIVES.match(out["pattern"]) if isinstance(out.get("pattern"), str) else None
    if match and out.get("type") == "string" and "enum" not in out:
        out.pop("pattern")
        out["enum"] = match.group(1).split("|")
    return out


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Breaking changes from the committed document ``old`` to the current ``new``; empty when additive."""
    old, new = _normalised(old), _normalised(new)
    problems: list[str] = []
    old_ops, new_ops = _operations(old), _operations(new)
    for name, op in old_ops.items():
        if name not in new_ops:
            problems.append(f"{name}: removed operation")
        else:
            problems += _compare_operation(name, op, new_ops[name], (old, new))
    return problems


# ---- check and write


def _chosen(services: Iterable[str] | None) -> list[str]:
    chosen = list(services or SERVICES)
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s) {unknown}; the services are {list(SERVICES)}")
    return chosen


def check(root: Path, services: Iterable[str] | None = None) -> list[Drift]:
    """Every service whose document differs from its committed snapshot, with its breaking changes."""
    drifts: list[Drift] = []
    for service in _chosen(services):
        path = root / snapshot_path(service)
        current = current_document(service)
        if not path.exists():
            drifts.append(Drift(service, changed=True, missing=True))
            continue
        committed_text = path.read_text(encoding="utf-8")
        if committed_text != render(current):
            committed = json.loads(committed_text)
            drifts.append(Drift(service, breaking_changes(committed, current), changed=True))
    return drifts


def write(root: Path, services: Iterable[str] | None = None, *, allow_breaking: bool = False) -> list[Drift]:
    """Regenerate the snapshots; refuse (writing nothing) if one change is breaking and not allowed."""
    drifts = check(root, services)
    breaking = [d for d in drifts if d.breaking]
    if breaking and not allow_breaking:
        raise BreakingChangeError(
            "\n".join(d.describe() for d in breaking)
            + "\nA published API changes additively. Undo it, or announce the break to integrators and "
            "write with --allow-breaking."
        )
    for drift in drifts:
        path = root / snapshot_path(drift.service)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(current_document(drift.service)), encoding="utf-8")
    return drifts
