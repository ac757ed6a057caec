"""Consumers of the scoring service: every input stream becomes facts and daily aggregates, set-based.

:func:`apply_batch` takes a list of events of any consumed type (one polled batch), reduces them to one row
per key, writes each kind of fact with one statement and re-aggregates the touched days with one more — so
a batch costs a handful of statements whatever its size. Metric snapshots of posts, most of the traffic,
are only appended to a log in one statement, without locks; the computation folds them into the posts and
days first (:mod:`govmedia_scoring.aggregates.snapshots`). A batch of nothing else is that one statement.
:data:`on_batch` registers it with the consumer runner's batch mode for every consumed type, so the runner
hands it a whole polled batch (one partition, in order, deduplicated by the inbox — except the metric
snapshots, :data:`IDEMPOTENT_EVENTS`, which the handler's own keys make idempotent and which get no inbox
row); on the runner's one-by-one path it gets single events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import BatchHandler, Handler, MessageContext
from govmedia_common.events.base import Event
from govmedia_common.events.monitor import (
    AlertRaised,
    AlertResolved,
    MetricsObserved,
    PostObserved,
)
from govmedia_common.events.notify import CaseClosed, NoticeIssued
from govmedia_common.events.registry import (
    AccountAnnounced,
    AccountApproved,
    AccountChanged,
    AccountDeregistered,
    AccountFiled,
    AccountMerged,
    AccountOpened,
    AccountRejected,
    AccountReturned,
    AccountSnapshot,
    AccountSuspended,
    AccountWithdrawn,
    AttentionTier,
    RegionSettingsChanged,
)
from govmedia_common.events.review import (
    CampaignIssued,
    CampaignTargetCompleted,
    FindingSeverity,
    PostChecked,
    PostKind,
    PostPublished,
    PostSubmitted,
)
from govmedia_common.workdays import SHANGHAI
from govmedia_scoring.aggregates import snapshots, store
from govmedia_scoring.rules import SECTION

log = logging.getLogger(__name__)

ACCOUNT_EVENTS: tuple[type[Event], ...] = (
    AccountFiled,
    AccountApproved,
    AccountRejected,
    AccountReturned,
    AccountAnnounced,
    AccountOpened,
    AccountChanged,
    AccountMerged,
    AccountSuspended,
    AccountDeregistered,
    AccountWithdrawn,
)
SETTINGS_EVENTS: tuple[type[Event], ...] = (RegionSettingsChanged,)
POST_EVENTS: tuple[type[Event], ...] = (PostSubmitted, PostChecked, PostPublished)
CAMPAIGN_EVENTS: tuple[type[Event], ...] = (CampaignIssued, CampaignTargetCompleted)
OBSERVATION_EVENTS: tuple[type[Event], ...] = (PostObserved, MetricsObserved)
ALERT_EVENTS: tuple[type[Event], ...] = (AlertRaised, AlertResolved)
CASE_EVENTS: tuple[type[Event], ...] = (NoticeIssued, CaseClosed)


def day_of(instant: datetime) -> date:
    """The calendar day of an instant in China (Asia/Shanghai): the day a fact counts for."""
    return instant.astimezone(SHANGHAI).date()


def _account_row(
    snap: AccountSnapshot, as_of: datetime, opened: date | None, closed: date | None
) -> tuple[object, ...]:
    return (
        snap.account_id,
        snap.name,
        snap.unit_id,
        snap.unit_name,
        snap.region_code,
        snap.platform.value,
        snap.status.value,
        snap.attention_tier is AttentionTier.HIGH,
        snap.interaction_enabled,
        opened,
        closed,
        as_of,
    )


def _account_rows(event: Event) -> list[tuple[object, ...]]:
    at = event.occurred_at  # type: ignore[attr-defined]
    snap: AccountSnapshot = event.account  # type: ignore[attr-defined]
    opened = event.effective_on if isinstance(event, AccountOpened) else None
    closed = event.effective_on if isinstance(event, AccountSuspended | AccountDeregistered) else None
    rows = [_account_row(snap, at, opened, closed)]
    if isinstance(event, AccountMerged):
        rows += [_account_row(m, at, None, event.effective_on) for m in event.merged_accounts]
    return rows


def _latest(rows: list[tuple[object, ...]], key: slice, order: int) -> list[tuple[object, ...]]:
    """One row per key: the one with the greatest ``row[order]`` (the later of two in the batch on ties)."""
    best: dict[tuple[object, ...], tuple[object, ...]] = {}
    for row in rows:
        k = row[key]
        held = best.get(k)
        if held is None or row[order] >= held[order]:  # type: ignore[operator]
            best[k] = row
    return list(best.values())


Publication = tuple[str, str, str | None, datetime, date, str | None, bool]
"""(account, platform post id, post id, published at, day, content hash, from the review)."""


def _merge_publications(rows: list[Publication]) -> list[Publication]:
    """One row per post: the earliest publication time; the post id and version of the review's publication
    when there is one (the version whose findings count), else of the first row naming a post."""
    merged: dict[tuple[str, str], Publication] = {}
    for row in rows:
        held = merged.get(row[:2])
        if held is None:
            merged[row[:2]] = row
            continue
        first = row if row[3] < held[3] else held
        if row[6] and not held[6]:
            named = row
        elif held[6] and not row[6]:
            named = held
        else:
            named = held if held[2] is not None else row
        merged[row[:2]] = (row[0], row[1], named[2], first[3], first[4], named[5], named[6])
    return list(merged.values())


async def apply_batch(session: AsyncSession, events: Sequence[Event]) -> int:
    """Apply a batch of consumed events set-based; returns how many daily aggregates were refreshed."""
    posts_metrics: list[MetricsObserved] = []
    others: list[Event] = []
    for e in events:  # most of the traffic: metric snapshots of posts, appended to the log
        if type(e) is MetricsObserved and e.platform_post_id is not None:
            posts_metrics.append(e)
        else:
            others.append(e)
    await snapshots.append(session, posts_metrics)
    # A consumer keeping up gets small polls: their snapshots are folded at once, so posts and days are
    # current when the inbox says handled. A backlog (large polls) leaves them in the log for the next
    # small poll of those accounts or the next computation, which fold many snapshots of a post at once.
    fold_now = [] if len(posts_metrics) >= snapshots.LOG_ONLY_FROM else [e.account_id for e in posts_metrics]
    return await _apply_facts(session, others, fold_now) if others or fold_now else 0


async def _apply_facts(session: AsyncSession, events: Sequence[Event], fold_now: Sequence[str]) -> int:
    accounts: list[tuple[object, ...]] = []
    settings: list[tuple[object, ...]] = []
    submitted: list[tuple[str, str, bool]] = []
    checks: list[tuple[str, str, str, int, int]] = []
    publications: list[Publication] = []
    followers: list[tuple[object, ...]] = []
    alerts: list[tuple[str, str, date, str, str, str]] = []
    resolved: dict[str, bool] = {}
    targets: list[tuple[str, str, date, datetime | None, bool | None]] = []
    cases: dict[str, list[object]] = {}
    for e in events:
        if isinstance(e, MetricsObserved):  # of the account (those of posts went to the log)
            if e.followers is not None:
                followers.append((e.account_id, day_of(e.as_of), e.followers, e.as_of))
        elif isinstance(e, ACCOUNT_EVENTS):
            accounts += _account_rows(e)
        elif isinstance(e, RegionSettingsChanged):
            section = e.settings.get(SECTION, {})
            settings.append((e.region_code, orjson.dumps(section).decode(), e.version, e.occurred_at))
        elif isinstance(e, PostSubmitted):
            submitted.append((e.post_id, e.account_id, e.kind is PostKind.ORIGINAL))
        elif isinstance(e, PostChecked):
            sev = e.by_severity
            checks.append(
                (
                    e.post_id,
                    e.account_id,
                    e.content_hash,
                    sev.get(FindingSeverity.BLOCK, 0),
                    sev.get(FindingSeverity.WARN, 0),
                )
            )
        elif isinstance(e, PostPublished):
            publications.append(
                (
                    e.account_id,
                    e.platform_post_id,
                    e.post_id,
                    e.published_at,
                    day_of(e.published_at),
                    e.content_hash,
                    True,
                )
            )
        elif isinstance(e, PostObserved):
            publications.append(
                (
                    e.account_id,
                    e.platform_post_id,
                    e.matched_post_id,
                    e.published_at,
                    day_of(e.published_at),
                    e.content_hash,
                    False,
                )
            )
        elif isinstance(e, AlertRaised):
            alerts.append(
                (
                    e.alert_id,
                    e.account_id,
                    day_of(e.occurred_at),
                    e.rule.value,
                    e.severity.value,
                    e.alert_class.value,
                )
            )
        elif isinstance(e, AlertResolved):
            resolved[e.alert_id] = resolved.get(e.alert_id, False) or e.resolution.false_alarm
        elif isinstance(e, CampaignIssued):
            due = day_of(e.deadline)
            targets += [(e.campaign_id, a, due, None, None) for a in e.target_account_ids]
        elif isinstance(e, NoticeIssued):
            row = cases.setdefault(e.case_id, [e.case_id, e.account_id, None, None, None, None, None, None])
            row[2:5] = [e.alert_id, day_of(e.occurred_at), e.rectify_by]
        elif isinstance(e, CaseClosed):
            row = cases.setdefault(e.case_id, [e.case_id, e.account_id, None, None, None, None, None, None])
            row[5:8] = [day_of(e.occurred_at), e.outcome.value, e.closed_on_time]
        elif isinstance(e, CampaignTargetCompleted):
            targets.append((e.campaign_id, e.account_id, day_of(e.deadline), e.completed_at, e.on_time))
    # Refreshing a day re-reads all of that day's facts; two transactions refreshing the same account
    # concurrently (the posts and observations consumers) would each miss the other's write. Take a lock per
    # account first, in a fixed order, so they follow each other.
    locked = {str(e.account_id) for e in events if hasattr(e, "account_id")} | {t[1] for t in targets}
    await store.lock_accounts(session, locked | set(fold_now))  # one statement: one order, no deadlock
    await snapshots.fold_accounts(session, sorted(set(fold_now)), lock=False)
    touched: list[store.DayKey] = []
    await store.upsert_accounts(session, _latest(accounts, slice(0, 1), 11))
    await store.upsert_region_settings(session, _latest(settings, slice(0, 1), 2))  # type: ignore[arg-type]
    # Submissions and checks before the publications they precede; one read after its publication (a
    # replay) updates the post itself, so the facts do not depend on the order they were read in.
    touched += await store.upsert_review_posts(session, list({r[0]: r for r in submitted}.values()))
    touched += await store.upsert_checks(session, list({(r[0], r[2]): r for r in checks}.values()))
    touched += await store.upsert_publications(session, _merge_publications(publications))
    await store.upsert_followers(session, _latest(followers, slice(0, 2), 3))  # type: ignore[arg-type]
    touched += await store.insert_alerts(session, list({r[0]: r for r in alerts}.values()))
    touched += await store.resolve_alerts(session, sorted(resolved.items()))
    merged_targets: dict[tuple[str, str], tuple[str, str, date, datetime | None, bool | None]] = {}
    for t in targets:
        held = merged_targets.get(t[:2])
        merged_targets[t[:2]] = t if held is None or t[3] is not None else held
    touched += await store.upsert_targets(session, list(merged_targets.values()))
    await store.upsert_cases(session, [tuple(r) for r in cases.values()])  # type: ignore[misc]
    return await store.refresh_days(session, touched)


# Applied idempotently by their own keys, so the runner writes no inbox row for them (most of the traffic):
# a snapshot counts only when strictly newer than every snapshot of its post (or account day) before it and
# than the one held (snapshots.fold_accounts, store.upsert_followers), so a second delivery changes nothing,
# whatever came in between — as the inbox would have dropped it. tests/hostile and the scoring tests replay
# snapshots twice, with other bodies and out of order, and compare with a single delivery.
IDEMPOTENT_EVENTS: tuple[type[Event], ...] = (MetricsObserved,)


async def _on_batch(session: AsyncSession, items: Sequence[tuple[Event, MessageContext]]) -> None:
    """The batch handler of every consumed type: the polled events, applied set-based."""
    await apply_batch(session, [event for event, _ in items])


on_batch: BatchHandler[Event] = BatchHandler(_on_batch, idempotent=IDEMPOTENT_EVENTS)
on_batch.__name__ = "on_batch"


def _handlers(types: tuple[type[Event], ...]) -> Mapping[type[Event], Handler]:
    handler: BatchHandler[Event] = on_batch
    return dict.fromkeys(types, handler)


CONSUMER_GROUPS: dict[str, Mapping[type[Event], Handler]] = {
    "accounts": _handlers(ACCOUNT_EVENTS + SETTINGS_EVENTS),
    "posts": _handlers(POST_EVENTS + CAMPAIGN_EVENTS),
    "observations": _handlers(OBSERVATION_EVENTS + ALERT_EVENTS),
    "cases": _handlers(CASE_EVENTS),
}
