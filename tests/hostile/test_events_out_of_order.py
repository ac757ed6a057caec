"""Events in an order the producers' happy path does not make, read by monitor, notify and scoring from the
real broker into fresh databases.

Kafka keeps order within a partition only, and an operator replaying a dead letter (``govmedia dlt replay``)
or an outbox republished after a broker loss puts an event behind others that happened after it. What a
consumer ends with must not depend on which of two events it read first:

* an ``AlertResolved`` read before its ``AlertRaised`` (the raise dead-lettered and replayed after the fix):
  notify opened a case for an alert already dismissed, sent its notice and counted it on the unit's 2/4/6
  ladder, and the case never closed; scoring counted the dismissed alert as a violation, while a rebuild
  reading them in order did not (found by this round);
* a ``PostOverridden`` read before the monitor knew the account (no order across topics): dead-lettered
  after three quick tries, so the ``override`` alert was never raised (found by this round).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.auth import TokenVerifier
from govmedia_common.envelope import wrap
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertClass, AlertRaised, AlertResolution, AlertResolved
from govmedia_common.events.registry import AccountOpened, AccountSnapshot, AccountStatus, AttentionTier
from govmedia_common.events.review import (
    FindingCategory,
    FindingSeverity,
    PostChecked,
    PostKind,
    PostOverridden,
    PostPublished,
    PostSubmitted,
    ReviewerSignature,
)
from govmedia_common.events.types import AlertRule, AlertSeverity, Platform
from govmedia_common.kafka import make_producer
from govmedia_common.keys import SigningKey, jwks
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
DAY = date(2026, 11, 18)
REGION = "331004"
HASH = "sha256:" + "cd" * 32
INBOX = "SELECT count(*) FROM inbox WHERE event_id = ANY(CAST(:ids AS text[]))"


def _settings(service: str, url: str, infra: Infrastructure, **extra: Any) -> dict[str, Any]:
    return {
        "service_name": service,
        "environment": "test",
        "database_url": url,
        "kafka": KafkaSettings(bootstrap=infra.kafka_bootstrap),
        "run_consumers": True,
        "relay_idle_sleep_seconds": 0.05,
        "log_json": False,
        "log_level": "WARNING",
        **extra,
    }


class Running:
    """One service app with its consumers, on a fresh database."""

    def __init__(self, app: Any, infra: Infrastructure) -> None:
        self.app = app
        self.infra = infra
        self.sessions: async_sessionmaker[AsyncSession] = app.state.runtime.sessions

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
                await producer.send_and_wait(
                    e.topic, env.value(), key=env.subject.encode(), headers=env.headers()
                )
        finally:
            await producer.stop()
        return ids

    async def handled(self, ids: list[str], *, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if (await self.sql(INBOX, ids=ids))[0][0] == len(ids):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"the consumers did not handle {ids} within {within}s")


@asynccontextmanager
async def running(infra: Infrastructure, service: str) -> AsyncIterator[Running]:
    url = await fresh_database(infra, f"order_{service}", service)
    key = SigningKey.generate()
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    clock = FixedClock(NOW)
    if service == "scoring":
        from govmedia_scoring.main import ScheduleSettings
        from govmedia_scoring.main import create_app as create_scoring

        schedule = ScheduleSettings(schedule_enabled=False, consumer_generation=random.randint(10**6, 10**9))
        app = create_scoring(
            ServiceSettings(**_settings(service, url, infra)),
            verifier=verifier,
            clock=clock,
            schedule=schedule,
        )
    elif service == "notify":
        from govmedia_notify.main import create_app as create_notify
        from govmedia_notify.settings import NotifySettings

        settings = NotifySettings(**_settings(service, url, infra, run_dispatcher=False, run_sweeper=False))
        app = create_notify(settings, verifier=verifier, clock=clock)
    else:
        from govmedia_monitor.main import create_app as create_monitor

        app = create_monitor(
            ServiceSettings(**_settings(service, url, infra)), verifier=verifier, clock=clock
        )
    async with LifespanManager(app):
        yield Running(app, infra)


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


# ---------------------------------------------------------------------------------------------- scoring


async def test_scoring_counts_an_alert_dismissed_before_it_was_read_raised_as_dismissed(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Dismissed, then raised (replayed): the same facts as raised, then dismissed, and no violation."""
    in_order, reversed_ = str(uuid.uuid4()), str(uuid.uuid4())
    a, b = raised(in_order), raised(reversed_)
    cleared = raised(reversed_, rule=AlertRule.INTERACTION_OFF)  # cleared first: resolved, still counted
    first: list[Event] = [opened(in_order), opened(reversed_), a, resolved(a, AlertResolution.DISMISSED)]
    first += [resolved(b, AlertResolution.DISMISSED), resolved(cleared, AlertResolution.CLEARED)]
    async with running(infra, "scoring") as scoring:
        # In one poll the order would not matter (a batch inserts alerts before resolving them): the
        # resolutions are handled first, the raises (replayed later) in a poll of their own.
        await scoring.handled(await scoring.publish(first))
        await scoring.handled(await scoring.publish([b, cleared]))
        facts = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT alert_id, resolved, dismissed FROM alerts WHERE alert_id = ANY(CAST(:ids AS text[]))",
                ids=[a.alert_id, b.alert_id, cleared.alert_id],
            )
        }
        assert facts == {
            a.alert_id: (True, True),
            b.alert_id: (True, True),
            cleared.alert_id: (True, False),
        }, "a resolution read before its alert was lost"
        days = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT account_id, violations, not_updated_alerts, interaction_off_alerts FROM account_days "
                "WHERE day = :day AND account_id = ANY(CAST(:ids AS text[]))",
                day=DAY,
                ids=[in_order, reversed_],
            )
        }
        assert days[in_order] == (0, 0, 0)
        assert days[reversed_] == (1, 0, 1), "the dismissed alert counted as a violation"
        left = await scoring.sql("SELECT count(*) FROM alert_resolutions")
        assert left[0][0] == 0, "a resolution kept after its alert arrived"


def review_post(account_id: str, *, serious: int, ordinary: int) -> tuple[Event, Event, Event]:
    """A post as the review announces it: submitted (original), machine-checked, published."""
    post_id, t = str(uuid.uuid4()), datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=SHANGHAI)
    signatures = tuple(
        ReviewerSignature(level=n, reviewer_id=str(uuid.uuid4()), reviewer_name=name, reviewed_at=t)
        for n, name in ((1, "甲"), (2, "乙"))
    )
    return (
        PostSubmitted(
            occurred_at=t, account_id=account_id, post_id=post_id, title="通知", content_hash=HASH,
            kind=PostKind.ORIGINAL, review_levels=2, submitted_by=str(uuid.uuid4()), revision=1,
        ),
        PostChecked(
            occurred_at=t, account_id=account_id, post_id=post_id, content_hash=HASH,
            findings_total=serious + ordinary, by_category={
                FindingCategory.SERIOUS_EXPRESSION_ERROR: serious, FindingCategory.EXPRESSION_ERROR: ordinary
            }, by_severity={FindingSeverity.BLOCK: serious, FindingSeverity.WARN: ordinary},
            blocking=serious > 0, lexicon_versions={},
        ),
        PostPublished(
            occurred_at=t, account_id=account_id, post_id=post_id, platform=Platform.WECHAT,
            platform_post_id=f"wx-{post_id[:12]}", url=None, content_hash=HASH, published_at=t,
            reviewers=signatures,
        ),
    )  # fmt: skip


async def test_scoring_counts_a_check_and_a_submission_read_after_their_publication(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Published, then checked, then submitted (both replayed after a fix): the post's errors and kind count
    as when the three arrive in order, which is what a rebuild from the topics reads."""
    replayed, in_order = str(uuid.uuid4()), str(uuid.uuid4())
    submitted, checked, published = review_post(replayed, serious=1, ordinary=2)
    async with running(infra, "scoring") as scoring:
        await scoring.handled(await scoring.publish([opened(replayed), opened(in_order), published]))
        await scoring.handled(await scoring.publish([checked]))
        await scoring.handled(await scoring.publish([submitted]))
        await scoring.handled(await scoring.publish(review_post(in_order, serious=1, ordinary=2)))
        days = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT account_id, posts, original_posts, errors_serious, errors_ordinary FROM account_days "
                "WHERE day = :day AND account_id = ANY(CAST(:ids AS text[]))",
                day=DAY,
                ids=[replayed, in_order],
            )
        }
        assert days[in_order] == (1, 1, 1, 2)
        assert days[replayed] == days[in_order], "a check or submission read after the publication was lost"


# ---------------------------------------------------------------------------------------------- notify


async def test_notify_opens_no_case_for_an_alert_dismissed_before_it_was_read_raised(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Dismissed, then raised: no case, no notice, nothing on the ladder. Cleared, then raised: the case opens
    knowing its alert is resolved, and closes once the report is accepted, as in the usual order."""
    account = str(uuid.uuid4())
    dismissed, cleared = raised(account), raised(account, rule=AlertRule.INTERACTION_OFF)
    async with running(infra, "notify") as notify:
        await notify.handled(
            await notify.publish(
                [resolved(dismissed, AlertResolution.DISMISSED), resolved(cleared, AlertResolution.CLEARED)]
            )
        )
        await notify.handled(await notify.publish([dismissed, cleared]))
        cases = {
            r[0]: tuple(r[1:])
            for r in await notify.sql(
                "SELECT alert_id, state, alert_resolution FROM cases WHERE account_id = :a", a=account
            )
        }
        assert dismissed.alert_id not in cases, "a case (and its notice) for an alert already dismissed"
        assert cases == {cleared.alert_id: ("open", "cleared")}, cases
        notices = await notify.sql(
            "SELECT count(*) FROM deliveries WHERE kind = 'notice' AND payload->>'account_id' = :a", a=account
        )
        assert notices[0][0] == 1  # the cleared alert's case only
        ladder = await notify.sql(
            "SELECT COALESCE(sum(count), 0) FROM ladder_counters WHERE unit_id = :u",
            u=dismissed.unit_id,
        )
        assert ladder[0][0] == 1, "the dismissed alert counted on the unit's 2/4/6 ladder"


# ---------------------------------------------------------------------------------------------- monitor


async def test_monitor_raises_an_override_read_before_its_account_once_the_account_arrives(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """No order across topics: the review's PostOverridden may be read before the registry's AccountOpened.
    It must wait for the account, not be dead-lettered; the alert is raised once the account is known."""
    account = str(uuid.uuid4())
    override = PostOverridden(
        occurred_at=NOW, account_id=account, post_id=str(uuid.uuid4()), approver_id=str(uuid.uuid4()),
        approver_name="终审人", reason="已核实，内容属实", content_hash=HASH,
        blocking_categories=(FindingCategory.SERIOUS_EXPRESSION_ERROR,),
    )  # fmt: skip
    async with running(infra, "monitor") as monitor:
        first = await monitor.publish([override])
        await monitor.handled(first)  # handled (kept), not dead-lettered after its retries
        alerts = "SELECT count(*) FROM alerts WHERE account_id = :a AND rule = 'override'"
        assert (await monitor.sql(alerts, a=account))[0][0] == 0  # nothing to raise it on yet
        await monitor.handled(await monitor.publish([opened(account)]))
        assert (await monitor.sql(alerts, a=account))[0][0] == 1, "the override alert was never raised"
        await monitor.publish([override])  # the same fact again (another id, a republish): still one alert
        await monitor.handled(await monitor.publish([opened(account)]))
        assert (await monitor.sql(alerts, a=account))[0][0] == 1
