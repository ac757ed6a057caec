"""The five services running together, in-process, on the real broker and PostgreSQL, sharing one clock.

Each app runs its relay and consumers (LifespanManager); tests drive them through their HTTP APIs as users
and integrators would (httpx over ASGI). The registry signs tokens; the other four verify them against the
registry's JWKS, fetched through the registry's own API. Effects across services are awaited by polling the
other service's API with a deadline (:meth:`Platform.wait_for`), never by sleeping a fixed time only.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer

from govmedia_common.hashing import content_hash
from govmedia_common.settings import KafkaSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.groups import exact_ends

ADMIN_PASSWORD = "stories-admin-pw-8812"
PASSWORD = "Stories-staff-pw-4470"
# A Monday far from the long holidays, so working days and calendar days are easy to reason about.
START = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
COUNTY, CITY = "331004", "331000"  # 台州市路桥区, 台州市
_serial = itertools.count(1)
T = TypeVar("T")


@dataclass
class Person:
    id: str
    username: str
    headers: dict[str, str]


@dataclass
class Unit:
    id: str
    region: str
    name: str


class Platform:
    """The running services, their clients, the shared clock and set-up helpers that use the public APIs."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.apps: dict[str, Any] = {}
        self.http: dict[str, httpx.AsyncClient] = {}
        self.admin: dict[str, str] = {}
        self._offices: dict[str, Unit] = {}
        self._staff: dict[tuple[str, str], Person] = {}
        self._machine: dict[str, str] | None = None
        self._desks: dict[tuple[str, str], tuple[Person, Person, Person]] = {}
        self.kafka: KafkaSettings | None = None

    # ---------------------------------------------------------------------------------------- plumbing

    async def call(
        self, service: str, method: str, url: str, who: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {**(who if who is not None else self.admin), **kw.pop("headers", {})}
        return await self.http[service].request(method, url, headers=headers, **kw)

    async def ok(
        self, service: str, method: str, url: str, who: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        """The JSON of a call that must succeed (2xx)."""
        r = await self.call(service, method, url, who, **kw)
        assert r.is_success, f"{service} {method} {url} → {r.status_code}: {r.text}"
        return r.json() if r.content else None

    async def wait_for(
        self,
        probe: Callable[[], Awaitable[T | None]],
        what: str,
        within: float = 60.0,
        *,
        explain: Callable[[], Awaitable[str]] | None = None,
    ) -> T:
        """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``within`` s, and
        what ``explain`` finds then (where the awaited state is stuck: a consumer's lag, a projection)."""
        deadline = time.monotonic() + within
        while True:
            found = await probe()
            if found:
                return found
            if time.monotonic() > deadline:
                why = f"; {await explain()}" if explain is not None else ""
                raise AssertionError(f"timed out after {within:.0f}s waiting for: {what}{why}")
            await asyncio.sleep(0.2)

    async def describe_groups(self, *groups: tuple[str, str]) -> str:
        """Each (service, consumer group): per topic, records on the broker not yet committed by the group.

        Tells a consumer behind or stuck (lag > 0) from an event that never reached the topic or was
        skipped (lag 0 and the state still missing)."""
        assert self.kafka is not None
        found: list[str] = []
        for service, group in groups:
            handlers = self.apps[service].state.spec.consumer_groups[group]
            topics = sorted({cls.topic for cls in handlers})
            ends = await exact_ends(self.kafka.bootstrap, topics)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.kafka.bootstrap,
                group_id=self.kafka.group_id(service, group),
                enable_auto_commit=False,
            )
            await consumer.start()
            try:
                lag: dict[str, int] = {}
                for tp, end in ends.items():
                    lag[tp.topic] = lag.get(tp.topic, 0) + end - (await consumer.committed(tp) or 0)
            finally:
                await consumer.stop()
            found.append(f"{service}/{group} lag {lag}")
        return "; ".join(found)

    async def token(self, username: str, password: str) -> dict[str, str]:
        r = await self.http["registry"].post(
            "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    # ---------------------------------------------------------------------------------------- registry

    async def unit(self, region: str, tag: str, kind: str = "host_unit") -> Unit:
        n = next(_serial)
        name = {
            "competent_office": f"台州市{tag}人民政府办公室{n}",
        }.get(kind, f"台州市路桥区{tag}局{n}")
        body: dict[str, Any] = {"name": name, "short_name": f"{tag}{n}", "kind": kind, "region_code": region}
        if kind == "host_unit":
            body["duty_keywords"] = [tag]
        created = await self.ok("registry", "POST", "/v1/units", json=body)
        return Unit(str(created["id"]), region, name)

    async def office(self, region: str) -> Unit:
        """The competent office (主管单位) of a region, created once."""
        if region not in self._offices:
            self._offices[region] = await self.unit(
                region, "路桥区" if region == COUNTY else "台州", "competent_office"
            )
        return self._offices[region]

    async def person(self, roles: list[str], unit: Unit, *, display: str | None = None) -> Person:
        username = f"{roles[0]}-{next(_serial)}-{uuid.uuid4().hex[:6]}"
        created = await self.ok(
            "registry",
            "POST",
            "/v1/people",
            json={
                "username": username,
                "display_name": display or f"{username}同志",
                "password": PASSWORD,
                "unit_id": unit.id,
                "region_code": unit.region,
                "roles": roles,
            },
        )
        return Person(str(created["id"]), username, await self.token(username, PASSWORD))

    async def office_staff(self, region: str) -> Person:
        key = (region, "office_staff")
        if key not in self._staff:
            self._staff[key] = await self.person(["office_staff"], await self.office(region))
        return self._staff[key]

    async def machine(self) -> dict[str, str]:
        """A machine client of the province holding monitor:ingest and monitor:write (a platform crawler)."""
        if self._machine is None:
            self._machine = await self.client_headers("平台采集系统", ["monitor:ingest", "monitor:write"])
        return self._machine

    async def client_headers(self, name: str, scopes: list[str]) -> dict[str, str]:
        """A new machine client of the province with ``scopes``: its bearer token header."""
        created = await self.ok(
            "registry", "POST", "/v1/clients", json={"name": name, "region_code": "330000", "scopes": scopes}
        )
        r = await self.http["registry"].post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": created["client_id"],
                "client_secret": created["client_secret"],
            },
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def file_and_open(
        self, unit: Unit, name: str, *, platform: str = "wechat", filer: Person | None = None
    ) -> tuple[str, dict[str, Any]]:
        """File an opening for ``unit``, approve it at every level, let the announcement run out; the id."""
        filer = filer or await self.person(["unit_admin"], unit)
        filing = await self.ok(
            "registry",
            "POST",
            "/v1/filings",
            filer.headers,
            json={
                "type": "open",
                "event_date": self.clock.today().isoformat(),
                "account": {"name": name, "platform": platform, "unit_id": unit.id, "review_levels": 2},
            },
        )
        return str(filing["account_id"]), await self.approve_filing(unit, filing)

    async def approve_filing(self, unit: Unit, filing: dict[str, Any]) -> dict[str, Any]:
        """Approve a filing at each of its levels (unit, county, city), each by a different person."""
        approvers = {
            "unit": await self.person(["unit_admin"], unit),
            "county": await self.office_staff(COUNTY),
            "city": await self.office_staff(CITY),
        }
        current = filing
        for level in filing["levels"]:
            r = await self.call(
                "registry",
                "GET",
                f"/v1/filings/{filing['id']}",
            )
            current = await self.ok(
                "registry",
                "POST",
                f"/v1/filings/{filing['id']}/decisions",
                approvers[level].headers,
                json={"decision": "approve"},
                headers={"If-Match": r.headers["etag"]},
            )
        assert current["status"] == "approved", current
        return current

    async def activate_due(self, ends_on: str) -> None:
        """Move the clock past the announcement's last day and let the registry apply what is due."""
        after = date.fromisoformat(ends_on) + timedelta(days=1)
        if self.clock.today() < after:
            self.clock.set(datetime.combine(after, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8))
        await self.ok("registry", "POST", "/v1/admin/apply-due")

    async def open_account(self, unit: Unit, name: str, *, platform: str = "wechat") -> str:
        """An active account of ``unit`` (filed, approved, announced, in effect), known to every service."""
        account_id, filing = await self.file_and_open(unit, name, platform=platform)
        await self.activate_due(filing["announcement_ends_on"])
        account = await self.ok("registry", "GET", f"/v1/accounts/{account_id}")
        assert account["status"] == "active", account
        await self.wait_for(
            lambda: self.projected_active(account_id),
            f"monitor and review see account {account_id} active",
            explain=lambda: self.account_trace(account_id),
        )
        return account_id

    async def projected_active(self, account_id: str) -> bool:
        """Whether the monitor and the review have projected the account as active.

        Both learn accounts from the registry's events and know an account already while it is under
        announcement. The monitor shows its view (GET /v1/accounts/{id}); the review has no such API, so
        the kit reads its projection (read only).
        """
        seen = await self.call("monitor", "GET", f"/v1/accounts/{account_id}")
        if seen.status_code != 200 or seen.json()["status"] != "active":
            return False
        return await self.review_sees_active(account_id)

    async def review_account(self, account_id: str) -> tuple[str, str] | None:
        """The review's projection of the account (status, as of when), read only; None when unknown."""
        from govmedia_review.models import AccountView

        async with self.apps["review"].state.runtime.sessions() as session:
            row = await session.get(AccountView, account_id)
            return None if row is None else (row.status, row.as_of.isoformat())

    async def review_sees_active(self, account_id: str) -> bool:
        seen = await self.review_account(account_id)
        return seen is not None and seen[0] == "active"

    async def account_trace(self, account_id: str) -> str:
        """Where an account's state stands in each service, and how far their account consumers lag."""
        registry = await self.call("registry", "GET", f"/v1/accounts/{account_id}")
        monitor = await self.call("monitor", "GET", f"/v1/accounts/{account_id}")
        status = {
            "registry": registry.json().get("status")
            if registry.status_code == 200
            else registry.status_code,
            "monitor": monitor.json().get("status") if monitor.status_code == 200 else monitor.status_code,
            "review": await self.review_account(account_id),
        }
        return (
            f"account {status}; {await self.describe_groups(('review', 'accounts'), ('monitor', 'accounts'))}"
        )

    # ---------------------------------------------------------------------------------------- review

    async def desk(self, unit: Unit) -> tuple[Person, Person, Person]:
        """The unit's editor, first reviewer and final approver (created once per unit)."""
        key = (unit.id, "desk")
        if key not in self._desks:
            self._desks[key] = (
                await self.person(["editor"], unit),
                await self.person(["reviewer"], unit),
                await self.person(["approver"], unit),
            )
        return self._desks[key]

    async def submit(
        self, unit: Unit, account_id: str, title: str, body: str, **extra: Any
    ) -> tuple[dict[str, Any], str]:
        """Submit a post once the review has learnt the account is active; the post and its ETag.

        The wait is on that condition itself (the review's projection), not on retrying the post: a post
        the review then refuses is a finding, reported with the refusal, and a projection that never comes
        is reported with each service's view of the account and the account consumers' lag.
        """
        editor, _, _ = await self.desk(unit)
        await self.wait_for(
            lambda: self.review_sees_active(account_id),
            f"the review learns that account {account_id} is active",
            explain=lambda: self.account_trace(account_id),
        )
        r = await self.call(
            "review",
            "POST",
            "/v1/posts",
            editor.headers,
            json={"account_id": account_id, "title": title, "body": body, **extra},
        )
        assert r.status_code == 201, (
            f"the review knows account {account_id} active, yet refused its post: {r.status_code} {r.text}; "
            f"{await self.account_trace(account_id)}"
        )
        return r.json(), r.headers["etag"]

    async def approve(self, unit: Unit, post: dict[str, Any], etag: str) -> dict[str, Any]:
        """Two different people review the post: the first level, then the final approver."""
        _, first, final = await self.desk(unit)
        answer: dict[str, Any] = post
        for who in (first, final):
            r = await self.call(
                "review",
                "POST",
                f"/v1/posts/{post['id']}/reviews",
                who.headers,
                json={"decision": "approve"},
                headers={"If-Match": etag},
            )
            assert r.status_code == 200, r.text
            etag, answer = r.headers["etag"], r.json()
        return answer

    async def publish_reviewed(
        self, unit: Unit, account_id: str, title: str, body: str, **extra: Any
    ) -> dict[str, Any]:
        """Submit, review by two people, publish; the crawler then sees it and the monitor matches it."""
        editor, _, _ = await self.desk(unit)
        post, etag = await self.submit(unit, account_id, title, body, **extra)
        approved = await self.approve(unit, post, etag)
        assert approved["status"] == "approved", approved
        ppid = f"wx-{post['id'][:12]}"
        at = self.clock.now()
        await self.ok(
            "review",
            "POST",
            f"/v1/posts/{post['id']}/publication",
            editor.headers,
            json={
                "platform_post_id": ppid,
                "url": f"https://mp.weixin.qq.com/s/{ppid}",
                "published_at": at.isoformat(),
                "content_hash": content_hash(title, body),
            },
        )

        await self.wait_for(
            lambda: self.monitor_has_approval(post["id"]), f"the monitor learns the approval of {post['id']}"
        )

        async def matched() -> dict[str, Any] | None:
            await self.observe(account_id, ppid, title, body, at)
            page = await self.ok("monitor", "GET", f"/v1/accounts/{account_id}/observed-posts")
            seen = [o for o in page["items"] if o["matched_post_id"] == post["id"]]
            return seen[0] if seen else None

        return {
            **approved,
            "observation": await self.wait_for(matched, f"the monitor matches post {post['id']}"),
        }

    async def monitor_has_approval(self, post_id: str) -> bool:
        """Whether the PostApproved and PostPublished events reached the monitor.

        A crawler sees a post minutes after publication; here it would see it within milliseconds, before
        the events arrive, and the monitor would (rightly, on what it knows) raise an unreviewed-publication
        alert that notify turns into a case. The monitor has no API listing approved posts, so the kit looks
        at its table (read only) to observe the post the way production timing would.
        """
        from govmedia_monitor.models import ApprovedPost

        async with self.apps["monitor"].state.runtime.sessions() as session:
            row = await session.get(ApprovedPost, post_id)
            return row is not None and row.platform_post_id is not None

    # ---------------------------------------------------------------------------------------- monitor

    async def observe(
        self, account_id: str, ppid: str, title: str, text: str, at: datetime
    ) -> dict[str, Any]:
        observed: dict[str, Any] = await self.ok(
            "monitor",
            "POST",
            "/v1/observed-posts",
            await self.machine(),
            json={
                "account_id": account_id,
                "platform_post_id": ppid,
                "title": title,
                "text": text,
                "published_at": at.isoformat(),
            },
        )
        return observed

    async def sweep(self, as_of: date) -> dict[str, Any]:
        swept: dict[str, Any] = await self.ok(
            "monitor", "POST", "/v1/sweeps", await self.machine(), json={"as_of": as_of.isoformat()}
        )
        return swept

    async def alerts(self, account_id: str, **params: str) -> list[dict[str, Any]]:
        page = await self.ok("monitor", "GET", "/v1/alerts", params={"account_id": account_id, **params})
        return list(page["items"])

    async def inbox(self, headers: dict[str, str], kind: str | None = None) -> list[dict[str, Any]]:
        """Every message of a unit's or office's inbox (all pages, newest first), of one ``kind`` if given.

        Never only the first page: reminders, digests and notices of the other stories keep arriving on
        an office's inbox while a story waits, and push an older message off the newest page.
        """
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            page = await self.ok("notify", "GET", "/v1/inbox", headers, params=params)
            found.extend(m for m in page["items"] if kind is None or m["kind"] == kind)
            if not page.get("next_cursor"):
                return found
            params = {"limit": 200, "cursor": page["next_cursor"]}

    async def cases(self, account_id: str) -> list[dict[str, Any]]:
        page = await self.ok("notify", "GET", "/v1/cases", params={"account_id": account_id})
        return list(page["items"])
