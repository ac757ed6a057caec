"""The ledger run's driver: commands through the five public HTTP APIs, each accepted one written down with
the effect it must have, retried the way a careful client retries (same ``Idempotency-Key``; a state read
before repeating a step guarded by ``If-Match``) while services are killed under it."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from govmedia_common.db import create_engine
from govmedia_common.hashing import content_hash
from govmedia_common.workdays import SHANGHAI
from tests.fault.ledger_platform import ADMIN_PASSWORD, LedgerPlatform

PASSWORD = "Ledger-staff-pw-7731"
COUNTY, CITY = "331004", "331000"  # 台州市路桥区, 台州市
PLATFORMS = ("wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili", "app", "miniprogram")


@dataclass
class ReviewedPost:
    post_id: str
    account_id: str
    platform_post_id: str


@dataclass
class Observation:
    account_id: str
    platform_post_id: str


@dataclass
class Metric:
    account_id: str
    platform_post_id: str
    taken_at: datetime
    reads: int


@dataclass
class Ledger:
    """Every accepted command and what it must have caused, once, in each service that learns of it."""

    accounts: list[str] = field(default_factory=list)  # opened: active everywhere
    reviewed: list[ReviewedPost] = field(default_factory=list)  # submitted, reviewed twice, published
    observed: list[Observation] = field(default_factory=list)  # seen without review: one alert, one case
    metrics: list[Metric] = field(default_factory=list)  # snapshots of observed posts: the latest counts
    poison: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # event id → (topic, ce_type)
    replayed: int = 0  # records already delivered, sent again
    faults: list[str] = field(default_factory=list)
    retries: int = 0  # transport failures a command survived
    server_errors: list[str] = field(default_factory=list)


class Driver:
    """Signed-in people of one unit and the calls they make, retried across kills."""

    def __init__(self, platform: LedgerPlatform, ledger: Ledger) -> None:
        self.platform = platform
        self.ledger = ledger
        self.http = httpx.AsyncClient(timeout=30.0)
        self.admin: dict[str, str] = {}
        self.machine: dict[str, str] = {}
        self.people: dict[str, dict[str, str]] = {}
        self.unit_id = ""
        self.tag = uuid.uuid4().hex[:6]
        self.registry_db = create_engine(platform.infra.database_url("registry"), pool_size=2)
        self._serial = 0

    async def close(self) -> None:
        await self.http.aclose()
        await self.registry_db.dispose()

    # ------------------------------------------------------------------------------------------ plumbing

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        who: dict[str, str] | None = None,
        *,
        within: float = 120.0,
        **kw: Any,
    ) -> httpx.Response:
        """One request, repeated while the service is down or restarting (the same request each time)."""
        headers = {**(self.admin if who is None else who), **kw.pop("headers", {})}
        deadline = time.monotonic() + within
        while True:
            try:
                r = await self.http.request(method, self.platform.url(service) + path, headers=headers, **kw)
                if r.status_code < 500:
                    return r
                self.ledger.server_errors.append(
                    f"{service} {method} {path} → {r.status_code}: {r.text[:200]}"
                )
            except httpx.TransportError:
                self.ledger.retries += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"{service} {method} {path} did not answer within {within:.0f}s")
            await asyncio.sleep(0.4)

    async def ok(
        self, service: str, method: str, path: str, who: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        r = await self.call(service, method, path, who, **kw)
        assert r.is_success, f"{service} {method} {path} → {r.status_code}: {r.text[:500]}"
        return r.json() if r.content else None

    async def once_known(self, service: str, method: str, path: str, who: dict[str, str], **kw: Any) -> Any:
        """A call about an account the service may not have learnt yet (or not yet as active): repeated
        while it answers so, as a client would after a 404/409 naming the account's state."""
        deadline = time.monotonic() + 120
        while True:
            r = await self.call(service, method, path, who, **kw)
            # not learnt yet: the review and the monitor answer 422 unknown-account
            unknown = "unknown-account" in r.text
            waiting = r.status_code in (404, 409) or (r.status_code == 422 and unknown)
            if not waiting or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert r.is_success, f"{service} {method} {path} → {r.status_code}: {r.text[:500]}"
        return r.json()

    async def token(self, username: str, password: str) -> dict[str, str]:
        r = await self.call(
            "registry", "POST", "/v1/auth/token", {},
            data={"grant_type": "password", "username": username, "password": password},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def serial(self) -> int:
        self._serial += 1
        return self._serial

    # ------------------------------------------------------------------------------------------ set-up

    async def set_up(self) -> None:
        """The administrator, a crawler client, the county and city offices, one unit and its people."""
        self.admin = await self.token("admin", ADMIN_PASSWORD)
        client = await self.ok(
            "registry", "POST", "/v1/clients",
            json={"name": f"账本采集{self.tag}", "region_code": "330000",
                  "scopes": ["monitor:ingest", "monitor:write"]},
        )  # fmt: skip
        r = await self.call(
            "registry", "POST", "/v1/auth/token", {},
            data={"grant_type": "client_credentials", "client_id": client["client_id"],
                  "client_secret": client["client_secret"]},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        self.machine = {"Authorization": f"Bearer {r.json()['access_token']}"}

        async def unit(region: str, name: str, kind: str, duty: str | None = None) -> dict[str, Any]:
            body: dict[str, Any] = {
                "name": name,
                "short_name": name[:20],
                "kind": kind,
                "region_code": region,
            }
            if duty:
                body["duty_keywords"] = [duty]
            return dict(await self.ok("registry", "POST", "/v1/units", json=body))

        county = await unit(COUNTY, f"台州市路桥区人民政府办公室{self.tag}", "competent_office")
        city = await unit(CITY, f"台州市人民政府办公室{self.tag}", "competent_office")
        host = await unit(COUNTY, f"台州市路桥区市场监管局{self.tag}", "host_unit", "市场监管")
        self.unit_id = str(host["id"])
        plan = {
            "filer": (["unit_admin"], host), "unit": (["unit_admin"], host),
            "county": (["office_staff"], county), "city": (["office_staff"], city),
            "editor": (["editor"], host), "reviewer": (["reviewer"], host), "approver": (["approver"], host),
        }  # fmt: skip

        async def person(role: str) -> None:
            roles, u = plan[role]
            username = f"ledger-{role}-{self.tag}"
            await self.ok(
                "registry", "POST", "/v1/people",
                json={"username": username, "display_name": f"{role}同志", "password": PASSWORD,
                      "unit_id": u["id"], "region_code": u["region_code"], "roles": roles},
            )  # fmt: skip
            self.people[role] = await self.token(username, PASSWORD)

        await asyncio.gather(*(person(role) for role in plan))

    # ------------------------------------------------------------------------------------------ commands

    async def open_account(self, platform: str) -> str:
        """File an opening, approve it at unit, county and city level, let its announcement run out."""
        filing = await self.ok(
            "registry", "POST", "/v1/filings", self.people["filer"],
            json={"type": "open", "event_date": datetime.now(SHANGHAI).date().isoformat(),
                  "account": {"name": "路桥市场监管", "platform": platform, "unit_id": self.unit_id,
                              "review_levels": 2}},
            headers={"Idempotency-Key": f"filing-{self.tag}-{platform}"},
        )  # fmt: skip
        fid, account_id = filing["id"], str(filing["account_id"])
        while True:  # each step reads the state first: a step that went through before a kill is not repeated
            r = await self.call("registry", "GET", f"/v1/filings/{fid}")
            current = r.json()
            if current["status"] != "pending":
                break
            d = await self.call(
                "registry", "POST", f"/v1/filings/{fid}/decisions", self.people[current["current_level"]],
                json={"decision": "approve"}, headers={"If-Match": r.headers["etag"]},
            )  # fmt: skip
            assert d.status_code in (200, 412), d.text
        assert current["status"] == "approved", current
        # The announcement (公示) lasts working days the real clock cannot wait here: it is moved into the
        # past in the registry's table, and the registry applies what is due, as its minute loop would.
        async with self.registry_db.begin() as conn:
            await conn.execute(
                text("UPDATE filings SET announcement_ends_on = :d WHERE id = :id"),
                {"d": datetime.now(SHANGHAI).date() - timedelta(days=2), "id": fid},
            )
        while (await self.ok("registry", "GET", f"/v1/accounts/{account_id}"))["status"] != "active":
            await self.ok("registry", "POST", "/v1/admin/apply-due")
        self.ledger.accounts.append(account_id)
        return account_id

    async def reviewed_post(self, account_id: str) -> None:
        """Submit, machine check, two reviewers, publication: the review's own flow, end to end."""
        n = self.serial()
        title = f"路桥区市场监管局政务公开第{n}期"
        body = (
            f"本期公开事项{n}：企业登记办理时间调整为工作日九时至十七时，请办事群众合理安排时间。"
            f"编号{self.tag}{n}"
        )
        editor = self.people["editor"]
        post = await self.once_known(
            "review", "POST", "/v1/posts", editor,
            json={"account_id": account_id, "title": title, "body": body},
            headers={"Idempotency-Key": f"post-{self.tag}-{n}"},
        )  # fmt: skip
        pid = post["id"]
        while True:
            r = await self.call("review", "GET", f"/v1/posts/{pid}", editor)
            current = r.json()
            if current["status"] != "in_review":
                break
            who = self.people["reviewer" if current["current_level"] == 1 else "approver"]
            s = await self.call(
                "review", "POST", f"/v1/posts/{pid}/reviews", who, json={"decision": "approve"},
                headers={"If-Match": r.headers["etag"],
                         "Idempotency-Key": f"review-{pid}-{current['current_level']}"},
            )  # fmt: skip
            assert s.status_code in (200, 412), s.text
        assert current["status"] == "approved", current
        ppid = f"rv-{self.tag}-{n}"
        await self.ok(
            "review", "POST", f"/v1/posts/{pid}/publication", editor,
            json={"platform_post_id": ppid, "published_at": datetime.now(SHANGHAI).isoformat(),
                  "content_hash": content_hash(title, body)},
            headers={"Idempotency-Key": f"publication-{pid}"},
        )  # fmt: skip
        self.ledger.reviewed.append(ReviewedPost(pid, account_id, ppid))

    async def unreviewed_observation(self, account_id: str) -> str:
        """The crawler sees a post nobody reviewed (未审先发)."""
        n = self.serial()
        ppid = f"ob-{self.tag}-{n}"
        report = await self.once_known(
            "monitor", "POST", "/v1/observed-posts", self.machine,
            json={"account_id": account_id, "platform_post_id": ppid, "title": f"随手拍{n}",
                  "text": f"今天街口的梧桐树开花了，拍了几张照片分享给大家{n}。",
                  "published_at": datetime.now(SHANGHAI).isoformat()},
        )  # fmt: skip
        assert not report.get("refused"), report
        self.ledger.observed.append(Observation(account_id, ppid))
        return ppid

    async def metric(self, account_id: str, ppid: str, reads: int) -> None:
        taken = datetime.now(SHANGHAI).replace(microsecond=0) + timedelta(seconds=self.serial())
        report = await self.ok(
            "monitor", "POST", "/v1/metrics", self.machine,
            json={"account_id": account_id, "platform_post_id": ppid, "taken_at": taken.isoformat(),
                  "reads": reads, "likes": reads // 10},
        )  # fmt: skip
        assert not report.get("refused"), report
        self.ledger.metrics.append(Metric(account_id, ppid, taken, reads))

    async def round(self, accounts: list[str]) -> None:
        """For every account at once: a reviewed post, an unreviewed one and two snapshots of it."""

        async def one(account_id: str) -> None:
            await self.reviewed_post(account_id)
            ppid = await self.unreviewed_observation(account_id)
            await self.metric(account_id, ppid, 100 + self.serial())
            await self.metric(account_id, ppid, 500 + self.serial())

        await asyncio.gather(*(one(a) for a in accounts))


def today() -> date:
    return datetime.now(SHANGHAI).date()
