"""Monitor, notify and scoring with their consumers on the real broker, each on a fresh database, and the
events other services would put on their topics: for tests that feed the consumers what producers would not.

Each run has consumer groups of its own that start where the topics ended when it began
(govmedia_platform.groups): what other tests published before is not read, and no other run's members share
its partitions.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.envelope import wrap
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertClass, AlertRaised, AlertResolution, AlertResolved
from govmedia_common.events.registry import AccountOpened, AccountSnapshot, AccountStatus, AttentionTier
from govmedia_common.events.types import AlertRule, AlertSeverity, Platform
from govmedia_common.kafka import make_producer
from govmedia_common.keys import SigningKey, jwks
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.groups import Positions, own_groups, start_at_the_end
from govmedia_platform.handled import place, wait_handled
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
DAY = date(2026, 11, 18)
REGION = "331004"
HASH = "sha256:" + "cd" * 32


def _settings(service: str, url: str, kafka: KafkaSettings, **extra: Any) -> dict[str, Any]:
    return {
        "service_name": service,
        "environment": "test",
        "database_url": url,
        "kafka": kafka,
        "run_consumers": True,
        "relay_idle_sleep_seconds": 0.05,
        "log_json": False,
        "log_level": "WARNING",
        **extra,
    }


class Running:
    """One service app with its consumers, on a fresh database."""

    def __init__(
        self,
        app: Any,
        infra: Infrastructure,
        key: SigningKey,
        *,
        start: Positions | None = None,
        generation: int = 0,
    ) -> None:
        self.app = app
        self.infra = infra
        self.key = key  # signs tokens the app accepts (mint_token)
        self.sessions: async_sessionmaker[AsyncSession] = app.state.runtime.sessions
        self.start = (
            start or {}
        )  # where its consumer groups started reading (a restart or a replay reuses it)
        self.generation = generation  # scoring's consumer generation

    @property
    def url(self) -> str:
        """The service's database."""
        return str(self.app.state.runtime.settings.database_url)

    @property
    def kafka(self) -> KafkaSettings:
        """The service's broker settings, its consumer groups' prefix among them."""
        kafka: KafkaSettings = self.app.state.runtime.settings.kafka
        return kafka

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.sessions() as session:
            return list(await session.execute(text(query), params))

    async def publish(self, events: Sequence[Event]) -> list[str]:
        """Put events on the real broker in this order, as their owners' relays (or a replay) would."""
        producer = make_producer(KafkaSettings(bootstrap=self.infra.kafka_bootstrap), "out-of-order-test")
        await producer.start()
        ids = []
        try:
            for e in events:
                env = wrap(e)
                ids.append(env.id)
                sent = await producer.send_and_wait(
                    e.topic, env.value(), key=env.subject.encode(), headers=env.headers()
                )
                place(env.id, env.type, sent)
        finally:
            await producer.stop()
        return ids

    async def handled(self, ids: list[str], *, within: float = 60.0) -> None:
        """Wait until the consumers handled ``ids`` (in the inbox, or applied past them: see
        govmedia_platform.handled). The run's groups read only what was published since it began."""
        await wait_handled(self.app.state.runtime, ids, within=within)


@asynccontextmanager
async def running(
    infra: Infrastructure, service: str, *, restart: Running | None = None, replay: Running | None = None
) -> AsyncIterator[Running]:
    """The service on a fresh database, its consumer groups its own and starting at the topics' end.

    ``restart``: the run ``restart`` stopped, started again on its database and consumer groups (they go on
    from what they committed). ``replay``: a rebuild of the run ``replay`` on a fresh database, new groups
    (a new scoring generation) reading from where ``replay`` began.
    """
    url = await fresh_database(infra, f"order_{service}", service) if restart is None else restart.url
    kafka = own_groups(infra.kafka_bootstrap, service) if restart is None else restart.kafka
    key = SigningKey.generate()
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    clock = FixedClock(NOW)
    generation = restart.generation if restart is not None else random.randint(10**6, 10**9)
    if service == "scoring":
        from govmedia_scoring.main import ScheduleSettings
        from govmedia_scoring.main import create_app as create_scoring

        schedule = ScheduleSettings(schedule_enabled=False, consumer_generation=generation)
        app = create_scoring(
            ServiceSettings(**_settings(service, url, kafka)),
            verifier=verifier,
            clock=clock,
            schedule=schedule,
        )
    elif service == "notify":
        from govmedia_notify.main import create_app as create_notify
        from govmedia_notify.settings import NotifySettings

        settings = NotifySettings(**_settings(service, url, kafka, run_dispatcher=False, run_sweeper=False))
        app = create_notify(settings, verifier=verifier, clock=clock)
    else:
        from govmedia_monitor.main import create_app as create_monitor

        app = create_monitor(
            ServiceSettings(**_settings(service, url, kafka)), verifier=verifier, clock=clock
        )
    earlier = restart or replay
    start = await start_at_the_end(app, earlier.start if earlier is not None else None)
    async with LifespanManager(app):
        yield Running(app, infra, key, start=start, generation=generation)


def opened(account_id: str, *, on: date = date(2025, 1, 1)) -> AccountOpened:
    snap = AccountSnapshot(
        account_id=account_id, name="路桥发布", platform=Platform.WECHAT, platform_account_id=None,
        unit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, account_id)), unit_name="台州市路桥区人民政府办公室",
        region_code=REGION, status=AccountStatus.ACTIVE, attention_tier=AttentionTier.ORDINARY,
        interaction_enabled=True, review_levels=2, certified=True, matrix_badge=None, outsourced=False,
    )  # fmt: skip
    at = datetime(on.year, on.month, on.day, 9, tzinfo=SHANGHAI)
    return AccountOpened(
        occurred_at=at, account_id=account_id, account=snap, filing_id=None, actor_id="system",
        effective_on=on,
    )  # fmt: skip


def raised(account_id: str, *, rule: AlertRule = AlertRule.NOT_UPDATED) -> AlertRaised:
    return AlertRaised(
        occurred_at=datetime(DAY.year, DAY.month, DAY.day, 2, tzinfo=SHANGHAI), alert_id=str(uuid.uuid4()),
        account_id=account_id, unit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, account_id)), region_code=REGION,
        rule=rule, severity=AlertSeverity.VIOLATION, alert_class=AlertClass.NOT_UPDATED,
        period=DAY.isoformat(), detail={"days_silent": 15, "threshold_days": 14},
    )  # fmt: skip


def resolved(alert: AlertRaised, resolution: AlertResolution) -> AlertResolved:
    return AlertResolved(
        occurred_at=datetime(DAY.year, DAY.month, DAY.day, 15, tzinfo=SHANGHAI), alert_id=alert.alert_id,
        account_id=alert.account_id, rule=alert.rule, period=alert.period, resolution=resolution,
        resolved_by="office-staff" if resolution.false_alarm else None,
        reason="误报：账号已注销前发布" if resolution.false_alarm else None,
    )  # fmt: skip


async def dead_letters(bootstrap: str, topic: str, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """The headers of the dead letters of ``topic`` whose ``ce_id`` is one of ``ids``, by that id."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        dlt = f"{topic}.dlt"
        tps = [TopicPartition(dlt, p) for p in sorted(consumer.partitions_for_topic(dlt) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: dict[str, dict[str, str]] = {}
        for _ in range(5):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    if headers.get("ce_id") in ids:
                        found[headers["ce_id"]] = headers
        return found
    finally:
        await consumer.stop()
