"""JSON values of the wrong type where a request body wants an integer, a number or a boolean, over sockets.

What the outside round found: the monitor took a metric snapshot's counts as ``true`` (one read) and
``"12"`` (a string), and every other integer, number and boolean of a request body of the five services
was read the same lax way (``"yes"`` or ``1`` as true, ``12.0`` as 12). An integrator whose program sends
a count as a string, or a flag as a number, was never told, and a fuzzer's ``true`` became a count.

The rule: a JSON API takes a JSON integer where it wants a whole number (not ``12.0``, ``1e3``, ``"12"``
or ``true``), a JSON number where it wants a number (an integer is one; not ``"0.5"`` or ``true``), and
``true`` or ``false`` where it wants a boolean (not ``1``, ``"true"`` or ``"yes"``). A date or a date-time
is ISO 8601 text, as the OpenAPI says: not a number, nor digits in a string, which the lax mode read as
seconds (or milliseconds) since 1970 (a filing's ``"event_date": 0`` was the day 1970-01-01).
Anything else is a 422 naming the field and saying what was sent. The fields are read from each service's
own OpenAPI, so a field added later is probed too. The monitor's CSV import, whose cells are all text,
still reads ``12`` and ``true`` from its cells (tests/hostile/test_file_import_inputs.py and the import
tests).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

# What an integrator or a fuzzer sends instead, per JSON Schema type of the field.
WRONG: dict[str, list[Any]] = {
    "integer": [True, False, "12", "0", 12.0, 12.5, 1e3, [12], {"value": 12}],
    "number": [True, "0.5", "12", [1]],
    "boolean": ["true", "false", 1, 0, "yes", "1"],
    # read as seconds (or milliseconds) since 1970 by pydantic's lax mode: 0 was 1970-01-01
    "date": [0, 1759968000, "1759968000", 20251014, True],
    "date-time": [0, 1760000000, 1760000000000, 1760000000.5, "1760000000", True],
}
ALL_ROLES = ("office_staff", "office_admin", "unit_admin", "auditor", "approver", "editor")
SCOPES = {
    "monitor": ("monitor:read", "monitor:write", "monitor:ingest"),
    "notify": ("notify:read", "notify:write"),
    "scoring": ("scoring:read", "scoring:write"),
}
PATH_VALUES = {"year": "2026", "kind": "sensitive"}

Steps = tuple[str | int, ...]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


Consts = tuple[tuple[Steps, Any], ...]


def typed_fields(
    schema: dict[str, Any], components: dict[str, Any], at: Steps = (), consts: Consts = ()
) -> Iterator[tuple[Steps, str, Consts]]:
    """(path, JSON type, constants of the objects around it) of every integer, number and boolean a body
    schema holds, nested ones included; the constants (a filing's ``type``) pick a union's member."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from typed_fields(sub, components, at, consts)
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean"):
        yield at, kind, consts
    if kind == "string" and schema.get("format") in ("date", "date-time"):
        yield at, schema["format"], consts
    properties = schema.get("properties", {})
    here = consts + tuple(
        ((*at, name), _resolve(sub, components)["const"])
        for name, sub in properties.items()
        if "const" in _resolve(sub, components)
    )
    for name, sub in properties.items():
        yield from typed_fields(sub, components, (*at, name), here)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from typed_fields(extra, components, (*at, "x"), here)
    if kind == "array" and isinstance(schema.get("items"), dict):
        yield from typed_fields(schema["items"], components, (*at, 0), here)


def body_with(path: Steps, value: Any, consts: Consts = ()) -> Any:
    """The smallest body holding ``value`` at ``path`` (objects and one-item lists around it), with the
    constants that pick the union member holding it."""
    body: Any = None
    for where, fixed in ((path, value), *consts):
        if not where:
            return fixed
        body = {} if body is None and isinstance(where[0], str) else [{}] if body is None else body
        node = body
        for step, following in itertools.pairwise(where):
            if isinstance(step, int):
                node = node[0]
            else:
                node = node.setdefault(step, [{}] if isinstance(following, int) else {})
        last = where[-1]
        if isinstance(last, int):
            node[0] = fixed
        else:
            node[last] = fixed
    return body


def probes(openapi: dict[str, Any]) -> Iterator[tuple[str, str, Steps, str, Consts]]:
    """(method, path, field path, type, constants) of every typed field of every JSON request body."""
    components = openapi.get("components", {}).get("schemas", {})
    for url, operations in openapi["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            seen: set[tuple[Steps, str]] = set()
            for path, kind, consts in typed_fields(content["application/json"]["schema"], components):
                if (path, kind) not in seen:
                    seen.add((path, kind))
                    yield method.upper(), url, path, kind, consts


def _url(path: str) -> str:
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        name = out[start + 1 : end]
        out = out[:start] + PATH_VALUES.get(name, str(uuid.uuid4())) + out[end + 1 :]
    return out


async def _lax_answers(
    client: httpx.AsyncClient, service: str, other: str | None = None
) -> tuple[list[str], int]:
    """Every (operation, field, value) that was not refused naming the field, and how many were sent;
    an operation refused 403 with the client's token is sent again with ``other``."""
    openapi = (await client.get("/openapi.json")).json()
    lax: list[str] = []
    sent = 0
    for method, path, field, kind, consts in probes(openapi):
        where = ".".join(map(str, ("body", *field)))
        for value in WRONG[kind]:
            sent += 1
            body = body_with(field, value, consts)
            r = await client.request(method, _url(path), json=body, headers={"If-Match": "*"})
            if r.status_code == 403 and other is not None:
                headers = {"If-Match": "*", "Authorization": f"Bearer {other}"}
                r = await client.request(method, _url(path), json=body, headers=headers)
            errors = r.json().get("errors", []) if r.status_code == 422 else []
            named = [e for e in errors if e["location"] == where]
            if not named:
                lax.append(f"{service} {method} {path} {where}={value!r}: {r.status_code} {r.text[:160]}")
                continue
            message = named[0]["message"]
            if isinstance(value, str) and repr(value) not in message:
                lax.append(f"{service} {method} {path} {where}={value!r}: the message {message!r} hides it")
            if kind.startswith("date") and "ISO 8601" not in message:
                lax.append(
                    f"{service} {method} {path} {where}={value!r}: {message!r} says not how to write it"
                )
    return lax, sent


async def test_every_typed_field_of_the_supervision_services_refuses_other_json_types(
    supervision: Supervision,
) -> None:
    lax: list[str] = []
    total = 0
    for service, url in (
        ("monitor", supervision.monitor_url),
        ("notify", supervision.notify_url),
        ("scoring", supervision.scoring_url),
    ):
        token = supervision.token(roles=ALL_ROLES, scopes=SCOPES[service], region="330000")
        client = supervision.client(url, token)
        found, sent = await _lax_answers(client, service)
        lax += found
        total += sent
    assert total > 30, total  # the walk found the fields (metric counts, flags)
    assert not lax, f"{len(lax)} of {total} wrong-typed values not refused naming the field:\n" + "\n".join(
        lax
    )


async def test_every_typed_field_of_the_registry_and_the_review_refuses_other_json_types(
    served: Served,
) -> None:
    token = await served.setup.admin()
    unit_id = await served.setup.unit("330000", "浙江省大数据发展管理局", "省数据局")
    _, _, unit_admin = await served.setup.person(["unit_admin"], region_code="330000", unit_id=unit_id)
    lax: list[str] = []
    total = 0
    for service, url in (("registry", served.registry_url), ("review", served.review_url)):
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            found, sent = await _lax_answers(client, service, unit_admin)
        lax += found
        total += sent
    assert total > 30, total
    assert not lax, f"{len(lax)} of {total} wrong-typed values not refused naming the field:\n" + "\n".join(
        lax
    )


# ------------------------------------------------------------------------------- the monitor's counts


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _snapshot(account: str, **counts: Any) -> dict[str, Any]:
    return {
        "account_id": account,
        "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
        "taken_at": (NOW - timedelta(hours=1)).isoformat(),
        **counts,
    }


@pytest.mark.parametrize(
    "raw",
    ["true", '"12"', "12.0", "12.5", "1e3", "-1", str(2**63), str(2**64), str(10**30)],
)
async def test_a_metric_count_that_is_not_a_json_integer_in_range_is_refused_naming_it(
    supervision: Supervision, raw: str
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    body = _snapshot(account, likes=3)
    text = _json(body)[:-1] + f', "reads": {raw}}}'
    r = await connector.post("/v1/metrics", content=text, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert [e["location"] for e in r.json()["errors"]] == ["body.reads"], r.json()

    bulk = '{"items": [' + _json(_snapshot(account, reads=5))
    r = await connector.post(
        "/v1/metrics/bulk", content=f"{bulk}, {text}]}}", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(1, "reads")], r.json()
    # nothing of the bulk was stored: the good first item is not there either
    assert (await connector.post("/v1/metrics", json=_snapshot(account, reads=5))).status_code == 200


async def test_a_numeric_string_is_refused_saying_it_was_a_string(supervision: Supervision) -> None:
    account = await supervision.account()
    r = await supervision.connector().post("/v1/metrics", json=_snapshot(account, reads="12"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["location"] == "body.reads"
    assert "'12'" in error["message"] and "quotes" in error["message"], error

    r = await supervision.connector().post(
        "/v1/metrics/bulk", json={"items": [_snapshot(account, reads=1), _snapshot(account, reads="12")]}
    )
    [error] = r.json()["errors"]
    assert (error["index"], error["field"]) == (1, "reads")
    assert "'12'" in error["message"] and "quotes" in error["message"], error


async def test_zero_written_as_minus_zero_is_a_json_integer_and_taken(supervision: Supervision) -> None:
    account = await supervision.account()
    body = _json(_snapshot(account, likes=1))[:-1] + ', "reads": -0}'
    r = await supervision.connector().post(
        "/v1/metrics", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("value", ["true", 1, "yes"])
async def test_a_post_flag_in_a_bulk_item_is_a_json_boolean(supervision: Supervision, value: Any) -> None:
    account = await supervision.account()
    post = {
        "account_id": account,
        "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
        "text": "区政务服务中心国庆期间照常办理业务。",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    r = await supervision.connector().post(
        "/v1/observed-posts/bulk", json={"items": [post, {**post, "text_truncated": value}]}
    )
    assert r.status_code == 422, r.text
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(1, "text_truncated")], r.json()


# ---------------------------------------------------------------------------- the monitor's file import


async def _import(sup: Supervision, path: Path, kind: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from govmedia_monitor.cli import app

    url = sup.monitor_app.state.runtime.settings.database_url
    args = ["import", str(path), "--kind", kind, "--database-url", url]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    return result.exit_code, result.output


async def test_a_csv_cell_is_text_and_its_counts_and_flags_still_import(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    metrics = tmp_path / "metrics.csv"
    metrics.write_text(
        "account_id,platform_post_id,taken_at,reads,likes\n"
        f"{account},wx-1,2025-10-14T09:00:00+08:00,1532,48\n",
        encoding="utf-8",
    )
    code, output = await _import(supervision, metrics, "metrics")
    assert code == 0 and "1 imported" in output, output
    switch = tmp_path / "interaction.csv"
    switch.write_text(
        f"account_id,enabled,at\n{account},false,2025-10-14T09:00:00+08:00\n"
        f"{account},true,2025-10-14T10:00:00+08:00\n",
        encoding="utf-8",
    )
    code, output = await _import(supervision, switch, "interaction")
    assert code == 0 and "2 imported" in output, output
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "account_id,platform_post_id,text,text_truncated,published_at\n"
        f"{account},wx-2,区政务服务中心照常办理业务。,true,2025-10-14T09:30:00+08:00\n",
        encoding="utf-8",
    )
    code, output = await _import(supervision, posts, "posts")
    assert code == 0 and "1 imported" in output, output
    r = await supervision.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    assert [p["text_truncated"] for p in r.json()["items"]] == [True]


async def test_a_json_lines_row_is_json_and_a_count_in_quotes_is_refused_naming_it(
    supervision: Supervision, tmp_path: Path
) -> None:
    account = await supervision.account()
    path = tmp_path / "metrics.jsonl"
    rows = [
        {"account_id": account, "taken_at": "2025-10-14T09:00:00+08:00", "reads": 12},
        {"account_id": account, "taken_at": "2025-10-14T10:00:00+08:00", "reads": "12"},
        {"account_id": account, "taken_at": "2025-10-14T11:00:00+08:00", "reads": True},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, output = await _import(supervision, path, "metrics")
    assert code == 2, output
    assert "1 imported" in output, output
    assert "reads: must be a JSON integer" in output and "'12'" in output and "not true" in output, output


# ------------------------------------------------- the sections of a region's settings each service reads


def _settings_changed(region: str, settings: dict[str, Any]) -> Any:
    from govmedia_common.events.registry import RegionSettingsChanged

    return RegionSettingsChanged(
        occurred_at=NOW,
        region_code=region,
        settings=settings,
        changed_keys=tuple(settings),
        version=1,
        actor_id=str(uuid.uuid4()),
    )


PROVINCE_ADMIN = ("office_staff", "office_admin")


@pytest.mark.parametrize(
    ("region", "value"),
    [("330100", True), ("330200", "60"), ("330300", 60.0), ("330400", [60])],
    ids=["true", "string", "float", "array"],
)
async def test_a_monitor_threshold_of_another_json_type_is_refused_not_applied(
    supervision: Supervision, region: str, value: Any
) -> None:
    """A region's ``zombie_days: true`` made every account silent for a day a zombie (true read as 1)."""
    from govmedia_monitor import handlers

    event = _settings_changed(region, {"monitor": {"zombie_days": value}})
    async with supervision.monitor_app.state.runtime.sessions() as session, session.begin():
        await handlers.on_region_settings(event, None, session)
    token = supervision.token(region="330000", roles=PROVINCE_ADMIN, scopes=("monitor:read",))
    r = await supervision.client(supervision.monitor_url, token).get(f"/v1/settings/{region}")
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["zombie_days"] == 90, r.json()  # the default holds
    [refused] = r.json()["refused"]
    assert refused["region_code"] == region and "zombie_days: must be a JSON integer" in refused["error"]


@pytest.mark.parametrize(
    ("region", "section"),
    [
        ("330500", {"diligence_gap_limit_days": True}),
        ("330600", {"veto_serious_errors_max": "3"}),
        ("330700", {"veto_not_updated": "no"}),
        ("330800", {"weight_growth": "0.1"}),
    ],
    ids=["true-as-days", "string-as-count", "string-as-flag", "string-as-weight"],
)
async def test_a_scoring_rule_of_another_json_type_is_ignored_saying_why(
    supervision: Supervision, region: str, section: dict[str, Any]
) -> None:
    """``veto_not_updated: "no"`` was read as false by the validation, then compared as the string with the
    rule above it (``"no" < True``), and ``veto_serious_errors_max: "3"`` the same: the region's rules
    answered 500, as would every computation of a period reading them."""
    from govmedia_scoring.aggregates.handlers import apply_batch

    [key] = section
    async with supervision.scoring_app.state.runtime.sessions() as session, session.begin():
        await apply_batch(session, [_settings_changed(region, {"scoring": section})])
    token = supervision.token(region="330000", roles=PROVINCE_ADMIN, scopes=("scoring:read",))
    r = await supervision.client(supervision.scoring_url, token).get(f"/v1/rules/{region}")
    assert r.status_code == 200, r.text
    defaults = (await supervision.client(supervision.scoring_url, token).get("/v1/rules/330000")).json()
    assert r.json()["rules"][key] == defaults["rules"][key], r.json()
    notes = r.json()["notes"]
    assert any(f"{region}: settings ignored" in n and key in n and "must be" in n for n in notes), notes


@pytest.mark.parametrize("raw", [str(2**53), str(2**64), str(10**30), str(-(2**63) - 1)])
async def test_a_huge_integer_in_a_settings_document_is_refused_naming_it(served: Served, raw: str) -> None:
    """The registry stores a region's settings as they come and announces them (RegionSettingsChanged): an
    integer beyond 64 bits failed the announcement's serialisation, a 500 (the change rolled back); one
    beyond 2**53 reaches the services as another number (JSON readers keep doubles). I-JSON's range it is
    (RFC 7493 2.2), as the duplicate keys' refusal already follows that RFC."""
    token = await served.setup.admin()
    before = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    body = '{"settings": {"monitor": {"zombie_days": ' + raw + "}}}"
    headers = {"If-Match": before.headers["ETag"], "Content-Type": "application/json"}
    r = await served.setup.call("PUT", "/v1/regions/330000/settings", token, content=body, headers=headers)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["location"] == "body.settings", error
    assert "monitor.zombie_days" in error["message"] and raw in error["message"], error
    after = await served.setup.call("GET", "/v1/regions/330000/settings", token)
    assert after.json()["own"] == before.json()["own"]


# ------------------------------------------------------------------------- dates in the query string


@pytest.mark.parametrize("raw", ["1759968000", "0", "20251014"])
async def test_a_date_in_the_query_string_written_as_digits_is_refused_naming_it(
    supervision: Supervision, served: Served, raw: str
) -> None:
    """``?period_start=1759968000`` ranked the day 2025-10-09 (seconds since 1970 at midnight UTC), and
    ``?start=0`` counted working days from 1970-01-01 (a year no schedule covers)."""
    token = supervision.token(region="330000", roles=PROVINCE_ADMIN, scopes=("scoring:read",))
    scoring = supervision.client(supervision.scoring_url, token)
    admin = await served.setup.admin()
    answers = {
        "query.period_start": await scoring.get(
            "/v1/rankings", params={"period_kind": "day", "period_start": raw}
        ),
        "query.start": await served.setup.call(
            "GET", "/v1/calendar/workdays/add", admin, params={"start": raw, "days": 1}
        ),
        "query.period_end": await served.setup.call(
            "GET", "/v1/reports/statistics", admin, params={"period_end": raw}
        ),
    }
    for where, r in answers.items():
        assert r.status_code == 422, (where, r.text)
        [error] = r.json()["errors"]
        assert error["location"] == where and "ISO 8601" in error["message"], (where, error)
