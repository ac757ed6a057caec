"""Set-up helpers of the registry acceptance tests: the running app, offices, units, people, filings.

Everything goes through the public HTTP API as the bootstrap administrator would do it; the only shortcuts
are reading the registry's own signing key (to mint deliberately bad tokens) and creating the first
administrator of a second province, which the API cannot do from Zhejiang by design.
"""

from __future__ import annotations

import itertools
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from govmedia_common.ids import new_id
from govmedia_common.keys import SigningKey
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_registry.data import load_regions
from govmedia_registry.identity.tokens import hash_secret

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "bootstrap-admin-pw"
PASSWORD = "acceptance-pw-0001"
PROBLEM_JSON = "application/problem+json"
REGION_NAMES = {r.code: r.name for r in load_regions()}
START = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)  # a Friday just before the 2025 National Day holiday

_serial = itertools.count(1)


def on(day: str | date, hour: int = 10) -> datetime:
    """10:00 in Shanghai on ``day`` (ISO string or date): when the tests' clock stands."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(d.year, d.month, d.day, hour, tzinfo=SHANGHAI)


def office_name(region_code: str) -> str:
    """浙江省人民政府办公厅, 台州市人民政府办公室, 台州市路桥区人民政府办公室."""
    name = REGION_NAMES[region_code]
    if region_code.endswith("0000"):
        return f"{name}人民政府办公厅"
    city = region_code[:4] + "00"
    prefix = REGION_NAMES[city] if city != region_code and city in REGION_NAMES else ""
    return f"{prefix}{name}人民政府办公室"


def traceparent() -> tuple[str, str]:
    """A fresh W3C traceparent and its trace id: the audit log records the trace id of each request."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass
class Actor:
    """Someone (or something) holding a token: a person with roles or a machine client with scopes."""

    id: str
    username: str
    kind: str
    roles: list[str]
    region_code: str
    unit_id: str | None
    token: str
    http: httpx.AsyncClient

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.post(url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.put(url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.patch(url, **kw)

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return await self.http.request(method, url, **kw)


@dataclass
class Registry:
    """The registry app under test, driven in-process, with its clock and database."""

    client: httpx.AsyncClient
    clock: FixedClock
    database_url: str
    app: Any
    _clients: list[httpx.AsyncClient] = field(default_factory=list)
    _admin: Actor | None = None

    async def login(self, username: str, password: str) -> str:
        r = await self.client.post(
            "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def as_(self, token: str | None) -> httpx.AsyncClient:
        """An HTTP client sending ``token`` (none when None) to the same in-process app."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        http = httpx.AsyncClient(
            transport=self.client._transport, base_url="http://registry", headers=headers
        )
        self._clients.append(http)
        return http

    async def admin(self) -> Actor:
        """The bootstrap administrator: office admin and auditor of Zhejiang (330000)."""
        if self._admin is None:
            token = await self.login(ADMIN_USERNAME, ADMIN_PASSWORD)
            http = await self.as_(token)
            me = (await http.get("/v1/me")).json()
            self._admin = Actor(
                me["subject"], ADMIN_USERNAME, "person", me["roles"], me["region_code"], None, token, http
            )
        return self._admin

    @property
    def dsn(self) -> str:
        """The database as a plain asyncpg DSN."""
        return self.database_url.replace("+asyncpg", "")

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def signing_key(self) -> SigningKey:
        """The newest active key the registry signs tokens with (to mint tokens it must refuse)."""
        rows = await self.sql(
            "SELECT kid, private_pem FROM signing_keys WHERE active ORDER BY created_at DESC"
        )
        return SigningKey(kid=rows[0]["kid"], private_pem=rows[0]["private_pem"])

    async def apply_due(self) -> int:
        r = await (await self.admin()).post("/v1/admin/apply-due")
        assert r.status_code == 200, r.text
        return int(r.json()["applied"])

    async def aclose(self) -> None:
        for http in self._clients:
            await http.aclose()


class Factory:
    """Creates offices, units, people and machine clients through the API, with unique names."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def admin(self) -> Actor:
        return await self.registry.admin()

    async def unit(
        self,
        region_code: str,
        name: str,
        short_name: str,
        duty_keywords: tuple[str, ...] = (),
        *,
        kind: str = "host_unit",
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """A unit; a name already taken in the region gets a serial number appended (names are unique)."""
        by = by or await self.admin()
        body = {
            "name": name,
            "short_name": short_name,
            "kind": kind,
            "region_code": region_code,
            "duty_keywords": list(duty_keywords),
        }
        r = await by.post("/v1/units", json=body)
        if r.status_code == 409:
            body["name"] = f"{name}（{next(_serial)}）"
            r = await by.post("/v1/units", json=body)
        assert r.status_code == 201, r.text
        unit: dict[str, Any] = r.json()
        return unit

    async def office(self, region_code: str, *, by: Actor | None = None) -> dict[str, Any]:
        """The competent office (主管单位) of a region: its government's general office."""
        return await self.unit(
            region_code,
            office_name(region_code),
            "政府办",
            ("政务公开", "政务服务"),
            kind="competent_office",
            by=by,
        )

    async def person(
        self,
        roles: list[str] | tuple[str, ...],
        *,
        unit: dict[str, Any] | None = None,
        region_code: str | None = None,
        by: Actor | None = None,
    ) -> Actor:
        """A person with ``roles`` in ``unit`` (or only a region), registered and logged in."""
        by = by or await self.admin()
        username = f"{roles[0]}-{next(_serial)}-{uuid.uuid4().hex[:4]}"
        region = region_code or (unit["region_code"] if unit else None)
        assert region is not None
        r = await by.post(
            "/v1/people",
            json={
                "username": username,
                "display_name": f"{username} 同志",
                "password": PASSWORD,
                "unit_id": unit["id"] if unit else None,
                "region_code": region,
                "roles": list(roles),
            },
        )
        assert r.status_code == 201, r.text
        token = await self.registry.login(username, PASSWORD)
        return Actor(
            r.json()["id"],
            username,
            "person",
            list(roles),
            region,
            unit["id"] if unit else None,
            token,
            await self.registry.as_(token),
        )

    async def client(
        self, region_code: str, scopes: list[str], *, by: Actor | None = None, ask: list[str] | None = None
    ) -> Actor:
        """A machine client registered by an office admin, holding a client-credentials token."""
        by = by or await self.admin()
        r = await by.post(
            "/v1/clients",
            json={
                "name": f"政务服务网对接系统 {next(_serial)}",
                "region_code": region_code,
                "scopes": scopes,
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        form = {
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        }
        if ask is not None:
            form["scope"] = " ".join(ask)
        t = await self.registry.client.post("/v1/auth/token", data=form)
        assert t.status_code == 200, t.text
        token = t.json()["access_token"]
        return Actor(
            created["client_id"],
            created["name"],
            "client",
            ["system"],
            region_code,
            None,
            token,
            await self.registry.as_(token),
        )

    async def first_admin_of(self, province: str) -> Actor:
        """The first office admin (and auditor) of another province, as that province's installation would
        create it at bootstrap: nobody in Zhejiang can register people outside Zhejiang."""
        username = f"admin-{province}-{uuid.uuid4().hex[:4]}"
        await self.registry.sql(
            "INSERT INTO people (id, username, display_name, password_hash, unit_id, region_code, roles,"
            " active) VALUES ($1, $2, $3, $4, NULL, $5, $6::jsonb, true)",
            new_id(),
            username,
            f"{REGION_NAMES[province]}管理员",
            hash_secret(PASSWORD),
            province,
            json.dumps(["office_admin", "auditor"]),
        )
        token = await self.registry.login(username, PASSWORD)
        http = await self.registry.as_(token)
        me = (await http.get("/v1/me")).json()
        return Actor(me["subject"], username, "person", me["roles"], province, None, token, http)


# ----------------------------------------------------------------------------------------------- filings


def open_body(
    unit_id: str, name: str, platform: str = "wechat", event_date: str = "2025-09-26", **account: Any
) -> dict[str, Any]:
    return {
        "type": "open",
        "event_date": event_date,
        "account": {"name": name, "platform": platform, "unit_id": unit_id, **account},
    }


async def decide(actor: Actor, filing_id: str, decision: str, reason: str | None = None) -> httpx.Response:
    """Decide the level a filing waits at, with the ETag of the version the actor just read (``*`` when the
    actor cannot read the filing: the decision itself must then be refused)."""
    current = await actor.get(f"/v1/filings/{filing_id}")
    body: dict[str, Any] = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    return await actor.post(
        f"/v1/filings/{filing_id}/decisions",
        json=body,
        headers={"If-Match": current.headers.get("etag", "*")},
    )


async def with_etag(actor: Actor, method: str, url: str, read_url: str, **kw: Any) -> httpx.Response:
    """Send a conditional request with the ETag of ``read_url`` as the actor reads it now."""
    current = await actor.get(read_url)
    assert current.status_code == 200, current.text
    headers = {**kw.pop("headers", {}), "If-Match": current.headers["etag"]}
    return await actor.request(method, url, headers=headers, **kw)


@dataclass
class HostUnit:
    """A host unit (主办单位) with two unit admins: one files, the other approves the unit level."""

    unit: dict[str, Any]
    filer: Actor
    boss: Actor

    @property
    def id(self) -> str:
        return str(self.unit["id"])


@dataclass
class Taizhou:
    """Luqiao (331004) under Taizhou (331000) in Zhejiang: the offices and staff that approve filings."""

    registry: Registry
    factory: Factory
    county_office: dict[str, Any]
    city_office: dict[str, Any]
    sibling_office: dict[str, Any]
    county: Actor  # office staff of Luqiao: the county level
    city: Actor  # office staff of Taizhou: the city level
    sibling: Actor  # office staff of Jiaojiang (331002), a sibling county
    city_admin: Actor  # office admin of Taizhou (not province level)

    @classmethod
    async def build(cls, registry: Registry) -> Taizhou:
        f = Factory(registry)
        county_office = await f.office("331004")
        city_office = await f.office("331000")
        sibling_office = await f.office("331002")
        return cls(
            registry,
            f,
            county_office,
            city_office,
            sibling_office,
            county=await f.person(["office_staff"], unit=county_office),
            city=await f.person(["office_staff"], unit=city_office),
            sibling=await f.person(["office_staff"], unit=sibling_office),
            city_admin=await f.person(["office_admin"], unit=city_office),
        )

    async def host_unit(
        self,
        name: str = "台州市路桥区市场监督管理局",
        short_name: str = "市场监管局",
        duty_keywords: tuple[str, ...] = ("市场监管", "食品安全"),
        region_code: str = "331004",
    ) -> HostUnit:
        unit = await self.factory.unit(region_code, name, short_name, duty_keywords)
        return HostUnit(
            unit,
            await self.factory.person(["unit_admin"], unit=unit),
            await self.factory.person(["unit_admin"], unit=unit),
        )

    def approvers(self, hu: HostUnit) -> list[Actor]:
        """Who decides each level of a county unit's filing: unit, county (Luqiao or Jiaojiang), city."""
        county = {"331004": self.county, "331002": self.sibling}[hu.unit["region_code"]]
        return [hu.boss, county, self.city]

    async def file(self, hu: HostUnit, body: dict[str, Any]) -> dict[str, Any]:
        r = await hu.filer.post("/v1/filings", json=body)
        assert r.status_code == 201, r.text
        filing: dict[str, Any] = r.json()
        return filing

    async def approve_all(self, hu: HostUnit, filing_id: str) -> dict[str, Any]:
        """Approve every level; returns the filing as the last approver sees it."""
        r = None
        for approver in self.approvers(hu):
            r = await decide(approver, filing_id, "approve")
            assert r.status_code == 200, r.text
        assert r is not None
        filing: dict[str, Any] = r.json()
        return filing

    async def apply_after(self, filing: dict[str, Any]) -> None:
        """Move the clock to the day after the announcement and let due filings take effect."""
        ends = date.fromisoformat(filing["announcement_ends_on"])
        self.registry.clock.set(on(ends + timedelta(days=1)))
        await self.registry.apply_due()

    async def active_account(
        self,
        hu: HostUnit,
        name: str = "路桥市场监管",
        platform: str = "wechat",
        day: str = "2025-09-26",
        **details: Any,
    ) -> dict[str, Any]:
        """Open an account all the way: filed on ``day``, approved at every level, announced, applied."""
        self.registry.clock.set(on(day))
        filing = await self.file(hu, open_body(hu.id, name, platform, event_date=day, **details))
        approved = await self.approve_all(hu, filing["id"])
        await self.apply_after(approved)
        account = await self.account(filing["account_id"])
        assert account["status"] == "active", account
        return account

    async def account(self, account_id: str) -> dict[str, Any]:
        r = await self.city.get(f"/v1/accounts/{account_id}")
        assert r.status_code == 200, r.text
        account: dict[str, Any] = r.json()
        return account

    async def filing(self, filing_id: str) -> dict[str, Any]:
        r = await self.city.get(f"/v1/filings/{filing_id}")
        assert r.status_code == 200, r.text
        filing: dict[str, Any] = r.json()
        return filing
