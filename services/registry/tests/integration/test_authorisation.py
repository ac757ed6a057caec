"""Who may do what, where: every endpoint × every role × every place in the region tree.

The target of every request sits in Taizhou (331000): a host unit 台州市市场监督管理局 with a pending opening
filing for its account. Each role is held by someone in each position relative to it:

    own      the target's own unit (unit roles) or Taizhou's competent office (office roles, clients)
    peer     another unit of Taizhou (unit roles only)
    parent   Zhejiang (330000), above the target
    sibling  Hangzhou (330100), beside it
    child    Luqiao (331004), below it
    other    Guangxi (450000), an unrelated province

Outcomes: ``ok`` the request is authorised (write probes are built to stop harmlessly right after
authorisation: a stale If-Match → 412, a duplicate → 409, an invalid detail → 422); ``hidden`` the target is
not disclosed (404, or absent from a list); ``refused`` 403 problem+json, recorded in the audit log.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from govmedia_common.keys import SigningKey, mint_token
from services.registry.tests.integration.factory import (
    PROBLEM_JSON,
    Actor,
    Factory,
    Registry,
    assert_problem,
    open_body,
    traceparent,
)

pytestmark = pytest.mark.integration

OWN, PEER, PARENT, SIBLING, CHILD, OTHER = "own", "peer", "parent", "sibling", "child", "other"
OK, HIDDEN, REFUSED = "ok", "hidden", "refused"

# Rules: what each position gets.
ALL = {p: OK for p in (OWN, PEER, PARENT, SIBLING, CHILD, OTHER)}
NO = {p: REFUSED for p in ALL}
SUB = {OWN: OK, PEER: OK, PARENT: OK, SIBLING: HIDDEN, CHILD: HIDDEN, OTHER: HIDDEN}  # the caller's subtree
UNIT = {**{p: HIDDEN for p in ALL}, OWN: OK}  # unit staff: their own unit's data only
SUBW = {**{p: REFUSED for p in ALL}, OWN: OK, PEER: OK, PARENT: OK}  # writes naming a region of the subtree
UNTW = {**{p: REFUSED for p in ALL}, OWN: OK}  # writes for the caller's own unit only
PROV = {**{p: REFUSED for p in ALL}, PARENT: OK, OTHER: OK}  # national data: any province-level office admin
FILE = {**UNIT, PEER: REFUSED, PARENT: REFUSED}  # a unit admin sees the unit exists, may not file for it

ROLES = (
    "editor",
    "reviewer",
    "approver",
    "unit_admin",
    "liaison",
    "office_staff",
    "office_admin",
    "auditor",
    "client",
)
UNIT_ROLES = ROLES[:5]

# Rows: every endpoint of the API; columns: the roles, in the order of ROLES (the last is a machine client).
# fmt: off
MATRIX: dict[str, tuple[dict[str, str], ...]] = {
    #                                             edit  revw  appr  uadm  liai  ostf  oadm  audt  clnt
    "GET /v1/me":                                (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL),
    "GET /v1/regions":                           (SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB),
    "GET /v1/regions/{code}/settings":           (SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB,  SUB),
    "PUT /v1/regions/{code}/settings":           (NO,   NO,   NO,   NO,   NO,   NO,   SUB,  NO,   NO),
    "GET /v1/calendar/{year}":                   (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL),
    "PUT /v1/calendar/{year}":                   (NO,   NO,   NO,   NO,   NO,   NO,   PROV, NO,   NO),
    "GET /v1/calendar/workdays/add":             (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL),
    "POST /v1/units":                            (NO,   NO,   NO,   NO,   NO,   NO,   SUBW, NO,   NO),
    "GET /v1/units":                             (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "GET /v1/units/{unit_id}":                   (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "PATCH /v1/units/{unit_id}":                 (NO,   NO,   NO,   NO,   NO,   NO,   SUB,  NO,   NO),
    "GET /v1/public/announcements":              (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL),
    "GET /v1/public/announcements.atom":         (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL),
    "POST /v1/naming-checks":                    (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "POST /v1/people":                           (NO,   NO,   NO,   UNTW, NO,   NO,   SUBW, NO,   NO),
    "GET /v1/people":                            (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "POST /v1/clients":                          (NO,   NO,   NO,   NO,   NO,   NO,   SUBW, NO,   NO),
    "POST /v1/filings":                          (NO,   NO,   NO,   FILE, NO,   SUB,  SUB,  NO,   NO),
    "GET /v1/filings":                           (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "GET /v1/filings/{filing_id}":               (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "POST /v1/filings/{filing_id}/decisions":    (NO,   NO,   NO,   UNIT, NO,   SUB,  SUB,  NO,   NO),
    "POST /v1/filings/{filing_id}/resubmit":     (NO,   NO,   NO,   UNIT, NO,   SUB,  SUB,  NO,   NO),
    "POST /v1/filings/{filing_id}/withdraw":     (NO,   NO,   NO,   UNIT, NO,   SUB,  SUB,  NO,   NO),
    "GET /v1/accounts":                          (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "GET /v1/accounts/{account_id}":             (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "PATCH /v1/accounts/{account_id}":           (NO,   NO,   NO,   UNIT, NO,   SUB,  SUB,  NO,   NO),
    "POST /v1/accounts/{account_id}/stop-update-notice":
                                                 (NO,   NO,   NO,   UNIT, NO,   SUB,  SUB,  NO,   NO),
    "POST /v1/accounts/{account_id}/certification":
                                                 (NO,   NO,   NO,   NO,   NO,   SUB,  SUB,  NO,   NO),
    "GET /v1/accounts/{account_id}/history":     (UNIT, UNIT, UNIT, UNIT, UNIT, SUB,  SUB,  SUB,  SUB),
    "GET /v1/audit":                             (NO,   NO,   NO,   NO,   NO,   NO,   NO,   SUB,  NO),
    "GET /v1/reports/statistics":                (NO,   NO,   NO,   NO,   NO,   SUB,  SUB,  SUB,  NO),
    "POST /v1/admin/apply-due":                  (NO,   NO,   NO,   NO,   NO,   NO,   PROV, NO,   NO),
    "POST /v1/admin/signing-keys":               (NO,   NO,   NO,   NO,   NO,   NO,   PROV, NO,   NO),
    "POST /v1/admin/signing-keys/{kid}/retire":  (NO,   NO,   NO,   NO,   NO,   NO,   PROV, NO,   NO),
    "PUT /v1/me/password":                       (ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  ALL,  NO),
    "POST /v1/people/{person_id}/deactivation":  (NO,   NO,   NO,   UNIT, NO,   NO,   SUB,  NO,   NO),
    "POST /v1/people/{person_id}/reactivation":  (NO,   NO,   NO,   UNIT, NO,   NO,   SUB,  NO,   NO),
    "POST /v1/people/{person_id}/password-reset":
                                                 (NO,   NO,   NO,   UNIT, NO,   NO,   SUB,  NO,   NO),
    "POST /v1/people/{person_id}/token-revocation":
                                                 (NO,   NO,   NO,   UNIT, NO,   NO,   SUB,  NO,   NO),
    "POST /v1/clients/{client_id}/secret":       (NO,   NO,   NO,   NO,   NO,   NO,   SUB,  NO,   NO),
}
# fmt: on
PUBLIC = {
    "POST /v1/auth/token",
    "GET /.well-known/jwks.json",
    "GET /.well-known/revocations",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
}

STALE = {"If-Match": 'W/"0"'}  # no resource is at version 0: an authorised caller gets 412, nothing changes


@dataclass(frozen=True)
class Probe:
    """How to call an endpoint about the target, and what an authorised or hidden answer looks like."""

    path: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, str | None] = (200, None)  # status (and problem code) of an authorised request
    hidden: tuple[int, str] = (404, "not-found")
    listed: str | None = None  # for lists: the target's id, which an authorised caller finds in the items


@dataclass
class World:
    registry: Registry
    people: dict[tuple[str, str], Actor]
    auditors: dict[str, Actor]  # by province prefix: who reads the audit entries of callers there
    unit: dict[str, Any]
    filer: Actor
    filing: dict[str, Any]

    def probe(self, endpoint: str) -> Probe:
        unit, filing, account = self.unit["id"], self.filing["id"], self.filing["account_id"]
        refused_name = open_body(unit, "台州发布", "weibo")  # R2 (and R3): stops after authorisation
        return {
            "GET /v1/me": Probe("/v1/me"),
            "GET /v1/regions": Probe("/v1/regions", params={"limit": 500}, listed="331000"),
            "GET /v1/regions/{code}/settings": Probe("/v1/regions/331000/settings"),
            "PUT /v1/regions/{code}/settings": Probe(
                "/v1/regions/331000/settings",
                json={"settings": {"registry": {"no_such_rule": 1}}},
                ok=(422, "invalid-registry-rules"),
            ),
            "GET /v1/calendar/{year}": Probe("/v1/calendar/2025"),
            "PUT /v1/calendar/{year}": Probe(
                "/v1/calendar/2031",
                json={"holidays": ["2030-10-01"], "workdays": []},
                ok=(422, "calendar-date-outside-year"),
            ),
            "GET /v1/calendar/workdays/add": Probe(
                "/v1/calendar/workdays/add", params={"start": "2025-09-26", "days": 7}
            ),
            "POST /v1/units": Probe(
                "/v1/units",
                json={"name": self.unit["name"], "short_name": "市场监管局", "region_code": "331000"},
                ok=(409, "unit-name-taken"),
            ),
            "GET /v1/units": Probe("/v1/units", params={"limit": 500}, listed=unit),
            "GET /v1/units/{unit_id}": Probe(f"/v1/units/{unit}"),
            "GET /v1/public/announcements": Probe("/v1/public/announcements", params={"region": "331000"}),
            "GET /v1/public/announcements.atom": Probe(
                "/v1/public/announcements.atom", params={"region": "331000"}
            ),
            "POST /v1/naming-checks": Probe(
                "/v1/naming-checks", json={"name": "台州发布", "unit_id": unit, "platform": "weibo"}
            ),
            "PATCH /v1/units/{unit_id}": Probe(
                f"/v1/units/{unit}",
                json={"contact_phone": "0576-1"},
                headers=STALE,
                ok=(412, "stale-version"),
            ),
            "POST /v1/people": Probe(
                "/v1/people",
                json={
                    "username": self.filer.username,
                    "display_name": "重名者",
                    "password": "long-enough-pw",
                    "unit_id": unit,
                    "region_code": "331000",
                    "roles": ["editor"],
                },
                ok=(409, "username-taken"),
            ),
            "GET /v1/people": Probe("/v1/people", params={"limit": 500}, listed=self.filer.id),
            "POST /v1/clients": Probe(
                "/v1/clients",
                json={"name": "对接系统", "region_code": "331000", "scopes": ["registry:everything"]},
                ok=(422, "unknown-scope"),
            ),
            "POST /v1/filings": Probe(
                "/v1/filings", json=refused_name, ok=(422, "naming-r2"), hidden=(422, "unknown-unit")
            ),
            "GET /v1/filings": Probe("/v1/filings", params={"limit": 500}, listed=filing),
            "GET /v1/filings/{filing_id}": Probe(f"/v1/filings/{filing}"),
            "POST /v1/filings/{filing_id}/decisions": Probe(
                f"/v1/filings/{filing}/decisions",
                json={"decision": "approve"},
                headers=STALE,
                ok=(412, "stale-version"),
            ),
            "POST /v1/filings/{filing_id}/resubmit": Probe(
                f"/v1/filings/{filing}/resubmit", json={}, headers=STALE, ok=(412, "stale-version")
            ),
            "POST /v1/filings/{filing_id}/withdraw": Probe(
                f"/v1/filings/{filing}/withdraw", headers=STALE, ok=(412, "stale-version")
            ),
            "GET /v1/accounts": Probe("/v1/accounts", params={"limit": 500}, listed=account),
            "GET /v1/accounts/{account_id}": Probe(f"/v1/accounts/{account}"),
            "PATCH /v1/accounts/{account_id}": Probe(
                f"/v1/accounts/{account}",
                json={"interaction_enabled": False},
                headers=STALE,
                ok=(412, "stale-version"),
            ),
            "POST /v1/accounts/{account_id}/stop-update-notice": Probe(
                f"/v1/accounts/{account}/stop-update-notice",
                json={"published_on": "2025-09-26"},
                headers=STALE,
                ok=(412, "stale-version"),
            ),
            "POST /v1/accounts/{account_id}/certification": Probe(
                f"/v1/accounts/{account}/certification",
                json={"certified": True},
                headers=STALE,
                ok=(412, "stale-version"),
            ),
            "GET /v1/accounts/{account_id}/history": Probe(f"/v1/accounts/{account}/history"),
            "GET /v1/audit": Probe("/v1/audit", params={"limit": 500}, listed=filing),
            "GET /v1/reports/statistics": Probe("/v1/reports/statistics", params={"region": "331000"}),
            "POST /v1/admin/apply-due": Probe("/v1/admin/apply-due"),
            "POST /v1/admin/signing-keys": Probe("/v1/admin/signing-keys", ok=(201, None)),
            "POST /v1/admin/signing-keys/{kid}/retire": Probe(
                "/v1/admin/signing-keys/no-such-key/retire", ok=(404, "not-found")
            ),
            # Identity's life-cycle, about the filer (a person of the target unit) and Taizhou's client;
            # each stops right after authorisation: a weak new password, a missing reason.
            "PUT /v1/me/password": Probe(
                "/v1/me/password",
                json={"current_password": "whatever", "new_password": "short"},
                ok=(422, "weak-password"),
            ),
            "POST /v1/people/{person_id}/deactivation": Probe(
                f"/v1/people/{self.filer.id}/deactivation", json={"reason": " "}, ok=(422, "reason-required")
            ),
            "POST /v1/people/{person_id}/reactivation": Probe(
                f"/v1/people/{self.filer.id}/reactivation", json={"reason": ""}, ok=(422, "reason-required")
            ),
            "POST /v1/people/{person_id}/password-reset": Probe(
                f"/v1/people/{self.filer.id}/password-reset",
                json={"new_password": "short"},
                ok=(422, "weak-password"),
            ),
            "POST /v1/people/{person_id}/token-revocation": Probe(
                f"/v1/people/{self.filer.id}/token-revocation",
                json={"reason": ""},
                ok=(422, "reason-required"),
            ),
            "POST /v1/clients/{client_id}/secret": Probe(
                f"/v1/clients/{self.people['client', OWN].id}/secret",
                json={"reason": ""},
                ok=(422, "reason-required"),
            ),
        }[endpoint]


REGION = {
    OWN: "331000",
    PEER: "331000",
    PARENT: "330000",
    SIBLING: "330100",
    CHILD: "331004",
    OTHER: "450000",
}
HOST_UNIT = {
    OWN: ("台州市市场监督管理局", "市场监管局", ("市场监管",)),
    PEER: ("台州市教育局", "教育局", ("教育",)),
    PARENT: ("浙江省市场监督管理局", "市场监管局", ("市场监管",)),
    SIBLING: ("杭州市市场监督管理局", "市场监管局", ("市场监管",)),
    CHILD: ("台州市路桥区市场监督管理局", "市场监管局", ("市场监管",)),
    OTHER: ("广西壮族自治区市场监督管理局", "市场监管局", ("市场监管",)),
}
# A client with every registry scope still may not act where the API asks for a role: scopes are not roles.
CLIENT_SCOPES = ["registry:read", "registry:file", "registry:approve", "registry:admin", "audit:read"]


def positions(role: str) -> tuple[str, ...]:
    return (
        (OWN, PEER, PARENT, SIBLING, CHILD, OTHER)
        if role in UNIT_ROLES
        else (OWN, PARENT, SIBLING, CHILD, OTHER)
    )


@pytest.fixture(scope="module")
async def world(module_registry: Registry) -> World:
    f = Factory(module_registry)
    zhejiang, guangxi = await f.admin(), await f.first_admin_of("450000")
    people: dict[tuple[str, str], Actor] = {}
    target: dict[str, Any] = {}
    for position in (OWN, PEER, PARENT, SIBLING, CHILD, OTHER):
        by = guangxi if position == OTHER else zhejiang
        unit = await f.unit(REGION[position], *HOST_UNIT[position], by=by)
        target.setdefault(position, unit)
        for role in UNIT_ROLES:
            people[role, position] = await f.person([role], unit=unit, by=by)
        if position == PEER:
            continue
        office = await f.office(REGION[position], by=by)
        for role in ("office_staff", "office_admin", "auditor"):
            people[role, position] = await f.person([role], unit=office, by=by)
        people["client", position] = await f.client(REGION[position], CLIENT_SCOPES, by=by)
    filer = await f.person(["unit_admin"], unit=target[OWN])
    r = await filer.post("/v1/filings", json=open_body(target[OWN]["id"], "台州市场监管"))
    assert r.status_code == 201, r.text
    return World(module_registry, people, {"33": zhejiang, "45": guangxi}, target[OWN], filer, r.json())


def _subtree(region_code: str) -> str:
    """The prefix of every code below a region: 330000 → 33, 331000 → 3310, 331004 → 331004."""
    return (
        region_code[:2]
        if region_code.endswith("0000")
        else region_code[:4]
        if region_code.endswith("00")
        else region_code
    )


def _leaks(actor: Actor, item: dict[str, Any]) -> bool:
    """An item of a list the actor should never have seen: outside its subtree, or another unit's."""
    region = item.get("region_code", item.get("code", item.get("actor_region")))
    if region is not None and not region.startswith(_subtree(actor.region_code)):
        return True
    if actor.kind == "person" and set(actor.roles) <= set(UNIT_ROLES):
        return item.get("unit_id", item["id"] if "short_name" in item else actor.unit_id) != actor.unit_id
    return False


async def _listed(actor: Actor, probe: Probe, response: httpx.Response) -> bool:
    """Whether the target is among the items, following the cursor through every page; no item may leak."""
    while True:
        body = response.json()
        leaked = [i for i in body["items"] if _leaks(actor, i)]
        assert not leaked, f"{actor.username} sees {leaked[:3]}"
        if any(probe.listed in (i.get("id"), i.get("code"), i.get("target")) for i in body["items"]):
            return True
        if not body.get("next_cursor"):
            return False
        response = await actor.get(probe.path, params={**probe.params, "cursor": body["next_cursor"]})


async def _outcome(actor: Actor, method: str, probe: Probe) -> tuple[str, httpx.Response, str]:
    header, trace_id = traceparent()
    r = await actor.request(
        method,
        probe.path,
        json=probe.json,
        params=probe.params,
        headers={**probe.headers, "traceparent": header},
    )
    code = r.json().get("code") if r.headers.get("content-type", "").startswith(PROBLEM_JSON) else None
    if r.status_code == 403:
        return REFUSED, r, trace_id
    if probe.listed is not None and r.status_code == 200:
        return (OK if await _listed(actor, probe, r) else HIDDEN), r, trace_id
    if (r.status_code, code) == (probe.ok[0], probe.ok[1] or code):
        return OK, r, trace_id
    if (r.status_code, code) == probe.hidden:
        return HIDDEN, r, trace_id
    return f"unexpected {r.status_code} {code or r.text[:80]}", r, trace_id


async def _audited_refusals(world: World, refusals: list[tuple[Actor, str, str]]) -> list[str]:
    """Refusals (actor, action, trace id) missing from the audit log as their province's auditor reads it."""
    missing = []
    pages: dict[str, list[dict[str, Any]]] = {}
    for actor, action, trace_id in refusals:
        prefix = actor.region_code[:2]
        if prefix not in pages:
            r = await world.auditors[prefix].get("/v1/audit", params={"limit": 100})
            assert r.status_code == 200, r.text
            pages[prefix] = r.json()["items"]
        entry = next((e for e in pages[prefix] if e["trace_id"] == trace_id), None)
        if entry is None or (entry["outcome"], entry["status_code"], entry["actor_id"], entry["action"]) != (
            "refused",
            403,
            actor.id,
            action,
        ):
            missing.append(f"{actor.username} {action}: {entry}")
    return missing


CELLS = [(endpoint, role) for endpoint in MATRIX for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{e} as {r}" for e, r in CELLS])
async def test_access_matches_the_matrix(world: World, endpoint: str, role: str) -> None:
    rule = MATRIX[endpoint][ROLES.index(role)]
    method = endpoint.split()[0]
    probe = world.probe(endpoint)
    where = positions(role)
    results = await asyncio.gather(*(_outcome(world.people[role, p], method, probe) for p in where))
    got = {p: outcome for p, (outcome, _, _) in zip(where, results, strict=True)}
    expected = {p: rule[p] for p in where}
    assert got == expected, "\n".join(
        f"{p:8} expected {expected[p]:8} got {got[p]}: {r.text[:160]}"
        for p, (_, r, _) in zip(where, results, strict=True)
        if got[p] != expected[p]
    )
    for (outcome, r, _), p in zip(results, where, strict=True):
        if outcome == REFUSED or (outcome == HIDDEN and probe.listed is None):
            assert r.headers["content-type"].startswith(PROBLEM_JSON), (p, r.headers)
    refusals = [
        (world.people[role, p], f"{method} {probe.path}", tid)
        for p, (outcome, _, tid) in zip(where, results, strict=True)
        if outcome == REFUSED
    ]
    assert await _audited_refusals(world, refusals) == []


def test_the_matrix_covers_every_endpoint_of_the_api(module_registry: Registry) -> None:
    paths = module_registry.app.openapi()["paths"]  # the published contract: every route the API has
    routes = {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}
    assert routes - PUBLIC - set(MATRIX) == set(), "endpoints without a row in MATRIX"
    assert set(MATRIX) - routes == set(), "rows in MATRIX for endpoints that no longer exist"


# ------------------------------------------------------------------------------------------- bad tokens


def _claims_token(key: SigningKey, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "subject": "00000000-0000-4000-8000-000000000001",
        "region": "330000",
        "roles": ["office_admin", "auditor"],
        "scopes": ["registry:read", "registry:admin", "audit:read"],
    }
    claims.update(overrides)
    return mint_token(key, **claims)


async def _bad_tokens(registry: Registry) -> dict[str, tuple[str | None, int]]:
    """Tokens the registry must refuse, with the status it answers."""
    key = await registry.signing_key()
    stranger = SigningKey.generate()
    forged_hs256 = jwt.encode(
        {
            "sub": "x",
            "iss": "govmedia-registry",
            "aud": "govmedia",
            "region": "330000",
            "exp": int(time.time()) + 600,
            "iat": int(time.time()),
        },
        "s" * 32,
        algorithm="HS256",
    )
    return {
        "missing": (None, 401),
        "not-a-jwt": ("not.a.jwt", 401),
        "expired": (_claims_token(key, now=time.time() - 3600), 401),
        "wrong-audience": (_claims_token(key, audience="another-platform"), 401),
        "wrong-issuer": (_claims_token(key, issuer="https://impostor.example"), 401),
        "unknown-key": (_claims_token(stranger), 401),
        "hs256-forgery": (forged_hs256, 401),
        "wrong-scope": (_claims_token(key, scopes=["monitor:read"]), 403),
    }


TOKEN_CASES = [
    "missing",
    "not-a-jwt",
    "expired",
    "wrong-audience",
    "wrong-issuer",
    "unknown-key",
    "hs256-forgery",
    "wrong-scope",
]


@pytest.mark.parametrize("case", TOKEN_CASES)
async def test_bad_tokens_are_refused_as_problems_and_audited(world: World, case: str) -> None:
    token, status = (await _bad_tokens(world.registry))[case]
    http = await world.registry.as_(token)
    admin = world.auditors["33"]
    for method, path in (("GET", "/v1/units"), ("POST", "/v1/admin/apply-due"), ("GET", "/v1/audit")):
        header, trace_id = traceparent()
        r = await http.request(method, path, headers={"traceparent": header})
        assert_problem(r, status, "unauthorized" if status == 401 else "insufficient-scope")
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
        entries = (await admin.get("/v1/audit", params={"limit": 50})).json()["items"]
        entry = next(e for e in entries if e["trace_id"] == trace_id)
        assert (entry["outcome"], entry["status_code"], entry["action"]) == (
            "refused",
            status,
            f"{method} {path}",
        )


async def test_token_endpoint_refuses_wrong_secrets_and_scopes_a_client_was_not_given(world: World) -> None:
    client = world.registry.client
    r = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": world.filer.username, "password": "wrong-password"},
    )
    assert_problem(r, 401, "unauthorized")
    f = Factory(world.registry)
    reader = await f.client("331000", ["registry:read"])
    assert_problem(
        await client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": reader.id, "client_secret": "guessed"},
        ),
        401,
        "unauthorized",
    )
    created = await (await f.admin()).post(
        "/v1/clients", json={"name": "只读对接", "region_code": "331000", "scopes": ["registry:read"]}
    )
    secret = created.json()["client_secret"]
    r = await client.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": secret,
            "scope": "registry:read audit:read",
        },
    )
    assert assert_problem(r, 400, "invalid-scope")["error"] == "invalid_scope"  # RFC 6749 §5.2
    narrowed = await f.client("331000", ["registry:read", "audit:read"], ask=["registry:read"])
    assert_problem(await narrowed.get("/v1/audit"), 403)  # neither the role nor, now, the scope


async def test_audit_log_rejects_update_delete_and_truncate_in_the_database(world: World) -> None:
    conn = await asyncpg.connect(world.registry.dsn)
    try:
        before = await conn.fetchval("SELECT count(*) FROM audit_log WHERE outcome = 'refused'")
        assert before > 0
        for statement in (
            "UPDATE audit_log SET outcome = 'success' WHERE outcome = 'refused'",
            "DELETE FROM audit_log WHERE outcome = 'refused'",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE outcome = 'refused'") == before
    finally:
        await conn.close()
