"""What the README and docs/*.md tell a reader to call exists: every ``METHOD /path`` they name is an
operation of a service's OpenAPI document (contracts/openapi/), every query parameter they write after it is
one the operation takes, and every JSON body they write after it is valid against the operation's request
schema.

A reader (a new user, the operator at 3 a.m. following the runbook) types these as written; the runbook once
sent them to ``POST /v1/scores/recompute``, which answers 404.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"])
SERVICES = ("registry", "review", "monitor", "notify", "scoring")
METHODS = ("get", "post", "put", "patch", "delete")
# A mention: the method, the path (an API path: /v1/… or /.well-known/…), an optional query, an optional JSON
# object written right after it (`POST /v1/sweeps {"as_of": "2025-10-14"}`).
MENTION = re.compile(
    r"\b(GET|POST|PUT|PATCH|DELETE) (/(?:v1|\.well-known)/[A-Za-z0-9_./{}\-]*[A-Za-z0-9_}])"
    r"(\?[A-Za-z0-9_&=.,\-…]*)?`?(?: `?(\{[^`\n]*\}))?"
)


@dataclass(frozen=True)
class Operation:
    service: str
    path: str
    method: str
    spec: dict[str, Any]
    document: dict[str, Any]


def _operations() -> list[tuple[re.Pattern[str], Operation]]:
    found: list[tuple[re.Pattern[str], Operation]] = []
    for service in SERVICES:
        document = json.loads(
            (ROOT / "contracts" / "openapi" / f"{service}.json").read_text(encoding="utf-8")
        )
        for path, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            for method in METHODS:
                if method in item:
                    found.append((pattern, Operation(service, path, method.upper(), item[method], document)))
    return found


OPERATIONS = _operations()


def _mentions() -> list[tuple[str, str, str, str, str | None]]:
    """(where, method, path, query, JSON body) of every API call the docs name."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in MENTION.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            where = f"{doc.relative_to(ROOT)}:{line}"
            found.append((where, match.group(1), match.group(2), match.group(3) or "", match.group(4)))
    return found


def _http_examples() -> list[tuple[str, str, str, str, str | None]]:
    """(where, method, path, "", JSON body) of every ```http request block of the docs that calls the API."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"```http\n(.*?)```", text, re.DOTALL):
            head, _, body = match.group(1).partition("\n\n")
            request = MENTION.match(head.splitlines()[0])
            if request:
                line = text.count("\n", 0, match.start()) + 2
                where = f"{doc.relative_to(ROOT)}:{line}"
                found.append((where, request.group(1), request.group(2), "", body.strip() or None))
    return found


MENTIONS = _mentions() + _http_examples()


def _matching(method: str, path: str, where: str) -> list[Operation]:
    """The operations a mention can mean (a service's own doc first: /v1/sweeps is monitor's and notify's)."""
    candidates = [op for pattern, op in OPERATIONS if op.method == method and pattern.match(path)]
    own = [op for op in candidates if Path(where.split(":")[0]).stem == op.service]
    return own or candidates


def test_the_docs_name_api_calls() -> None:
    assert len(MENTIONS) > 40, "the mention pattern no longer finds the docs' API calls"
    assert any(body for *_, body in MENTIONS), "no JSON body found after a mention"
    assert _http_examples(), "no ```http request block found"


@pytest.mark.parametrize(("where", "method", "path", "query", "body"), MENTIONS, ids=[m[0] for m in MENTIONS])
def test_every_api_call_the_docs_name_exists_as_written(
    where: str, method: str, path: str, query: str, body: str | None
) -> None:
    operations = _matching(method, path, where)
    assert operations, f"{where}: {method} {path} is an operation of no service (contracts/openapi/*.json)"
    for name in filter(None, (part.split("=")[0] for part in query.lstrip("?").split("&"))):
        takes = [
            op
            for op in operations
            if any(p["in"] == "query" and p["name"] == name for p in op.spec.get("parameters", []))
        ]
        assert takes, f"{where}: {method} {path} takes no query parameter {name!r}"
    if body is None or "…" in body:
        return
    try:
        value = json.loads(body)
    except ValueError:
        return  # a list of field names (`{"period_kind", "period_start"}`), not an example
    errors: list[str] = []
    for op in operations:
        content = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            errors.append(f"{op.service}: takes no JSON body")
            continue
        schema = {**content["schema"], "components": op.document["components"]}
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        problems = [e.message for e in validator.iter_errors(value)]
        if not problems:
            return
        errors.append(f"{op.service}: {'; '.join(problems)}")
    pytest.fail(f"{where}: the body of {method} {path} is not valid: {errors}")


def test_the_webhook_delivery_the_docs_show_is_what_notifys_openapi_declares() -> None:
    """docs/webhooks.md shows what a receiver gets; notify's OpenAPI declares it (``webhooks``), so that an
    integrator's generator and the example agree, headers included. Found by the outside-testing round: the
    delivery's body and headers were written down nowhere but in the prose of docs/webhooks.md."""
    document = json.loads((ROOT / "contracts" / "openapi" / "notify.json").read_text(encoding="utf-8"))
    assert "delivery" in document.get("webhooks", {}), "notify's OpenAPI declares no webhook delivery"
    operation = document["webhooks"]["delivery"]["post"]
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    block = next(
        m.group(1)
        for m in re.finditer(r"```http\n(.*?)```", text, re.DOTALL)
        if "X-Govmedia-Event" in m.group(1)
    )
    head, _, body = block.partition("\n\n")
    headers = {line.split(":", 1)[0].lower() for line in head.splitlines()[1:]}
    declared = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    assert {"x-govmedia-delivery", "x-govmedia-event", "x-govmedia-signature"} <= declared
    assert declared <= headers, f"the example lacks headers the document declares: {declared - headers}"
    schema = {
        **operation["requestBody"]["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = [e.message for e in validator.iter_errors(json.loads(body))]
    assert not problems, problems
