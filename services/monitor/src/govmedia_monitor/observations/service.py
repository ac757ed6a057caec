"""Ingest of what the platforms show: observed posts, and what every ingest path shares (the report of
accepted, duplicate and refused items; known accounts and the caller's region). Metric snapshots are in
``metrics.py``, messages, replies and the interaction switch in ``interactions.py``.

Every path is idempotent on the item's natural key (platform post id; account, post and ``taken_at``;
message id; account and instant of the switch) and set-based: one ``INSERT … ON CONFLICT DO NOTHING`` over
the whole batch, whose ``RETURNING`` rows are the new items, and only they produce events and alerts.
Services never commit: the request (or the import batch) is the transaction.

A post seen again under its platform post id with other content (edited on the platform after publication)
is a new version of its observation, not a duplicate: the row takes the new content and hash, is matched
and checked again, ``PostObserved`` announces the version, and its alerts follow as for a first sighting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import CheckEngine
from govmedia_common.events import (
    AlertResolution,
    AlertRule,
    IngestChannel,
    Platform,
    PostObserved,
)
from govmedia_common.hashing import content_hash
from govmedia_monitor import schemas as s
from govmedia_monitor.alerts import service as alerts
from govmedia_monitor.models import (
    Account,
    ApprovedPost,
    ObservedPost,
    RegionSettings,
)
from govmedia_monitor.observations.checking import CheckerCache, check_observation
from govmedia_monitor.observations.matching import Candidate, MatchKind, match, similarity_form
from govmedia_monitor.rules import exclusion
from govmedia_monitor.rules.thresholds import MonitorSettings, effective

# Approved posts older than this before an observed post's publication are not matching candidates.
CANDIDATE_WINDOW = timedelta(days=365)


# Problem types of refused items: an account the monitor has not learnt (yet) from the registry's events has
# its own, as in the review, so a client can tell "retry once the registry's event arrived" from the rest.
UNKNOWN_ACCOUNT = "unknown-account"
ITEM_REFUSED = "item-refused"
INSTANT_IN_FUTURE = "instant-in-future"
CONFLICTING_REPLAY = "conflicting-replay"

# How far after the service clock an item's instant may lie: the clocks of platforms and connectors differ
# from ours by seconds or minutes. Anything later is a wrong date (2052 for 2025) or a local time sent with
# the wrong zone, and believed it would hide an account's silence behind a post "published" in the future.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class Report:
    """Counts of one ingest; ``rejected`` holds (index, reason) of refused items, ``codes`` the problem type
    of those refused for a cause with its own (index → code; :data:`ITEM_REFUSED` when absent)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    fields: dict[int, str] = field(default_factory=dict)

    def code(self, index: int) -> str:
        """The problem type of the refused item at ``index``."""
        return self.codes.get(index, ITEM_REFUSED)

    def field_of(self, index: int) -> str | None:
        """The field of the item at ``index`` its refusal is about (None: the item as a whole)."""
        return self.fields.get(index)

    def refuse(self, index: int, code: str, reason: str, field: str | None = None) -> None:
        self.rejected.append((index, reason))
        self.codes[index] = code
        if field:
            self.fields[index] = field

    def out(self) -> s.IngestReport:
        return s.IngestReport(
            accepted=self.accepted,
            duplicates=self.duplicates,
            rejected=[s.Rejected(index=i, reason=r) for i, r in self.rejected],
        )


async def known_accounts(session: AsyncSession, ids: Sequence[str]) -> dict[str, Account]:
    """The projected accounts among ``ids``."""
    if not ids:
        return {}
    rows = (await session.execute(select(Account).where(Account.account_id.in_(set(ids))))).scalars()
    return {a.account_id: a for a in rows}


async def account_regions(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    """Region of each projected account among ``ids`` (one light query, no ORM objects)."""
    if not ids:
        return {}
    # One array parameter rather than an expanded IN list: one prepared statement for any batch size. A
    # text statement: the ORM's handling of a select cost ~1 us per snapshot of a bulk request.
    rows = await session.execute(_ACCOUNT_REGIONS, {"ids": list(set(ids))})
    return dict(rows.tuples().all())


_ACCOUNT_REGIONS = text(
    "SELECT account_id, region_code FROM accounts WHERE account_id = ANY(CAST(:ids AS text[]))"
)


async def region_sections(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every region's own ``monitor`` section (a handful of rows)."""
    rows = (await session.execute(select(RegionSettings.region_code, RegionSettings.monitor))).all()
    return {r.region_code: dict(r.monitor or {}) for r in rows}


class SettingsCache:
    """Effective thresholds per region, computed once per request or batch."""

    def __init__(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        self.sections = sections
        self._by_region: dict[str, MonitorSettings] = {}

    def of(self, region_code: str) -> MonitorSettings:
        if region_code not in self._by_region:
            self._by_region[region_code] = effective(region_code, self.sections).settings
        return self._by_region[region_code]


RegionFilter = Callable[[str], bool] | None


def refuse_future(items: Sequence[Any], instant: str, now: datetime, report: Report) -> frozenset[int]:
    """Indexes of the items whose ``instant`` lies after the service clock (beyond :data:`CLOCK_SKEW`);
    each goes to ``report.rejected`` naming the field."""
    latest = now + CLOCK_SKEW
    refused = []
    for i, item in enumerate(items):
        at: datetime = getattr(item, instant)
        if at > latest:
            refused.append(i)
            report.refuse(
                i,
                INSTANT_IN_FUTURE,
                f"{instant} {at.isoformat()} lies in the future (the service clock reads "
                f"{now.isoformat(timespec='seconds')}): check the date and the time zone (+08:00 for "
                "Beijing time)",
                instant,
            )
    return frozenset(refused)


async def refuse_conflicts(
    session: AsyncSession,
    statement: TextClause,
    params: Mapping[str, Any],
    positions: Sequence[int],
    report: Report,
    what: str,
) -> None:
    """Refuse the items sent again under a stored key with other content (same request or an earlier one).

    ``statement`` reads, for each item whose stored row under its key differs from it, the item's ordinal
    (1-based, among the items passed) and the stored values; ``positions`` maps the ordinals to the items'
    indexes in the request. They were not stored (``ON CONFLICT DO NOTHING``): they leave the duplicates
    for the rejected, where the API refuses the request and the file import lists them.
    """
    rows = (await session.execute(statement, params)).mappings().all()
    for row in rows:
        stored = ", ".join(f"{k} {v.isoformat() if isinstance(v, datetime) else v}" for k, v in row.items()
                           if k != "ord")  # fmt: skip
        report.refuse(
            positions[row["ord"] - 1],
            CONFLICTING_REPLAY,
            f"this {what} is stored already with other values ({stored}): an item is sent once under its "
            "key; a later reading needs its own key",
        )
    report.duplicates -= len(rows)
    report.rejected.sort()


def split_known(
    items: Sequence[Any],
    accounts: Mapping[str, Account] | Mapping[str, str],
    report: Report,
    may_see: RegionFilter,
    refused: frozenset[int] = frozenset(),
) -> list[tuple[int, Any]]:
    """Items of known accounts in the caller's region; the others go to ``report.rejected`` (the items at
    ``refused`` are there already)."""
    kept = []
    visible: dict[str, bool] = {}  # per region: a bulk request has thousands of items and a few regions
    for i, item in enumerate(items):
        if i in refused:
            continue
        account = accounts.get(item.account_id)
        if account is None:
            seen = False
        elif may_see is None:
            seen = True
        else:
            region = account if isinstance(account, str) else account.region_code
            if region not in visible:
                visible[region] = may_see(region)
            seen = visible[region]
        if seen:
            kept.append((i, item))
            continue
        # One answer for an account that does not exist and one outside the caller's region: the answer
        # must not tell a client that an account exists elsewhere (the review answers the same way).
        report.refuse(i, UNKNOWN_ACCOUNT, unknown_account_message(item.account_id), "account_id")
    report.rejected.sort()
    return kept


def unknown_account_message(account_id: str) -> str:
    return (
        f"unknown account {account_id}: not an account of your region known to the monitor (an account "
        "filed just now is known once the registry's event arrives; retry then)"
    )


# ------------------------------------------------------------------------------------------------- posts


async def ingest_posts(
    session: AsyncSession,
    items: Sequence[s.ObservedPostIn],
    *,
    channel: IngestChannel,
    now: datetime,
    checker: CheckerCache | None = None,
    may_see: RegionFilter = None,
) -> Report:
    """Store new observed posts, match each to an approved post, raise what the match or check implies."""
    await exclusion.beside_no_sweep(session)  # a post ends a silence: not while a sweep judges it
    report = Report()
    future = refuse_future(items, "published_at", now, report)
    accounts = await known_accounts(session, [i.account_id for i in items])
    kept = split_known(items, accounts, report, may_see, future)
    if not kept:
        return report
    rows = [
        {
            "account_id": it.account_id,
            "platform_post_id": it.platform_post_id,
            "platform": accounts[it.account_id].platform,
            "region_code": accounts[it.account_id].region_code,
            "url": it.url,
            "title": it.title,
            "text": it.text,
            "text_truncated": it.text_truncated,
            "content_hash": content_hash(it.title, it.text),
            "published_at": it.published_at,
            "observed_at": now,
            "ingest_channel": str(channel),
            "match_kind": str(MatchKind.NONE),
        }
        for _, it in kept
    ]
    # The rows as the parameters of an executemany (pages of 1,000 rows), not one VALUES list: 13 columns
    # of 5,000 posts are 65,000 parameters, over PostgreSQL's 32,767 a statement (a full batch was a 500).
    stmt = insert(ObservedPost).on_conflict_do_nothing().returning(ObservedPost)
    inserted = (await session.scalars(stmt, rows)).all()
    # Rows not inserted are posts already observed (or repeated in this batch): a duplicate when the
    # content is the same, a new version when it was edited on the platform.
    first = {(o.account_id, o.platform_post_id) for o in inserted}
    seen_keys: set[tuple[str, str]] = set()
    again: list[dict[str, Any]] = []
    for row in rows:
        key = (row["account_id"], row["platform_post_id"])
        if key in first and key not in seen_keys:
            seen_keys.add(key)  # this item is the inserted row itself
        else:
            again.append(row)
    edited = await _new_versions(session, again)
    report.accepted = len(inserted) + len(edited)
    report.duplicates = len(kept) - report.accepted
    changed = list({id(o): o for o in [*inserted, *(obs for obs, _ in edited)]}.values())
    if not changed:
        return report
    before = {id(obs): state for obs, state in edited}  # a post edited twice keeps its first state
    settings = SettingsCache(await region_sections(session))
    candidates = await _candidates(session, changed)
    events: list[Any] = []
    engines: dict[str, CheckEngine] = {}  # one engine per region for the whole batch
    for obs in changed:
        account = accounts[obs.account_id]
        cfg = settings.of(account.region_code)
        await _apply_match(session, obs, candidates.get(obs.account_id, []), cfg)
        if checker is not None:
            await check_observation(session, checker, obs, engines)
        events.append(_observed_event(obs))
    await session.flush()  # the batch's matches and findings: one executemany, not an UPDATE per post
    await alerts.add_events(session, events)
    overridden = frozenset(c.post_id for cs in candidates.values() for c in cs if c.override)
    cleared = [
        key for obs in changed if id(obs) in before for key in _cleared_by_new_version(obs, before[id(obs)])
    ]
    await alerts.resolve_many(session, cleared, resolution=AlertResolution.CLEARED, at=now)
    raised = [new for obs in changed for new in _alerts_for(accounts[obs.account_id], obs, overridden)]
    await alerts.raise_many(session, raised, at=now)  # one statement each for the batch's alerts and events
    if inserted:
        await _end_silences(session, inserted, now)
    return report


@dataclass(frozen=True)
class _Before:
    """What an observation matched and whether it failed the check before its new version."""

    match_kind: str
    check_blocking: bool | None


_VERSION_FIELDS = ("url", "title", "text", "text_truncated", "content_hash", "observed_at", "ingest_channel")


async def _new_versions(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[tuple[ObservedPost, _Before]]:
    """Apply the items whose post is already observed with other content (edited on the platform).

    Each such row takes the new version's content and hash (its publication time stays the first one
    seen); items in batch order, so of two versions in one batch the later one stands. Rows are locked:
    two requests with versions of one post apply one after the other. Returns each changed row (once per
    version) with its state before the first of them.
    """
    if not rows:
        return []
    keys = {(r["account_id"], r["platform_post_id"]) for r in rows}
    current = {
        (o.account_id, o.platform_post_id): o
        for o in (
            await session.execute(
                select(ObservedPost)
                .where(tuple_(ObservedPost.account_id, ObservedPost.platform_post_id).in_(sorted(keys)))
                .order_by(ObservedPost.account_id, ObservedPost.platform_post_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
    }
    out: list[tuple[ObservedPost, _Before]] = []
    first_state: dict[int, _Before] = {}
    for row in rows:
        obs = current.get((row["account_id"], row["platform_post_id"]))
        if obs is None or obs.content_hash == row["content_hash"]:
            continue  # the same version again: nothing changes
        state = first_state.setdefault(id(obs), _Before(obs.match_kind, obs.check_blocking))
        for name in _VERSION_FIELDS:
            setattr(obs, name, row[name])
        # The findings were about the old text; the machine check runs again on the new one.
        obs.check_blocking, obs.check_findings, obs.check_lexicons = None, None, None
        out.append((obs, state))
    await session.flush()
    return out


def _cleared_by_new_version(obs: ObservedPost, before: _Before) -> list[tuple[str, AlertRule, str]]:
    """The alerts (account, rule, period) the new version no longer shows: a mismatch edited back, findings
    edited away."""
    cleared: list[tuple[str, AlertRule, str]] = []
    if before.match_kind == MatchKind.MISMATCH and obs.match_kind in (MatchKind.EXACT, MatchKind.NEAR):
        cleared.append((obs.account_id, AlertRule.CONTENT_MISMATCH, obs.platform_post_id))
    if before.check_blocking and obs.check_blocking is False:
        cleared.append((obs.account_id, AlertRule.CHECK_FAILED, obs.platform_post_id))
    return cleared


async def _candidates(session: AsyncSession, observed: Sequence[ObservedPost]) -> dict[str, list[Candidate]]:
    earliest = min(o.published_at for o in observed) - CANDIDATE_WINDOW
    rows = (
        await session.execute(
            select(ApprovedPost).where(
                ApprovedPost.account_id.in_({o.account_id for o in observed}),
                ApprovedPost.approved_at >= earliest,
            )
        )
    ).scalars()
    out: dict[str, list[Candidate]] = {}
    for r in rows:
        out.setdefault(r.account_id, []).append(
            Candidate(
                r.post_id, r.content_hash, r.similarity_text, r.platform_post_id, r.override, r.approved_at
            )
        )
    return out


async def _apply_match(
    session: AsyncSession, obs: ObservedPost, candidates: list[Candidate], cfg: MonitorSettings
) -> None:
    # Only approvals given before the post went out count (matching.match): approving it afterwards is
    # still 未审先发.
    result = match(
        content_hash=obs.content_hash,
        similarity_text=similarity_form(obs.title, obs.text),
        platform_post_id=obs.platform_post_id,
        candidates=candidates,
        noise_similarity=cfg.match_noise_similarity,
        same_post_similarity=cfg.match_same_post_similarity,
        published_at=obs.published_at,
        approval_grace=timedelta(minutes=cfg.approval_grace_minutes),
    )
    obs.match_kind = str(result.kind)
    obs.matched_post_id = result.post_id
    obs.match_score = result.score  # written by the caller's flush (once for a whole batch)


def _observed_event(obs: ObservedPost) -> PostObserved:
    return PostObserved(
        occurred_at=obs.observed_at,
        account_id=obs.account_id,
        platform=Platform(obs.platform),
        platform_post_id=obs.platform_post_id,
        url=obs.url,
        title=obs.title,
        text=obs.text,
        text_truncated=obs.text_truncated,
        content_hash=obs.content_hash,
        published_at=obs.published_at,
        observed_at=obs.observed_at,
        matched_post_id=obs.matched_post_id if obs.match_kind in (MatchKind.EXACT, MatchKind.NEAR) else None,
        ingest_channel=IngestChannel(obs.ingest_channel),
    )


def _alerts_for(
    account: Account, obs: ObservedPost, overridden: frozenset[str] = frozenset()
) -> list[alerts.NewAlert]:
    """What one observation implies (:func:`alerts.raise_many` raises it): 未审先发, a mismatch, a failed
    machine check."""
    base: dict[str, Any] = {
        "platform_post_id": obs.platform_post_id,
        "url": obs.url,
        "published_at": obs.published_at.isoformat(),
        "content_hash": obs.content_hash,
        "match_score": obs.match_score,
    }
    out = []
    if obs.match_kind == MatchKind.NONE and not obs.text_truncated:
        out.append(alerts.NewAlert(account, AlertRule.UNREVIEWED_PUBLICATION, obs.platform_post_id, base))
    elif obs.match_kind == MatchKind.MISMATCH:
        detail = {**base, "approved_post_id": obs.matched_post_id}
        out.append(alerts.NewAlert(account, AlertRule.CONTENT_MISMATCH, obs.platform_post_id, detail))
    # An approval over a blocking finding has its own alert (override); the same findings again are noise.
    if obs.check_blocking and not (obs.matched_post_id and obs.matched_post_id in overridden):
        detail = {**base, "findings": obs.check_findings, "lexicon_versions": obs.check_lexicons}
        out.append(alerts.NewAlert(account, AlertRule.CHECK_FAILED, obs.platform_post_id, detail))
    return out


_END_SILENCE = text(
    """
    UPDATE alerts a SET state = 'resolved', resolution = 'cleared', resolved_at = :now, updated_at = :now
    FROM (SELECT account_id, max(published_at) AS last
          FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[]))
          AS p(account_id, published_at) GROUP BY account_id) p
    WHERE a.state = 'open' AND a.rule IN ('not_updated', 'zombie') AND a.account_id = p.account_id
      AND a.period < to_char(p.last AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
    RETURNING a.*
    """
)


async def _end_silences(session: AsyncSession, observed: Sequence[ObservedPost], now: datetime) -> None:
    """A new post ends a silence: its open not-updated and zombie alerts resolve at once."""
    rows = (
        await session.execute(
            _END_SILENCE,
            {"ids": [o.account_id for o in observed], "ats": [o.published_at for o in observed], "now": now},
        )
    ).all()
    await alerts.add_events(session, [alerts.resolved_event(r, now) for r in rows])


async def rematch_account(session: AsyncSession, account_id: str, now: datetime) -> None:
    """Match again the account's observations that matched nothing or mismatched (an approval came late)."""
    observed = (
        (
            await session.execute(
                select(ObservedPost).where(
                    ObservedPost.account_id == account_id,
                    ObservedPost.match_kind.in_([str(MatchKind.NONE), str(MatchKind.MISMATCH)]),
                )
            )
        )
        .scalars()
        .all()
    )
    if not observed:
        return
    account = (await known_accounts(session, [account_id]))[account_id]
    cfg = SettingsCache(await region_sections(session)).of(account.region_code)
    candidates = (await _candidates(session, observed)).get(account_id, [])
    announced: list[PostObserved] = []
    raised: list[alerts.NewAlert] = []
    retracted: list[tuple[str, AlertRule, str]] = []
    for obs in observed:
        before = obs.match_kind
        said = _observed_event(obs).matched_post_id
        await _apply_match(session, obs, candidates, cfg)
        if obs.match_kind == before:
            continue
        event = _observed_event(obs)
        if event.matched_post_id != said:
            # What the observation's PostObserved said no longer holds: announce the post again with the
            # approved post it matches (as observed after the approval it would have said from the start).
            announced.append(event.model_copy(update={"occurred_at": max(now, obs.observed_at)}))
        retracted.append((account_id, AlertRule.UNREVIEWED_PUBLICATION, obs.platform_post_id))
        if obs.match_kind in (MatchKind.EXACT, MatchKind.NEAR):
            retracted.append((account_id, AlertRule.CONTENT_MISMATCH, obs.platform_post_id))
        raised += _alerts_for(account, obs)
    await session.flush()
    # The posts were approved in time; the monitor only learnt it late: their alerts were wrong.
    await alerts.resolve_many(session, retracted, resolution=AlertResolution.RETRACTED, at=now)
    await alerts.raise_many(session, raised, at=now)
    await alerts.add_events(session, announced)


async def last_post_at(session: AsyncSession, account_id: str) -> datetime | None:
    """Publication time of the account's newest observed post."""
    stmt = select(func.max(ObservedPost.published_at)).where(ObservedPost.account_id == account_id)
    value: datetime | None = (await session.execute(stmt)).scalar_one()
    return value


async def observations_of(
    session: AsyncSession, account_id: str, *, limit: int, before_seq: int | None
) -> Sequence[ObservedPost]:
    stmt = select(ObservedPost).where(ObservedPost.account_id == account_id)
    if before_seq is not None:
        stmt = stmt.where(ObservedPost.seq < before_seq)
    return (await session.execute(stmt.order_by(ObservedPost.seq.desc()).limit(limit))).scalars().all()
