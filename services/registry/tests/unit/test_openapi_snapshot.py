"""The published OpenAPI of the registry is a contract: it changes only when the snapshot is regenerated.

``contracts/openapi/registry.json`` is committed; an endpoint, field or status that changes without it is an
unannounced change. Regenerate deliberately with ``uv run python -m govmedia_registry.openapi --write``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govmedia_registry.openapi import _offline_app, snapshot_text

SNAPSHOT = Path(__file__).resolve().parents[4] / "contracts" / "openapi" / "registry.json"


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{m.upper()} {p}": op for p, ops in doc["paths"].items() for m, op in ops.items()}


def test_the_openapi_document_matches_the_committed_snapshot() -> None:
    current = snapshot_text(_offline_app())
    committed = SNAPSHOT.read_text(encoding="utf-8")
    if current != committed:
        now, then = _operations(json.loads(current)), _operations(json.loads(committed))
        gone, added = sorted(set(then) - set(now)), sorted(set(now) - set(then))
        changed = sorted(k for k in set(now) & set(then) if now[k] != then[k])
        raise AssertionError(
            "the registry's OpenAPI changed without its snapshot "
            f"(removed: {gone}, added: {added}, changed: {changed[:10]}); if intended, regenerate with "
            "`uv run python -m govmedia_registry.openapi --write` and commit contracts/openapi/registry.json"
        )


def test_every_secured_operation_names_its_scopes_and_documents_its_problems() -> None:
    doc = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert set(doc["components"]["securitySchemes"]["OAuth2"]["flows"]) == {"password", "clientCredentials"}
    assert "code" in doc["components"]["schemas"]["Problem"]["required"]
    for name, op in _operations(doc).items():
        problems = {
            s for s, r in op["responses"].items() if "application/problem+json" in r.get("content", {})
        }
        if name.split()[1] in ("/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"):
            continue
        assert "422" in problems, name
        if op.get("security") and op["security"] != [{}, {"HTTPBasic": []}]:
            assert {"401", "403"} <= problems, name
            assert "Requires" in op["description"], name
