"""The published OpenAPI documents are contracts: they change only when their snapshots are regenerated, and
a regeneration that would break integrators is refused unless it is announced (``--allow-breaking``).

``contracts/openapi/<service>.json`` is committed for each of the five services; ``govmedia openapi write``
regenerates them (``make contracts``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from govmedia_platform import openapi_contracts as oc
from govmedia_platform.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_JSON = "application/problem+json"
_OPERATIONS_PATHS = ("/healthz", "/readyz", "/metrics", "/.well-known/jwks.json")


def _committed(service: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((ROOT / oc.snapshot_path(service)).read_text(encoding="utf-8"))
    return doc


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{m.upper()} {p}": op for p, ops in doc["paths"].items() for m, op in ops.items()}


def test_every_service_document_matches_its_committed_snapshot() -> None:
    drifts = oc.check(ROOT)
    assert not drifts, (
        "an OpenAPI document changed without its snapshot:\n"
        + "\n".join(d.describe() for d in drifts)
        + "\nIf intended, run `uv run govmedia openapi write` and commit contracts/openapi/."
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_documents_its_access_problems_and_a_description(service: str) -> None:
    doc = _committed(service)
    oauth = doc["components"]["securitySchemes"]["OAuth2"]
    assert set(oauth["flows"]) == {"password", "clientCredentials"}
    assert all(flow["tokenUrl"].endswith("/v1/auth/token") for flow in oauth["flows"].values())
    problem = doc["components"]["schemas"]["Problem"]
    assert "code" in problem["required"]
    for name, op in _operations(doc).items():
        assert op.get("description", "").strip(), f"{service} {name} has no description"
        for status, response in op["responses"].items():
            if status[0] in "45":
                assert PROBLEM_JSON in response.get("content", {}), f"{service} {name} {status} is no Problem"
        if name.split()[1] in _OPERATIONS_PATHS:
            continue
        problems = {s for s, r in op["responses"].items() if PROBLEM_JSON in r.get("content", {})}
        assert "422" in problems, f"{service} {name}"
        for status in problems:  # an example answer, where there is one, is a Problem with its status
            for example in op["responses"][status]["content"][PROBLEM_JSON].get("examples", {}).values():
                value = doc["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]["value"]
                assert value["status"] == int(status) and set(problem["required"]) <= set(value), name
        if op.get("security") and op["security"] != [{}, {"HTTPBasic": []}]:
            assert {"401", "403"} <= problems, f"{service} {name}"
            assert "Requires" in op["description"], f"{service} {name} does not say what it requires"


def test_services_other_than_the_registry_send_clients_to_the_registry_for_tokens() -> None:
    for service in SERVICES:
        url = _committed(service)["components"]["securitySchemes"]["OAuth2"]["flows"]["password"]["tokenUrl"]
        if service == "registry":
            assert url == "/v1/auth/token"
        else:
            assert url == "http://127.0.0.1:8001/v1/auth/token", service


# ---- additive or breaking: the rules, on a small document


def _doc() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {
            "/v1/things": {
                "get": {
                    "parameters": [
                        {"in": "query", "name": "status", "required": False, "schema": {"enum": ["a", "b"]}},
                    ],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                            }
                        },
                        "422": {"content": {PROBLEM_JSON: {}}},
                    },
                    "security": [{"OAuth2": ["x:read"]}],
                },
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/NewThing"}}
                        },
                    },
                    "responses": {"201": {"content": {"application/json": {"schema": {"type": "object"}}}}},
                },
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
                "NewThing": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "maxLength": 50}, "note": {"type": "string"}},
                },
            }
        },
    }


def _changed(change: Any) -> list[str]:
    new = copy.deepcopy(_doc())
    change(new)
    return oc.breaking_changes(_doc(), new)


def _get(doc: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"]["/v1/things"]["get"]
    return op


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def test_additive_changes_are_not_breaking() -> None:
    def additive(doc: dict[str, Any]) -> None:
        doc["paths"]["/v1/others"] = {"get": {"responses": {}}}  # a new operation
        _get(doc)["parameters"].append({"in": "query", "name": "q", "required": False, "schema": {}})
        _get(doc)["parameters"][0]["schema"]["enum"].append("c")  # a new accepted value
        _get(doc)["responses"]["404"] = {"content": {PROBLEM_JSON: {}}}  # a newly documented refusal
        _schemas(doc)["Thing"]["properties"]["extra"] = {"type": "integer"}  # a new answer field
        _schemas(doc)["Thing"]["required"].append("extra")  # always present in answers: still additive
        _schemas(doc)["NewThing"]["properties"]["name"].pop("maxLength")  # the request accepts more
        _get(doc)["description"] = "reworded"

    assert _changed(additive) == []


@pytest.mark.parametrize(
    ("what", "change", "expected"),
    [
        ("removed path", lambda d: d["paths"].pop("/v1/things"), "removed operation"),
        ("removed operation", lambda d: d["paths"]["/v1/things"].pop("post"), "POST /v1/things: removed"),
        (
            "removed answer field",
            lambda d: _schemas(d)["Thing"]["properties"].pop("name"),
            "removed property",
        ),
        (
            "narrowed answer type",
            lambda d: _schemas(d)["Thing"]["properties"]["id"].update(type="integer"),
            "changed type",
        ),
        (
            "new required parameter",
            lambda d: _get(d)["parameters"].append({"in": "query", "name": "region", "required": True}),
            "new required query parameter region",
        ),
        (
            "parameter became required",
            lambda d: _get(d)["parameters"][0].update(required=True),
            "became required",
        ),
        ("narrowed enum", lambda d: _get(d)["parameters"][0]["schema"].update(enum=["a"]), "narrowed enum"),
        (
            "new required body field",
            lambda d: _schemas(d)["NewThing"]["required"].append("note"),
            "became required",
        ),
        (
            "tighter body constraint",
            lambda d: _schemas(d)["NewThing"]["properties"]["name"].update(maxLength=10),
            "changed maxLength",
        ),
        ("more scopes", lambda d: _get(d)["security"][0]["OAuth2"].append("x:admin"), "now needs the scopes"),
        ("success answer gone", lambda d: _get(d)["responses"].pop("200"), "no longer answers 200"),
    ],
)
def test_breaking_changes_are_named(what: str, change: Any, expected: str) -> None:
    problems = _changed(change)
    assert any(expected in p for p in problems), f"{what}: {problems}"


def test_write_refuses_a_breaking_change_without_the_flag_and_records_it_with_it(tmp_path: Path) -> None:
    service = "scoring"
    target = tmp_path / oc.snapshot_path(service)
    target.parent.mkdir(parents=True)
    committed = _committed(service)
    committed["paths"]["/v1/gone"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    target.write_text(oc.render(committed), encoding="utf-8")
    with pytest.raises(oc.BreakingChangeError, match="GET /v1/gone: removed operation"):
        oc.write(tmp_path, [service])
    assert "/v1/gone" in target.read_text(encoding="utf-8"), "nothing is written when refused"
    [drift] = oc.write(tmp_path, [service], allow_breaking=True)
    assert drift.breaking and "/v1/gone" not in target.read_text(encoding="utf-8")
    assert oc.check(tmp_path, [service]) == []


def test_a_pattern_that_lists_words_becomes_the_same_enum_additively_but_not_a_smaller_one() -> None:
    def with_state(schema: dict[str, Any]) -> dict[str, Any]:
        doc = _doc()
        _get(doc)["parameters"].append({"in": "query", "name": "state", "required": False, "schema": schema})
        return doc

    old = with_state({"type": "string", "pattern": "^(open|resolved)$"})
    assert oc.breaking_changes(old, with_state({"type": "string", "enum": ["open", "resolved"]})) == []
    smaller = oc.breaking_changes(old, with_state({"type": "string", "enum": ["open"]}))
    assert any("narrowed enum" in p for p in smaller), smaller


@pytest.mark.parametrize("service", SERVICES)
def test_the_examples_of_request_and_answer_schemas_are_valid_against_them(service: str) -> None:
    from jsonschema import Draft202012Validator

    doc = _committed(service)
    shown = 0
    for name, schema in doc["components"]["schemas"].items():
        if name == "Problem":
            continue
        parts = [schema, *schema.get("properties", {}).values()]  # whole objects, or single fields
        for part in parts:
            for example in part.get("examples", []):
                root = {**part, "components": doc["components"]}
                errors = [e.message for e in Draft202012Validator(root).iter_errors(example)]
                assert not errors, f"{service} {name} example {example!r}: {errors}"
                shown += 1
    assert shown >= 1, f"{service} shows no example of a request or answer"


def test_the_cli_refuses_a_breaking_write_and_takes_it_with_allow_breaking(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from govmedia_platform.cli import app

    target = tmp_path / oc.snapshot_path("scoring")
    target.parent.mkdir(parents=True)
    committed = _committed("scoring")
    committed["paths"]["/v1/gone"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    target.write_text(oc.render(committed), encoding="utf-8")
    args = ["openapi", "--service", "scoring", "--root", str(tmp_path)]
    checked = CliRunner().invoke(app, [*args[:1], "check", *args[1:]])
    assert checked.exit_code == 1 and "BREAKING" in checked.output
    refused = CliRunner().invoke(app, [*args[:1], "write", *args[1:]])
    assert refused.exit_code == 1 and "--allow-breaking" in refused.output
    written = CliRunner().invoke(app, [*args[:1], "write", *args[1:], "--allow-breaking"])
    assert written.exit_code == 0, written.output
    assert CliRunner().invoke(app, [*args[:1], "check", *args[1:]]).exit_code == 0
