"""``govmedia demo``: fill the running platform with a province's worth of data and 90 simulated days.

Everything goes through the public HTTP APIs of the five services ``govmedia up`` (``make run``) started,
signed in as the bootstrap administrator; time passes by moving the services' shared development clock
(:class:`govmedia_common.devclock.MovableClock`, whose file ``.govmedia/state.json`` names):

1. regions: the registry's starter set (Zhejiang), its cities and counties;
2. units (about 1,000 at scale 1) with their competent offices;
3. the demo city's (台州市) accounts, filed (备案) about four weeks before the simulated days and approved at
   unit, county and city level; the clock moves past their public announcement (公示) and they go live;
4. 90 simulated days of those accounts from the monitor's simulator connector: their reviewed posts are
   submitted, checked, reviewed by two people and published through the review; everything the platforms
   show is ingested through the monitor's bulk APIs; each day ends with the monitor's sweep (alerts), and
   every week with notify's sweep (reminders, escalations, listings);
5. the rest of the province's accounts (about 3,000 in all), filed by their county offices on the last day;
6. scores of the running periods, a bulletin, and a summary whose every number was read back from the APIs
   once every event written had been handled (outbox backlog and consumer lag zero).

On a fresh platform (no unit yet: only what ``make run`` creates by itself) the simulated days end about a
week before today: the official working-day calendar is known up to the current year. The demo never moves
the clock back before what a platform with data has already seen (records would otherwise be dated before
what led to them): there it starts the day after the clock's today and leaves the clock ahead, or, when
those days reach a year whose calendar is not known, refuses and says what to do (:func:`filing_day`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govmedia_common.hashing import content_hash
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.demo_plan import MovableTime, Numbers, check_calendar, filing_day, years_needed

SERVICES = ("registry", "review", "monitor", "notify", "scoring")
DEMO_CITY = "331000"  # 台州市: its accounts are monitored and simulated
PASSWORD = "Demo-staff-passphrase-2026"
PLATFORMS = ("wechat", "weibo", "douyin")
DUTIES = (
    "市场监管", "交通运输", "教育", "卫生健康", "民政", "人力社保", "自然资源", "生态环境", "住房建设",
    "农业农村", "商务", "文化旅游", "应急管理", "审计", "统计", "医疗保障", "退役军人", "水利", "司法",
    "财政", "科技", "公安", "税务", "城市管理", "综合执法", "信访", "数据资源", "林业", "气象", "档案",
)  # fmt: skip
BRANCHES = ("", "东城", "西城", "南城", "北城", "城东", "城西", "新城", "滨海", "高新", "开发区", "港区")
T = TypeVar("T")


class Demo:
    """The demo against services reachable through ``clients`` (one httpx client per service)."""

    def __init__(
        self,
        clients: dict[str, httpx.AsyncClient],
        *,
        admin_password: str,
        scale: float = 1.0,
        days: int = 90,
        seed: int = 2026,
        console: Console | None = None,
        concurrency: int = 8,
        clock: MovableTime,
    ) -> None:
        self.http = clients
        self.admin_password = admin_password
        self.scale = scale
        self.days = days
        self.seed = seed
        self.console = console or Console()
        self.gate = asyncio.Semaphore(concurrency)
        self.numbers = Numbers()
        self.admin: dict[str, str] = {}
        self.machine: dict[str, str] = {}
        self.rng = random.Random(seed)
        # Names are unique per run, so the demo can run again on the same platform.
        self.tag = f"{seed % 1000:03d}{secrets.token_hex(2)}"
        self.offices: dict[str, dict[str, Any]] = {}
        self.office_staff: dict[str, dict[str, str]] = {}
        self.office_filer: dict[str, dict[str, str]] = {}
        self.units: list[dict[str, Any]] = []
        self.accounts: list[dict[str, Any]] = []
        self.desks: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {}
        # Time really passes on the services' clock: announcements run out, sweeps and deadlines follow it.
        self.clock = clock
        self.today = datetime.now(SHANGHAI).date()
        self.announcements_end: date | None = None

    # ------------------------------------------------------------------------------------------ plumbing

    async def call(
        self, service: str, method: str, url: str, who: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {**(self.admin if who is None else who), **kw.pop("headers", {})}
        async with self.gate:
            for attempt in range(5):
                try:
                    return await self.http[service].request(method, url, headers=headers, timeout=120, **kw)
                except httpx.TransportError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    async def ok(
        self, service: str, method: str, url: str, who: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        r = await self.call(service, method, url, who, **kw)
        if not r.is_success:
            raise RuntimeError(f"{service} {method} {url} → {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    async def token(self, username: str, password: str) -> dict[str, str]:
        r = await self.call(
            "registry",
            "POST",
            "/v1/auth/token",
            {},
            data={"grant_type": "password", "username": username, "password": password},
        )
        if r.status_code != 200:
            raise RuntimeError(f"sign-in of {username} failed: {r.status_code} {r.text[:300]}")
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )

    async def each(self, title: str, items: Iterable[T], work: Callable[[T], Awaitable[None]]) -> None:
        """Run ``work`` on every item concurrently (bounded by the gate) with a progress bar."""
        todo = list(items)
        with self.progress() as bar:
            task = bar.add_task(title, total=len(todo))

            async def one(item: T) -> None:
                await work(item)
                bar.advance(task)

            await asyncio.gather(*(one(i) for i in todo))

    async def all_pages(self, service: str, url: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.ok(
                service, "GET", url, params={**params, **({"cursor": cursor} if cursor else {})}
            )
            if isinstance(page, list):
                return page
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    # ------------------------------------------------------------------------------------------ steps

    async def sign_in(self) -> None:
        self.admin = await self.token("admin", self.admin_password)
        created = await self.ok(
            "registry",
            "POST",
            "/v1/clients",
            json={
                "name": f"演示采集系统{self.tag}",
                "region_code": "330000",
                "scopes": ["monitor:ingest", "monitor:write"],
            },
        )
        r = await self.http["registry"].post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": created["client_id"],
                "client_secret": created["client_secret"],
            },
        )
        r.raise_for_status()
        self.machine = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def regions(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Cities and counties of the province from the registry's starter set."""
        cities = await self.all_pages("registry", "/v1/regions", parent="330000", limit=200)
        counties: list[dict[str, Any]] = []
        for city in cities:
            counties += await self.all_pages("registry", "/v1/regions", parent=city["code"], limit=200)
        return cities, counties

    async def person(self, roles: list[str], unit: dict[str, Any], label: str) -> dict[str, str]:
        username = f"demo{self.tag}-{roles[0]}-{next(_serial)}"
        await self.ok(
            "registry",
            "POST",
            "/v1/people",
            json={
                "username": username,
                "display_name": f"{unit['short_name']}{label}",
                "password": PASSWORD,
                "unit_id": unit["id"],
                "region_code": unit["region_code"],
                "roles": roles,
            },
        )
        self.numbers.people += 1
        return await self.token(username, PASSWORD)

    async def offices_for(self, cities: list[dict[str, Any]], counties: list[dict[str, Any]]) -> None:
        async def office(region: dict[str, Any]) -> None:
            unit = await self.ok(
                "registry",
                "POST",
                "/v1/units",
                json={
                    "name": f"{region['name']}人民政府办公室（演示{self.tag}）",
                    "short_name": f"{region['name']}政府办",
                    "kind": "competent_office",
                    "region_code": region["code"],
                },
            )
            self.offices[region["code"]] = unit
            self.office_staff[region["code"]] = await self.person(["office_staff"], unit, "政府办")
            if region in counties:  # the county office files for its units; a colleague approves
                self.office_filer[region["code"]] = await self.person(["office_staff"], unit, "备案员")

        await self.each("competent offices (主管单位)", [*cities, *counties], office)

    @staticmethod
    def unit_plan(
        counties: list[dict[str, Any]], n_units: int, n_monitored_units: int
    ) -> list[tuple[dict[str, Any], str, str]]:
        """(county, duty, branch) of each unit to create: the demo city's first, then the others."""
        demo_counties = [c for c in counties if c["parent_code"] == DEMO_CITY]
        others = [c for c in counties if c["parent_code"] != DEMO_CITY] or demo_counties

        def slots(pool: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str, str]]:
            # Each county's offices first, then their branch offices (分局), so names never repeat.
            for branch in BRANCHES:
                for duty in DUTIES:
                    for county in pool:
                        yield county, duty, branch

        return [
            *itertools.islice(slots(demo_counties), n_monitored_units),
            *itertools.islice(slots(others), n_units - n_monitored_units),
        ]

    async def create_units(self, plan: list[tuple[dict[str, Any], str, str]]) -> None:
        async def unit(item: tuple[dict[str, Any], str, str]) -> None:
            county, duty, branch = item
            office = f"{county['name']}{duty}局{branch + '分局' if branch else ''}"
            body = {
                "name": f"{office}（演示{self.tag}）",
                "short_name": office[:30],
                "region_code": county["code"],
                "duty_keywords": [duty],
            }
            created = await self.ok("registry", "POST", "/v1/units", json=body)
            created["duty"], created["county_name"], created["branch"] = duty, county["name"], branch
            created["city_code"] = county["parent_code"]
            # People sign in with Argon2-hashed passwords (slow by design): the monitored units get their
            # staff; the others are represented by their county office, which files for them.
            monitored = county["parent_code"] == DEMO_CITY
            created["admin"] = await self.person(["unit_admin"], created, "管理员") if monitored else None
            self.units.append(created)
            self.numbers.units += 1

        await self.each("units (主办单位) and their admins", plan, unit)

    async def open_accounts(self, n_accounts: int, *, monitored: bool) -> None:
        """File and approve the accounts of the demo city (``monitored``) or of the rest of the province."""
        plan = [
            (self.units[i % len(self.units)], PLATFORMS[(i // len(self.units)) % len(PLATFORMS)])
            for i in range(n_accounts)
        ]
        plan = [(u, p) for u, p in plan if (u["city_code"] == DEMO_CITY) == monitored]

        async def account(item: tuple[dict[str, Any], str]) -> None:
            unit, platform = item
            county_office = self.office_staff[unit["region_code"]]
            r = await self.call(
                "registry",
                "POST",
                "/v1/filings",
                self.office_filer[unit["region_code"]],
                json={
                    "type": "open",
                    "event_date": self.clock.today().isoformat(),
                    "account": {
                        "name": f"{unit['county_name']}{unit['duty']}{unit['branch']}",
                        "platform": platform,
                        "unit_id": unit["id"],
                        "review_levels": 2,
                    },
                },
            )
            if r.status_code != 201:
                self.numbers.refused[f"filing {r.status_code} {r.json().get('code', '')}"] += 1
                return
            filing, etag = r.json(), r.headers["etag"]
            if unit["admin"] is None:  # filed by the county office, waiting for the unit's decision
                self.accounts.append(
                    {"id": filing["account_id"], "unit": unit, "platform": platform, "monitored": False}
                )
                self.numbers.accounts += 1
                return
            deciders = {
                "unit": unit["admin"],
                "county": county_office,
                "city": self.office_staff[unit["city_code"]],
            }
            for level in filing["levels"]:
                decided = await self.call(
                    "registry",
                    "POST",
                    f"/v1/filings/{filing['id']}/decisions",
                    deciders.get(level, self.admin),
                    json={"decision": "approve"},
                    headers={"If-Match": etag},
                )
                if decided.status_code != 200:
                    self.numbers.refused[
                        f"decision {decided.status_code} {decided.json().get('code', '')}"
                    ] += 1
                    return
                etag = decided.headers["etag"]
            ends = decided.json().get("announcement_ends_on")
            if ends and (self.announcements_end is None or date.fromisoformat(ends) > self.announcements_end):
                self.announcements_end = date.fromisoformat(ends)
            self.accounts.append(
                {
                    "id": filing["account_id"],
                    "unit": unit,
                    "platform": platform,
                    "monitored": unit["city_code"] == DEMO_CITY,
                }
            )
            self.numbers.accounts += 1

        title = "monitored accounts filed (备案)" if monitored else "more accounts filed by their offices"
        await self.each(title, plan, account)

    async def wait_until_known(self, accounts: list[dict[str, Any]]) -> None:
        """The monitor and review learn accounts from the registry's events; wait until they have."""
        with self.progress() as bar:
            task = bar.add_task("accounts reach monitor and review", total=len(accounts))
            pending = list(accounts)
            for _ in range(600):
                still = []
                for a in pending:
                    r = await self.call(
                        "monitor", "GET", f"/v1/accounts/{a['id']}/observed-posts", params={"limit": 1}
                    )
                    (still.append(a) if r.status_code != 200 else bar.advance(task))
                pending = still
                if not pending:
                    return
                await asyncio.sleep(0.5)
        raise RuntimeError(f"{len(pending)} accounts never reached the monitor")

    async def desk(self, unit: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        if unit["id"] not in self.desks:
            self.desks[unit["id"]] = (
                await self.person(["editor"], unit, "采编"),
                await self.person(["reviewer"], unit, "初审"),
                await self.person(["approver"], unit, "终审"),
            )
        return self.desks[unit["id"]]

    async def review(self, account: dict[str, Any], approval: Any) -> str | None:
        """An approval the simulator reports, made real: submit, machine check, two reviews; the post id."""
        editor, first, final = await self.desk(account["unit"])
        r = await self.call(
            "review",
            "POST",
            "/v1/posts",
            editor,
            json={"account_id": account["id"], "title": approval.title, "body": approval.text},
        )
        if r.status_code != 201:
            self.numbers.refused[f"submit {r.status_code} {r.json().get('code', '')}"] += 1
            return None
        post, etag = r.json(), r.headers["etag"]
        for who in (first, final):
            r = await self.call(
                "review",
                "POST",
                f"/v1/posts/{post['id']}/reviews",
                who,
                json={"decision": "approve"},
                headers={"If-Match": etag},
            )
            if r.status_code != 200:
                self.numbers.refused[f"review {r.status_code} {r.json().get('code', '')}"] += 1
                return None
            etag = r.headers["etag"]
        return str(post["id"])

    async def publish(self, account: dict[str, Any], approval: Any, post_id: str | None) -> None:
        """The editor records the publication of a reviewed post (at the time the platform shows)."""
        if post_id is None:
            return
        editor, _, _ = await self.desk(account["unit"])
        r = await self.call(
            "review",
            "POST",
            f"/v1/posts/{post_id}/publication",
            editor,
            json={
                "platform_post_id": approval.platform_post_id,
                "published_at": (approval.approved_at + timedelta(hours=1)).isoformat(),
                "content_hash": content_hash(approval.title, approval.text),
            },
        )
        if r.status_code != 200:
            self.numbers.refused[f"publication {r.status_code} {r.json().get('code', '')}"] += 1
            return
        self.numbers.reviewed_posts += 1

    async def ingest(self, path: str, items: list[Any]) -> int:
        done = 0
        for start in range(0, len(items), 2000):
            chunk = [i.model_dump(mode="json") for i in items[start : start + 2000]]
            report = await self.ok("monitor", "POST", path, self.machine, json={"items": chunk})
            done += int(report.get("accepted", report.get("new", 0)) or 0)
        return done

    async def simulate(self, first_day: date) -> None:
        from govmedia_monitor.connectors import AccountRef, Behaviour, SimulatorConnector

        monitored = [a for a in self.accounts if a["monitored"]]
        self.numbers.monitored = len(monitored)
        kinds = [
            Behaviour.DILIGENT, Behaviour.DILIGENT, Behaviour.DILIGENT, Behaviour.SLOWING, Behaviour.SILENT,
            Behaviour.ZOMBIE, Behaviour.UNREVIEWED, Behaviour.EDITS_AFTER_APPROVAL, Behaviour.SLOW_ANSWERS,
            Behaviour.INTERACTION_OFF,
        ]  # fmt: skip
        behaviours = {a["id"]: kinds[i % len(kinds)] for i, a in enumerate(monitored)}
        by_id = {a["id"]: a for a in monitored}
        connector = SimulatorConnector(seed=self.seed, origin=first_day, behaviours=behaviours)
        refs = [AccountRef(a["id"], a["platform"]) for a in monitored]
        await self.wait_until_known(monitored)
        with self.progress() as bar:
            task = bar.add_task(f"{self.days} simulated days", total=self.days)
            carried: list[Any] = []
            day = first_day
            for n in range(self.days):
                day = first_day + timedelta(days=n)
                since = datetime.combine(day, time(0), tzinfo=SHANGHAI)
                batch = await connector.fetch(refs, since, since + timedelta(days=1))
                self.at(day, 7)  # the morning: the day's posts are written and reviewed
                posts = await asyncio.gather(*(self.review(by_id[a.account_id], a) for a in batch.approvals))
                self.at(day, 21)  # the evening: they are out, the crawler has seen them, the sweep runs
                await asyncio.gather(
                    *(
                        self.publish(by_id[a.account_id], a, p)
                        for a, p in zip(batch.approvals, posts, strict=True)
                    )
                )
                # The crawler reports the day's figures, messages and answers once the day is over (the
                # monitor refuses an instant ahead of its clock), and a day's posts the next evening: by
                # then the review's approval and publication events have reached the monitor, as they
                # would in production. (Seen before them, a post is rightly "unreviewed" for the monitor,
                # and notify opens a case for it.)
                self.at(day + timedelta(days=1), 1)
                self.numbers.observed_posts += await self.ingest("/v1/observed-posts/bulk", carried)
                carried = batch.posts
                self.numbers.metrics += await self.ingest("/v1/metrics/bulk", batch.metrics)
                for path, items in (
                    ("/v1/messages/bulk", batch.messages),
                    ("/v1/replies/bulk", batch.replies),
                ):
                    if items:
                        await self.ingest(path, items)
                for switch in batch.interaction:
                    await self.ok(
                        "monitor",
                        "POST",
                        "/v1/interaction",
                        self.machine,
                        json=switch.model_dump(mode="json"),
                    )
                await self.ok("monitor", "POST", "/v1/sweeps", self.machine, json={"as_of": day.isoformat()})
                if n % 7 == 6 or n == self.days - 1:
                    at = datetime.combine(day, time(10), tzinfo=SHANGHAI)
                    await self.call("notify", "POST", "/v1/sweeps", json={"as_of": at.isoformat()})
                bar.advance(task)
        self.numbers.observed_posts += await self.ingest("/v1/observed-posts/bulk", carried)
        await self.ok("monitor", "POST", "/v1/sweeps", self.machine, json={"as_of": day.isoformat()})

    async def score(self, today: date) -> None:
        previous_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        for kind, start in (
            ("month", previous_month),
            ("month", today.replace(day=1)),
            ("quarter", today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)),
            ("year", today.replace(month=1, day=1)),
        ):
            await self.ok(
                "scoring",
                "POST",
                "/v1/recompute",
                json={"period_kind": kind, "period_start": start.isoformat()},
            )

    def at(self, day: date, hour: int) -> None:
        """Move the services' clock to ``hour`` o'clock of ``day`` (it runs on from there)."""
        self.clock.set(datetime.combine(day, time(hour), tzinfo=SHANGHAI))

    async def let_announcements_run_out(self) -> date:
        """The filings take effect once their announcement (公示) has run out."""
        if self.announcements_end is None:
            return self.clock.today()
        first = self.announcements_end + timedelta(days=1)
        self.at(first, 8)
        applied = await self.ok("registry", "POST", "/v1/admin/apply-due")
        took = applied.get("applied", applied) if isinstance(applied, dict) else applied
        self.console.print(f"announcements ran out on {self.announcements_end}: {took} filings took effect")
        return first

    async def holds_data(self) -> bool:
        """Whether the platform holds anything beyond what ``make run`` creates by itself (a unit)."""
        page = await self.ok("registry", "GET", "/v1/units", params={"limit": 1})
        return bool(page["items"] if isinstance(page, dict) else page)

    async def calendar_years(self, years: Iterable[int]) -> list[int]:
        """Those of ``years`` whose official working-day calendar the registry knows."""
        known = []
        for year in years:
            if (await self.call("registry", "GET", f"/v1/calendar/{year}")).status_code == 200:
                known.append(year)
        return known

    async def start(self) -> date:
        """Where the demo puts the clock first: never before what a platform with data has seen."""
        self.admin = await self.token("admin", self.admin_password)
        holds = await self.holds_data()
        start = filing_day(
            real_today=self.today, clock_today=self.clock.today(), days=self.days, holds_data=holds
        )
        if holds:  # only a platform with data forces the days forward into a year it may not know
            check_calendar(start, self.days, await self.calendar_years(years_needed(start, self.days)))
        return start

    async def run(self, urls: dict[str, str]) -> dict[str, Any]:
        # File about four weeks before the simulated days, so that their announcements have run out.
        self.at(await self.start(), 9)
        n_units = max(3, round(1000 * self.scale))
        n_accounts = max(n_units, round(3000 * self.scale))
        n_monitored_units = max(2, round(10 * self.scale))
        self.console.rule(
            f"govmedia demo — scale {self.scale:g}: {n_units} units, {n_accounts} accounts, {self.days} days"
        )
        await self.sign_in()
        cities, counties = await self.regions()
        self.console.print(
            f"regions: {len(cities)} cities and {len(counties)} counties of 浙江省 (starter set)"
        )
        plan = self.unit_plan(counties, n_units, n_monitored_units)
        used = {county["code"]: county["parent_code"] for county, _, _ in plan}  # offices where units are
        await self.offices_for(
            [c for c in cities if c["code"] in used.values()], [c for c in counties if c["code"] in used]
        )
        await self.create_units(plan)
        await self.open_accounts(n_accounts, monitored=True)
        first_day = await self.let_announcements_run_out()
        await self.simulate(first_day)
        last_day = first_day + timedelta(days=self.days - 1)
        self.at(last_day, 22)
        await self.open_accounts(n_accounts, monitored=False)  # the rest, filed on the last day
        self.at(last_day, 23)
        await self.ok("notify", "POST", "/v1/sweeps", json={})  # as of the clock: the day's reminders
        from govmedia_platform.demo_summary import settle, summary

        await settle(self)  # every alert has its case, every event reached scoring
        await self.score(last_day)

        return await summary(self, urls, last_day)


_serial = itertools.count(1)
