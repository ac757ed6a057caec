"""A scoring app on a fresh migrated database and the real broker, driven in-process over ASGI.

Helpers are methods of the :class:`ScoringKit` fixture because test modules cannot import from conftest.
The input events are built here (the other services' catalogue events) and either handed to the
aggregates' batch function or published on the real broker for the consumers.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.envelope import wrap
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import (
    AlertClass,
    AlertRaised,
    IngestChannel,
    MetricsObserved,
    PostObserved,
)
from govmedia_common.events.registry import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    RegionSettingsChanged,
)
from govmedia_common.events.review import (
    CampaignIssued,
    CampaignTargetCompleted,
    FindingCategory,
    FindingSeverity,
    PostChecked,
    PostKind,
    PostPublished,
    PostSubmitted,
    ReviewerSignature,
)
from govmedia_common.events.scoring import PeriodKind
from govmedia_common.events.types import AlertRule, AlertSeverity, Platform
from govmedia_common.kafka import make_producer
from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.groups import Positions, own_groups, start_at_the_end
from govmedia_platform.handled import place, wait_handled
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_scoring.aggregates.handlers import apply_batch
from govmedia_scoring.engine.compute import compute_period
from govmedia_scoring.main import ScheduleSettings, create_app
from govmedia_scoring.periods import Period

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
WEEK = date(2026, 11, 9)  # a Monday
DAYS = [WEEK + timedelta(days=i) for i in range(7)]
DEADLINE = datetime(2026, 11, 11, 18, tzinfo=SHANGHAI)
HASH = "sha256:" + "ab" * 32


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


class ScoringKit:
    """The running scoring app and everything a test needs around it."""

    def __init__(self, app: Any, clock: FixedClock, key: SigningKey, infra: Infrastructure) -> None:
        self.app = app
        self.clock = clock
        self.key = key
        self.infra = infra
        self.transport = httpx.ASGITransport(app=app)
        self.sessions: async_sessionmaker[AsyncSession] = app.state.runtime.sessions
        self._clients: list[httpx.AsyncClient] = []
        self.start: Positions = {}  # where its consumer groups started reading (a rebuild replays from there)

    # ---- HTTP

    def client(
        self, *, region: str = "330000", roles: Sequence[str] = ("office_staff",), scoped: bool = True
    ) -> httpx.AsyncClient:
        headers = {}
        if scoped:
            token = mint_token(
                self.key,
                subject=str(uuid.uuid4()),
                name="科员",
                region=region,
                unit=None,
                roles=list(roles),
                scopes=["scoring:read"],
            )
            headers["Authorization"] = f"Bearer {token}"
        c = httpx.AsyncClient(transport=self.transport, base_url="http://scoring", headers=headers)
        self._clients.append(c)
        return c

    # ---- events

    @staticmethod
    def opened(
        *,
        region: str = "331004",
        platform: Platform = Platform.WECHAT,
        on: date = date(2025, 1, 1),
        high: bool = False,
        name: str = "路桥发布",
        account_id: str | None = None,
    ) -> AccountOpened:
        aid = account_id or str(uuid.uuid4())
        snap = AccountSnapshot(
            account_id=aid,
            name=name,
            platform=platform,
            platform_account_id=None,
            unit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, aid)),
            unit_name="台州市路桥区人民政府办公室",
            region_code=region,
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.HIGH if high else AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=2,
            certified=True,
            matrix_badge=None,
            outsourced=False,
        )
        return AccountOpened(
            occurred_at=at(on),
            account_id=aid,
            account=snap,
            filing_id=None,
            actor_id="system",
            effective_on=on,
        )

    @staticmethod
    def published(
        account_id: str,
        day: date,
        *,
        original: bool = True,
        serious: int = 0,
        ordinary: int = 0,
        campaign_id: str | None = None,
        hour: int = 9,
    ) -> list[Event]:
        """Submission, machine check and publication of one post by the review service."""
        pid = str(uuid.uuid4())
        t = at(day, hour)
        sig = [
            ReviewerSignature(level=1, reviewer_id=str(uuid.uuid4()), reviewer_name="甲", reviewed_at=t),
            ReviewerSignature(level=2, reviewer_id=str(uuid.uuid4()), reviewer_name="乙", reviewed_at=t),
        ]
        by_sev = {FindingSeverity.BLOCK: serious, FindingSeverity.WARN: ordinary}
        by_cat = {
            FindingCategory.SERIOUS_EXPRESSION_ERROR: serious,
            FindingCategory.EXPRESSION_ERROR: ordinary,
        }
        return [
            PostSubmitted(
                occurred_at=t,
                account_id=account_id,
                post_id=pid,
                title="通知",
                content_hash=HASH,
                kind=PostKind.ORIGINAL if original else PostKind.REPOST,
                review_levels=2,
                submitted_by=str(uuid.uuid4()),
                revision=1,
                campaign_id=campaign_id,
            ),
            PostChecked(
                occurred_at=t,
                account_id=account_id,
                post_id=pid,
                content_hash=HASH,
                findings_total=serious + ordinary,
                by_category={k: v for k, v in by_cat.items() if v},
                by_severity={k: v for k, v in by_sev.items() if v},
                blocking=serious > 0,
                lexicon_versions={},
            ),
            PostPublished(
                occurred_at=t,
                account_id=account_id,
                post_id=pid,
                platform=Platform.WECHAT,
                platform_post_id=f"p-{pid[:12]}",
                url=None,
                content_hash=HASH,
                published_at=t,
                reviewers=tuple(sig),
                campaign_id=campaign_id,
            ),
        ]

    @staticmethod
    def observed(
        account_id: str, day: date, platform_post_id: str, platform: Platform = Platform.WECHAT
    ) -> PostObserved:
        t = at(day, 10)
        return PostObserved(
            occurred_at=t, account_id=account_id, platform=platform, platform_post_id=platform_post_id,
            url=None,
            title="", text="…", content_hash=HASH, published_at=t, observed_at=t, matched_post_id=None,
            ingest_channel=IngestChannel.CONNECTOR,
        )  # fmt: skip

    @staticmethod
    def metrics(
        account_id: str, platform_post_id: str | None, as_of: datetime, **values: int
    ) -> MetricsObserved:
        return MetricsObserved(
            occurred_at=as_of, account_id=account_id, platform_post_id=platform_post_id, as_of=as_of,
            ingest_channel=IngestChannel.CONNECTOR, **values,
        )  # fmt: skip

    @staticmethod
    def alert(
        account_id: str, day: date, rule: AlertRule, severity: AlertSeverity, cls: AlertClass
    ) -> AlertRaised:
        return AlertRaised(
            occurred_at=at(day, 11), alert_id=str(uuid.uuid4()), account_id=account_id,
            unit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, account_id)), region_code="331004", rule=rule,
            severity=severity, alert_class=cls, period=day.isoformat(), detail={},
        )  # fmt: skip

    @staticmethod
    def campaign(targets: Sequence[str], deadline: datetime) -> CampaignIssued:
        return CampaignIssued(
            occurred_at=deadline - timedelta(days=2), campaign_id=str(uuid.uuid4()), title="联动推送",
            content_hash=HASH, target_account_ids=tuple(targets), deadline=deadline,
            issuer_region_code="331000", issued_by="system",
        )  # fmt: skip

    @staticmethod
    def completed(c: CampaignIssued, account_id: str, when: datetime) -> CampaignTargetCompleted:
        return CampaignTargetCompleted(
            occurred_at=when, campaign_id=c.campaign_id, account_id=account_id, post_id=str(uuid.uuid4()),
            completed_at=when, deadline=c.deadline, on_time=when <= c.deadline,
        )  # fmt: skip

    @staticmethod
    def settings(region: str, version: int, scoring: dict[str, Any]) -> RegionSettingsChanged:
        return RegionSettingsChanged(
            occurred_at=NOW, region_code=region, settings={"scoring": scoring}, changed_keys=("scoring",),
            version=version, actor_id="admin",
        )  # fmt: skip

    def week_events(self) -> tuple[dict[str, str], list[Event]]:
        """Six accounts on three platforms: posts, metrics, errors, alerts and a joint push in one week."""
        acc = {
            "busy": self.opened(name="路桥发布"),
            "quiet": self.opened(name="路桥市场监管"),
            "vetoed": self.opened(name="路桥生态环境", region="331002"),
            "weibo": self.opened(platform=Platform.WEIBO, name="路桥发布微博"),
            "douyin": self.opened(platform=Platform.DOUYIN, name="路桥发布抖音"),
            "new": self.opened(on=DAYS[3], name="路桥新开"),
        }
        ids = {k: v.account_id for k, v in acc.items()}
        events: list[Event] = list(acc.values())
        busy_posts = []
        for day, hour in ((DAYS[0], 9), (DAYS[0], 15), (DAYS[2], 9), (DAYS[5], 9)):
            evs = self.published(
                ids["busy"], day, hour=hour, original=hour == 9, ordinary=1 if hour == 15 else 0
            )
            published = evs[-1]
            assert isinstance(published, PostPublished)
            busy_posts.append(published.platform_post_id)
            events += evs
        events += self.published(ids["quiet"], DAYS[1], serious=1)
        events += self.published(ids["vetoed"], DAYS[1], serious=1, ordinary=2)
        events += self.published(ids["weibo"], DAYS[2]) + self.published(ids["weibo"], DAYS[4])
        events += [self.observed(ids["douyin"], DAYS[3], "dy-1")]
        events += self.published(ids["new"], DAYS[4])
        # metrics: cumulative snapshots, the latest wins (an older one arriving later changes nothing)
        snap = self.clock.now()
        events += [
            self.metrics(
                ids["busy"], busy_posts[0], snap - timedelta(days=1), reads=900, watching=5, likes=8, shares=3
            ),
            self.metrics(ids["busy"], busy_posts[0], snap, reads=1200, watching=9, likes=12, shares=4),
            self.metrics(
                ids["busy"], busy_posts[0], snap - timedelta(days=2), reads=100, watching=1, likes=1, shares=1
            ),
            self.metrics(ids["busy"], busy_posts[1], snap, reads=300, likes=2),
            self.metrics(ids["busy"], busy_posts[2], snap, reads=2500, watching=30, likes=40, shares=25),
            self.metrics(ids["busy"], None, snap, followers=15000),
            self.metrics(ids["douyin"], "dy-1", snap, reads=8000, likes=300, comments=40, shares=60),
        ]
        weibo_published = [e for e in events if isinstance(e, PostPublished) and e.account_id == ids["weibo"]]
        for e in weibo_published:
            events.append(
                self.metrics(ids["weibo"], e.platform_post_id, snap, shares=40, comments=25, likes=90)
            )
        events += [
            self.alert(
                ids["vetoed"], DAYS[6], AlertRule.NOT_UPDATED, AlertSeverity.VIOLATION, AlertClass.NOT_UPDATED
            ),
            self.alert(
                ids["quiet"], DAYS[2], AlertRule.CHECK_FAILED, AlertSeverity.MINOR, AlertClass.EXPRESSION
            ),
        ]
        push = self.campaign([ids["busy"], ids["quiet"]], DEADLINE)
        events += [push, self.completed(push, ids["busy"], push.deadline - timedelta(hours=3))]
        return ids, events

    async def apply(self, events: Sequence[Event]) -> None:
        """Hand events to the aggregates the way a consumer batch does (one transaction)."""
        async with self.sessions() as session, session.begin():
            await apply_batch(session, events)

    async def publish(self, events: Sequence[Event], ids: Sequence[str | None] = ()) -> list[str]:
        """Put events on the real broker, as their owners' relays would; returns their CloudEvents ids.
        ``ids`` gives some events the id of one sent before (a redelivery, or a replay with another body)."""
        producer = make_producer(KafkaSettings(bootstrap=self.infra.kafka_bootstrap), "scoring-test")
        await producer.start()
        try:
            futures = []
            envs = []
            for n, e in enumerate(events):
                env = wrap(e, event_id=ids[n] if n < len(ids) else None)
                envs.append(env)
                futures.append(
                    await producer.send(e.topic, env.value(), key=env.subject.encode(), headers=env.headers())
                )
            for env, sent in zip(envs, await asyncio.gather(*futures), strict=True):
                place(env.id, env.type, sent)
        finally:
            await producer.stop()
        return [env.id for env in envs]

    async def handled(self, ids: Sequence[str], *, within: float = 60.0) -> None:
        """Wait until the consumers handled ``ids``: in the inbox, or (metric snapshots, which leave no inbox
        row) their partition applied past them (govmedia_platform.handled)."""
        await wait_handled(self.app.state.runtime, ids, within=within)

    async def compute(self, kind: PeriodKind, start: date) -> tuple[int, int]:
        async with self.sessions() as session, session.begin():
            r = await compute_period(session, Period(kind, start), now=self.clock.now())
        return r.accounts, r.changed

    async def scores(self) -> dict[tuple[str, str, date], tuple[Any, ...]]:
        """Every stored score, by (account, kind, start): indices, composite, verdict, vetoes."""
        async with self.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT account_id, period_kind, period_start, diligence, effect, content, cluster, "
                    "growth, composite, passed, veto_reasons FROM scores"
                )
            )
            return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.sessions() as session:
            return list(await session.execute(text(query), params))

    async def wait_for(self, query: str, expected: Any, *, within: float = 30.0, **params: Any) -> None:
        deadline = time.monotonic() + within
        got = None
        while time.monotonic() < deadline:
            got = (await self.sql(query, **params))[0][0]
            if got == expected:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{query!r} gave {got!r}, expected {expected!r} within {within}s")

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients))


@asynccontextmanager
async def running_scoring(
    infra: Infrastructure,
    *,
    consumers: bool,
    prefix: str = "scoring",
    generation: int = 1,
    schedule_seconds: float | None = None,
    replay: ScoringKit | None = None,
) -> AsyncIterator[ScoringKit]:
    """Scoring on a fresh database; with consumers, its groups start at the topics' end (other tests' events
    are not its business: govmedia_platform.groups). ``replay``: a rebuild of that earlier run, its groups'
    prefix and a new ``generation``, reading from where the earlier run began."""
    url = await fresh_database(infra, prefix, "scoring")
    if replay is not None:
        kafka = replay.app.state.runtime.settings.kafka
    elif consumers:
        kafka = own_groups(infra.kafka_bootstrap, prefix)
    else:
        kafka = KafkaSettings(bootstrap=infra.kafka_bootstrap)
    settings = ServiceSettings(
        service_name="scoring",
        environment="test",
        database_url=url,
        kafka=kafka,
        run_consumers=consumers,
        relay_idle_sleep_seconds=0.05,
        log_json=False,
        log_level="WARNING",
    )
    key = SigningKey.generate()
    clock = FixedClock(NOW)
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    schedule = ScheduleSettings(
        schedule_enabled=schedule_seconds is not None,
        schedule_interval_seconds=schedule_seconds or 900.0,
        consumer_generation=generation,
        gauge_refresh_seconds=0.2,
    )
    app = create_app(settings, verifier=verifier, clock=clock, schedule=schedule)
    start = await start_at_the_end(app, replay.start if replay is not None else None) if consumers else {}
    async with LifespanManager(app):
        kit = ScoringKit(app, clock, key, infra)
        kit.start = start
        try:
            yield kit
        finally:
            await kit.close()


StartScoring = Callable[..., AbstractAsyncContextManager[ScoringKit]]


@pytest.fixture
def start_scoring(infra: Infrastructure, kafka_topics: None) -> StartScoring:
    """``async with start_scoring(consumers=True, generation=n) as kit`` inside a test."""
    return lambda **kw: running_scoring(infra, **kw)


@pytest.fixture
async def scoring(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[ScoringKit]:
    """The scoring app with its outbox relay; consumers off (tests hand events to the aggregates)."""
    async with running_scoring(infra, consumers=False) as kit:
        yield kit
