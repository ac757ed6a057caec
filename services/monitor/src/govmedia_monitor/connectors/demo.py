"""The simulator demo: N accounts with mixed behaviours, day after day on an injected clock.

Each simulated day: move the clock to the evening, let the simulator connector report the day, hand its
approvals to the same handler the review's events reach, ingest the rest, run the day's sweep and mine the
day's hot words. 90 days of 100 accounts take minutes, and the alerts are the real ones.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Platform,
    PostApproved,
    PostPublished,
    ReviewerSignature,
)
from govmedia_common.hashing import content_hash
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_monitor import handlers
from govmedia_monitor.connectors import AccountRef, Approval, Behaviour, SimulatorConnector, pull
from govmedia_monitor.hotwords import service as hotwords
from govmedia_monitor.models import Alert
from govmedia_monitor.observations.checking import CheckerCache
from govmedia_monitor.rules import calendar, sweeps

REGIONS = ("331002", "331003", "331004", "330102", "330106")


def _id(seed: int, *parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "govmedia-sim:" + ":".join(map(str, (seed, *parts)))))


def accounts_for(seed: int, count: int) -> list[tuple[AccountRef, Behaviour, str]]:
    """``count`` accounts, behaviours in turn, spread over a few counties."""
    kinds = list(Behaviour)
    return [
        (AccountRef(_id(seed, "account", i), "wechat"), kinds[i % len(kinds)], REGIONS[i % len(REGIONS)])
        for i in range(count)
    ]


async def open_accounts(
    session: AsyncSession, seed: int, accounts: list[tuple[AccountRef, Behaviour, str]], on: date
) -> None:
    """Project the accounts as the registry's AccountOpened events would."""
    at = datetime.combine(on, time(8), tzinfo=SHANGHAI)
    for i, (ref, _behaviour, region) in enumerate(accounts):
        snap = AccountSnapshot(
            account_id=ref.account_id,
            name=f"模拟账号{i:04d}",
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=_id(seed, "unit", i),
            unit_name=f"模拟单位{i:04d}",
            region_code=region,
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.HIGH if i % 10 == 9 else AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=2,
            certified=True,
            matrix_badge=None,
            outsourced=False,
        )
        event = AccountOpened(
            occurred_at=at,
            account_id=ref.account_id,
            account=snap,
            filing_id=_id(seed, "filing", i),
            actor_id="simulator",
            effective_on=on,
        )
        await handlers.on_account_event(event, None, session)


async def apply_approval(session: AsyncSession, seed: int, a: Approval) -> None:
    """What the review would announce for an approved and published post."""
    signatures = tuple(
        ReviewerSignature(
            level=lvl,
            reviewer_id=_id(seed, "reviewer", a.account_id, lvl),
            reviewer_name=f"审核员{lvl}",
            reviewed_at=a.approved_at,
        )
        for lvl in (1, 2)
    )
    digest = content_hash(a.title, a.text)
    await handlers.on_post_approved(
        PostApproved(
            occurred_at=a.approved_at,
            account_id=a.account_id,
            post_id=a.post_id,
            title=a.title,
            text=a.text,
            content_hash=digest,
            reviewers=signatures,
            override=False,
            override_reason=None,
        ),
        None,
        session,
    )
    if a.platform_post_id:
        await handlers.on_post_published(
            PostPublished(
                occurred_at=a.approved_at,
                account_id=a.account_id,
                post_id=a.post_id,
                platform=Platform.WECHAT,
                platform_post_id=a.platform_post_id,
                url=None,
                content_hash=digest,
                published_at=a.approved_at,
                reviewers=signatures,
            ),
            None,
            session,
        )


async def run_demo(
    sessions: async_sessionmaker[AsyncSession],
    *,
    accounts: int,
    days: int,
    seed: int,
    start: date,
    clock: FixedClock,
    hot_words: bool = True,
    on_day: Callable[[date], None] | None = None,
) -> Counter[tuple[str, str]]:
    """Simulate ``days`` days from ``start``; the alerts (rule, severity) raised, counted."""
    roster = accounts_for(seed, accounts)
    behaviours = {ref.account_id: b for ref, b, _ in roster}
    connector = SimulatorConnector(seed=seed, origin=start, behaviours=behaviours)
    refs = [ref for ref, _, _ in roster]
    checker = CheckerCache()
    clock.set(datetime.combine(start, time(8), tzinfo=SHANGHAI))
    async with sessions() as session, session.begin():
        # The working-day years the calendar package covers, as the service stores them when it starts: the
        # simulator may run on a database the service has not run on yet.
        await calendar.load_package_years(session)
        await open_accounts(session, seed, roster, start)
    for n in range(days):
        day = start + timedelta(days=n)
        since = datetime.combine(day, time(0), tzinfo=SHANGHAI)
        clock.set(since + timedelta(hours=23, minutes=59))
        batch = await connector.fetch(refs, since, since + timedelta(days=1))
        async with sessions() as session, session.begin():
            for approval in batch.approvals:
                await apply_approval(session, seed, approval)
            await pull(session, batch, now=clock.now(), checker=checker)
        async with sessions() as session, session.begin():
            await sweeps.run(session, as_of=day, now=clock.now())
        if hot_words:
            async with sessions() as session, session.begin():
                await hotwords.mine_day(session, day, now=clock.now())
        if on_day:
            on_day(day)
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Alert.rule, Alert.severity, func.count()).group_by(Alert.rule, Alert.severity)
            )
        ).all()
    return Counter({(r[0], r[1]): int(r[2]) for r in rows})
