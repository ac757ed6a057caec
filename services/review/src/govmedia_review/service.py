"""Review use cases: load, call the domain, save, write the recorded events and audit entries. Never commits.

Refusals are ``DomainError`` (from the domain, or raised here with a kind); nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import CheckEngine, LexiconError, LexiconSet, combine_scoped, load_starter_lexicons
from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import LexiconPublished
from govmedia_common.events.outbox import write_recorded
from govmedia_common.hashing import content_hash
from govmedia_common.ids import new_id
from govmedia_common.outbox import add_event
from govmedia_common.scoping import ensure_visible, sees_only_own_unit
from govmedia_common.workdays import Clock
from govmedia_review import domain as d
from govmedia_review import mapping
from govmedia_review import repository as repo
from govmedia_review import schemas as s
from govmedia_review.models import AccountView, Lexicon, Post

PUBLICATION_CLOCK_SKEW = timedelta(minutes=5)


def actor_of(principal: Principal) -> d.Actor:
    """The caller as the rules see it; the approver role counts only with the review:approve scope."""
    roles = set(principal.roles)
    if "review:approve" not in principal.scopes:
        roles -= d.FINAL_ROLES
    return d.Actor(user_id=principal.subject, name=principal.name, roles=frozenset(roles))


# ------------------------------------------------------------------------------------------------ lexicons


@cache
def lexicon_kinds() -> dict[str, str]:
    """Lexicon kind (as the API and the engine's version map name it) → the document's own ``kind``."""
    return {key: str(doc["kind"]) for key, doc in load_starter_lexicons().to_dict().items()}


def canonical_kind(kind: str) -> str | None:
    """Accept the set's key (``sensitive``) or the document kind (``sensitive_terms``)."""
    kinds = lexicon_kinds()
    if kind in kinds:
        return kind
    return next((key for key, doc_kind in kinds.items() if doc_kind == kind), None)


class EngineCache:
    """Check engines per combination of active lists (default or province base, plus additions), LRU.

    Regions that share their lists share one engine; the big automata inside (the protected
    formulations) are shared by content across engines in ``govmedia_checks``.
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._engines: OrderedDict[tuple[tuple[str, str, int], ...], CheckEngine] = OrderedDict()
        self._lock = asyncio.Lock()

    async def engine(self, session: AsyncSession, region_code: str) -> CheckEngine:
        """The engine for a post or text in ``region_code`` (one query when cached)."""
        chain = d.scope_chain(region_code)
        key = tuple(await repo.active_versions(session, chain))
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine
        async with self._lock:
            if (engine := self._engines.get(key)) is not None:
                return engine
            rows = await repo.active_lexicons(session, chain)
            try:
                lexicons = combine_lexicons(rows)
            except LexiconError as exc:
                raise DomainError(
                    ErrorKind.UNAVAILABLE,
                    "lexicons-unavailable",
                    f"The active lexicons cannot be used: {exc}",
                ) from exc
            engine = await asyncio.to_thread(CheckEngine, lexicons)
            self._engines[key] = engine
            while len(self._engines) > self.size:
                self._engines.popitem(last=False)
            return engine


def combine_lexicons(rows: Sequence[Lexicon]) -> LexiconSet:
    """Per kind: the province's list if it has one, else the default; then the lower offices' additions."""
    return combine_scoped((r.scope_region, r.kind, r.document) for r in rows)


def document_hash(document: dict[str, Any]) -> tuple[str, int]:
    """``sha256:`` of a lexicon document's canonical JSON, and the size of that JSON in bytes."""
    raw = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest(), len(raw)


# A document above this travels by reference (document_path + document_hash), far below the 1 MiB record.
INLINE_DOCUMENT_BYTES = 256 * 1024


def lexicon_published(row: Lexicon, at: datetime) -> LexiconPublished:
    """The event announcing a stored lexicon version (the monitor rebuilds its check engine from it)."""
    digest, size = document_hash(row.document)
    return LexiconPublished(
        occurred_at=at,
        lexicon_key=f"{row.scope_region}/{row.kind}",
        kind=row.kind,
        scope_region_code=row.scope_region,
        replaces_base=d.is_base_scope(row.scope_region),
        name=row.name,
        version=row.version,
        seq=row.seq,
        entries_count=row.entries,
        document_hash=digest,
        document=row.document if size <= INLINE_DOCUMENT_BYTES else None,
        document_path=f"/v1/lexicons/{row.kind}?region={row.scope_region}&version={row.version}",
        published_by=row.created_by,
    )


async def seed_lexicons(session: AsyncSession, at: datetime) -> int:
    """Store the starter set as the default list of every kind the default scope lacks (new kinds too)."""
    present = await repo.count_lexicons(session, d.DEFAULT_SCOPE)
    added = 0
    for kind, doc in load_starter_lexicons().to_dict().items():
        if present.get(kind):
            continue
        seq = await repo.next_lexicon_seq(session, kind)
        result = await session.execute(
            insert(Lexicon)
            .values(
                kind=kind,
                seq=seq,
                scope_region=d.DEFAULT_SCOPE,
                name=doc["name"],
                version=doc["version"],
                document=doc,
                entries=len(doc["entries"]),
                active=True,
                created_by="system",
            )
            .on_conflict_do_nothing()
            .returning(Lexicon.kind)
        )
        if result.first() is None:
            continue  # another replica seeded it meanwhile
        added += 1
        row = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE)
        if row is not None:
            await add_event(session, lexicon_published(row, at))
    return added


def lexicon_scope(principal: Principal, region: str | None, kind: str) -> d.LexiconScope:
    """Where the caller's change of ``kind`` goes: its own region unless it names one in its subtree."""
    target = region or principal.region_code
    if target != d.DEFAULT_SCOPE and not principal.can_see_region(target):
        raise not_found("region", target)
    return d.writable_scope(target, kind)


async def readable_lexicon(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    region: str | None,
    version: str | None,
    now: datetime,
) -> Lexicon:
    """The list of ``kind`` stored at a scope (default: the caller's region), as the caller may read it.

    Any scope that applies to the caller or lies in its subtree is readable. A province without a list of its
    own shows the default it uses; a lower region without additions shows an empty list (seq 0).
    """
    scope = region or principal.region_code
    if scope != d.DEFAULT_SCOPE and not (
        principal.can_see_region(scope) or scope in d.scope_chain(principal.region_code)
    ):
        raise not_found("region", scope)
    row = await repo.get_lexicon(session, kind, scope, version=version)
    if row is None and d.is_base_scope(scope):
        row = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE, version=version)
    if row is None:
        if version is not None:
            raise not_found(f"{kind} lexicon version", version)
        row = empty_lexicon(kind, scope, now)
    return row


def empty_lexicon(kind: str, scope: str, now: datetime) -> Lexicon:
    """An unsaved, empty list at a scope that has none yet (what a first change is based on)."""
    doc_kind = lexicon_kinds()[kind]
    name = f"{scope}-{kind}"
    return Lexicon(
        kind=kind,
        seq=0,
        scope_region=scope,
        name=name,
        version="none",
        document={"kind": doc_kind, "name": name, "version": "none", "entries": []},
        entries=0,
        active=False,
        created_by="system",
        created_at=now,
    )


async def current_lexicon(session: AsyncSession, scope: d.LexiconScope, kind: str, now: datetime) -> Lexicon:
    """What a change of ``kind`` at a scope replaces (the API compares its ``seq`` with If-Match).

    Changes of one kind are serialised from here to the end of the transaction.
    """
    await repo.lock_lexicon_kind(session, kind)
    current = await repo.get_lexicon(session, kind, scope.scope)
    if current is None and scope.replaces_base:
        current = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE)
    return current or empty_lexicon(kind, scope.scope, now)


async def put_lexicon(
    session: AsyncSession,
    principal: Principal,
    scope: d.LexiconScope,
    current: Lexicon,
    body: s.LexiconIn,
    at: datetime,
) -> Lexicon:
    """A new version of one list becomes active at its scope; older versions stay for the record."""
    kind = current.kind
    seq = await repo.next_lexicon_seq(session, kind)
    doc: dict[str, Any] = {
        "kind": lexicon_kinds()[kind],
        "name": body.name
        or (current.name if current.scope_region == scope.scope else f"{scope.scope}-{kind}"),
        "version": body.version or f"r{seq}",
        "entries": body.entries,
    }
    if body.policy is not None:
        if kind != "protected" or not scope.replaces_base:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "lexicon-policy-not-here",
                "A near-miss policy goes with a province's protected formulations only.",
            )
        doc["policy"] = body.policy
    try:
        if scope.replaces_base:
            documents: dict[str, Any] = {
                r.kind: r.document for r in await repo.active_lexicons(session, [d.DEFAULT_SCOPE])
            }
            documents[kind] = doc
            normalised = getattr(LexiconSet.from_dict(documents), kind).to_dict()
        else:
            normalised = LexiconSet.kind_class(kind).from_dict(doc).to_dict()
    except LexiconError as exc:
        raise DomainError(ErrorKind.UNPROCESSABLE, "invalid-lexicon", str(exc)) from exc
    if await repo.get_lexicon(session, kind, scope.scope, version=normalised["version"]) is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "lexicon-version-exists",
            f"{kind} version {normalised['version']!r} exists for region {scope.scope}; "
            "lexicon versions are never rewritten.",
        )
    await repo.deactivate_lexicon(session, kind, scope.scope)
    await session.flush()
    row = Lexicon(
        kind=kind,
        seq=seq,
        scope_region=scope.scope,
        name=normalised["name"],
        version=normalised["version"],
        document=normalised,
        entries=len(normalised["entries"]),
        active=True,
        created_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    await add_event(session, lexicon_published(row, at))
    await audit.record(
        session,
        principal=principal,
        action="lexicon.put",
        target=f"{scope.scope}/{kind}",
        detail={
            "scope": scope.scope,
            "replaces_base": scope.replaces_base,
            "version": row.version,
            "previous": current.version if current.scope_region == scope.scope else None,
            "entries": row.entries,
        },
    )
    return row


# ------------------------------------------------------------------------------------------------ checks


async def run_check(
    engine: CheckEngine, *, title: str, body: str, is_reprint: bool, source: str | None
) -> dict[str, Any]:
    """The engine's result as a JSON-ready dict (checked off the event loop)."""
    result = await asyncio.to_thread(engine.check, body, title=title, is_reprint=is_reprint, source=source)
    return result.to_dict()


# ------------------------------------------------------------------------------------------------ posts


async def _aggregate(session: AsyncSession, row: Post) -> d.PostWorkflow:
    steps = await repo.steps_of(session, row.id)
    revisions = await repo.revisions_of(session, row.id)
    return mapping.post_from_rows(row, steps, revisions)


async def visible_post(
    session: AsyncSession, principal: Principal, post_id: str, *, lock: bool = False
) -> d.PostWorkflow:
    """The post with its history, if the caller may see it (not found otherwise)."""
    row = await repo.get_post(session, post_id, lock=lock)
    if row is None:
        raise not_found("post", post_id)
    ensure_visible(principal, row.region_code, row.unit_id, "post", post_id)
    return await _aggregate(session, row)


async def _save(
    session: AsyncSession, post: d.PostWorkflow, now: datetime, *, known_steps: int, known_revisions: int
) -> None:
    """Map the post back to its rows, append its new history, write the events it recorded."""
    row = await session.get(Post, post.id)
    if row is None:
        row = mapping.post_to_row(post)
        session.add(row)
    else:
        mapping.post_to_row(post, row)
    row.updated_at = now
    await session.flush()
    session.add_all(mapping.new_child_rows(post, known_steps=known_steps, known_revisions=known_revisions))
    await session.flush()
    post.version = row.version
    await write_recorded(session, post)


async def _account_for_posting(session: AsyncSession, principal: Principal, account_id: str) -> AccountView:
    account = await repo.get_account(session, account_id)
    if (
        account is None
        or account.unit_id != principal.unit_id
        or not principal.can_see_region(account.region_code)
    ):
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "unknown-account",
            f"Account {account_id} is not an account of your unit known to the review service.",
        )
    if account.status != "active":
        raise DomainError(
            ErrorKind.CONFLICT,
            "account-not-active",
            f"Account {account.name} is {account.status}; only active accounts publish posts.",
        )
    return account


async def _check(
    session: AsyncSession, post: d.PostWorkflow, engines: EngineCache, principal: Principal, now: datetime
) -> None:
    """Machine-check the revision just submitted; it then waits at level 1."""
    engine = await engines.engine(session, post.region_code)
    result = await run_check(
        engine, title=post.title, body=post.body, is_reprint=post.is_reprint, source=post.source
    )
    post.record_check(
        post.content_hash or "", result["findings"], lexicon_versions=result["lexicon_versions"], at=now
    )
    post.open_review()
    await audit.record(
        session,
        principal=principal,
        action="post.submit" if post.revision == 1 else "post.resubmit",
        target=post.id,
        detail={
            "revision": post.revision,
            "blocking": post.blocking,
            "lexicon_versions": result["lexicon_versions"],
        },
    )


async def submit_post(
    session: AsyncSession, principal: Principal, body: s.PostIn, clock: Clock, engines: EngineCache
) -> d.PostWorkflow:
    """An editor submits a post: checked at once, then it waits at level 1."""
    account = await _account_for_posting(session, principal, body.account_id)
    if body.campaign_id is not None:
        target = await repo.get_target(session, body.campaign_id, account.account_id)
        if target is None:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "not-a-campaign-target",
                f"Account {account.name} is not a target of campaign {body.campaign_id}.",
            )
        if target.completed_at is not None:
            raise DomainError(
                ErrorKind.CONFLICT,
                "campaign-target-completed",
                f"Account {account.name} already republished campaign {body.campaign_id}.",
            )
    now = clock.now()
    post = d.PostWorkflow(
        id=new_id(),
        account_id=account.account_id,
        unit_id=account.unit_id,
        region_code=account.region_code,
        platform=account.platform,
        campaign_id=body.campaign_id,
        submitted_by=principal.subject,
        submitted_by_name=principal.name,
        levels=account.review_levels,
        title=body.title,
        body=body.body,
        is_reprint=body.is_reprint,
        source=body.source,
    )
    post.submit(principal.subject, content_hash(body.title, body.body), at=now)
    await _check(session, post, engines, principal, now)
    await _save(session, post, now, known_steps=0, known_revisions=0)
    return post


async def resubmit_post(
    session: AsyncSession,
    principal: Principal,
    post: d.PostWorkflow,
    body: s.PostEdit,
    clock: Clock,
    engines: EngineCache,
) -> d.PostWorkflow:
    """The submitter edits a returned post: a new revision, checked again, from level 1."""
    known = {"known_steps": len(post.steps), "known_revisions": len(post.revisions)}
    account = await repo.get_account(session, post.account_id)
    now = clock.now()
    post.resubmit(
        principal.subject,
        content_hash(body.title, body.body),
        at=now,
        levels=account.review_levels if account else None,
        title=body.title,
        body=body.body,
        is_reprint=body.is_reprint,
        source=body.source,
    )
    if account is None or account.status != "active":
        raise DomainError(
            ErrorKind.CONFLICT, "account-not-active", f"Account {post.account_id} no longer accepts posts."
        )
    await _check(session, post, engines, principal, now)
    await _save(session, post, now, **known)
    return post


async def review_post(
    session: AsyncSession, principal: Principal, post: d.PostWorkflow, body: s.ReviewIn, clock: Clock
) -> d.PostWorkflow:
    """A reviewer decides at the level the post waits at."""
    known = {"known_steps": len(post.steps), "known_revisions": len(post.revisions)}
    now = clock.now()
    outcome = post.review(
        actor_of(principal),
        d.Decision(body.decision),
        at=now,
        reason=body.reason,
        override_reason=body.override_reason,
    )
    await _save(session, post, now, **known)
    step = outcome.step
    if outcome.override:
        current = post.current_revision
        categories = d.check_summary(current.findings if current else ()).blocking_categories
        await audit.record(
            session,
            principal=principal,
            action="post.override",
            target=post.id,
            detail={
                "revision": step.revision,
                "level": step.level,
                "reason": step.override_reason,
                "blocking_categories": [str(c) for c in categories],
                "content_hash": step.content_hash,
            },
        )
    await audit.record(
        session,
        principal=principal,
        action=f"post.review.{step.decision}",
        target=post.id,
        detail={"revision": step.revision, "level": step.level, "status": str(post.status)},
    )
    return post


async def publish_post(
    session: AsyncSession, principal: Principal, post: d.PostWorkflow, body: s.PublicationIn, clock: Clock
) -> d.PostWorkflow:
    """Record the publication of the approved version with its reviewers; completes a campaign target."""
    now = clock.now()
    if body.published_at > now + PUBLICATION_CLOCK_SKEW:
        raise DomainError(ErrorKind.UNPROCESSABLE, "published-in-future", "published_at lies in the future.")
    known = {"known_steps": len(post.steps), "known_revisions": len(post.revisions)}
    publisher = principal.subject if principal.kind == "person" else None
    post.publish(
        publisher,
        body.content_hash,
        published_at=body.published_at,
        at=now,
        platform_post_id=body.platform_post_id,
        url=body.url,
    )
    await _save(session, post, now, **known)
    if post.campaign_id is not None:
        await _complete_target(session, post, body.published_at, now)
    await audit.record(
        session,
        principal=principal,
        action="post.publish",
        target=post.id,
        detail={"platform_post_id": body.platform_post_id, "content_hash": body.content_hash},
    )
    return post


async def _complete_target(
    session: AsyncSession, post: d.PostWorkflow, published_at: datetime, now: datetime
) -> None:
    """The campaign, loaded with the one target this publication may complete (locked), records it."""
    assert post.campaign_id is not None
    target_row = await repo.get_target(session, post.campaign_id, post.account_id, lock=True)
    campaign_row = await repo.get_campaign(session, post.campaign_id)
    if target_row is None or campaign_row is None:
        return
    campaign = mapping.campaign_from_rows(campaign_row, [target_row])
    if campaign.complete(post.account_id, post.id, published_at=published_at, at=now):
        target = campaign.target(post.account_id)
        assert target is not None
        mapping.target_to_row(campaign.id, target, target_row)
        await write_recorded(session, campaign)


# ------------------------------------------------------------------------------------------------ campaigns


async def issue_campaign(
    session: AsyncSession, principal: Principal, body: s.CampaignIn, clock: Clock
) -> d.Campaign:
    """A competent office issues a joint push to accounts of its subtree."""
    now = clock.now()
    d.Campaign.ensure_deadline(body.deadline, now)
    if body.account_ids is not None:
        wanted = list(dict.fromkeys(body.account_ids))
        found = {
            a.account_id: a
            for a in await repo.accounts_by_id(session, wanted)
            if principal.can_see_region(a.region_code)
        }
        unknown = [x for x in wanted if x not in found]
        if unknown:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "unknown-target-accounts",
                "Some targets are not accounts of your region known to the review service.",
                account_ids=unknown,
            )
        inactive = [x for x in wanted if found[x].status != "active"]
        if inactive:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "target-not-active",
                "Only active accounts can be targets.",
                account_ids=inactive,
            )
        accounts = [found[x] for x in wanted]
        targeting: dict[str, Any] = {"account_ids": wanted}
    else:
        assert body.region_code is not None
        if not principal.can_see_region(body.region_code):
            raise DomainError(
                ErrorKind.FORBIDDEN, "outside-region", f"Region {body.region_code} is outside your region."
            )
        platform = str(body.platform) if body.platform else None
        accounts = list(await repo.active_accounts_in(session, body.region_code, platform))
        targeting = {"region_code": body.region_code, "platform": platform}
        if not accounts:
            raise DomainError(
                ErrorKind.UNPROCESSABLE, "no-targets", "No active account matches the region and platform."
            )
    campaign = d.Campaign.issue(
        id=new_id(),
        title=body.title,
        body=body.body,
        content_hash=content_hash(body.title, body.body),
        deadline=body.deadline,
        issuer_id=principal.subject,
        issuer_name=principal.name,
        issuer_region_code=principal.region_code,
        targeting=targeting,
        targets=[
            d.Target(
                account_id=a.account_id,
                account_name=a.name,
                platform=a.platform,
                unit_id=a.unit_id,
                region_code=a.region_code,
            )
            for a in accounts
        ],
        at=now,
    )
    session.add(mapping.campaign_to_row(campaign))
    await session.flush()
    session.add_all(mapping.target_to_row(campaign.id, t) for t in campaign.targets)
    await session.flush()
    await write_recorded(session, campaign)
    await audit.record(
        session,
        principal=principal,
        action="campaign.issue",
        target=campaign.id,
        detail={"targets": len(accounts), **targeting},
    )
    return campaign


async def visible_campaign(session: AsyncSession, principal: Principal, campaign_id: str) -> d.Campaign:
    """The campaign with the targets the caller may see: all for its issuing subtree, else their own."""
    row = await repo.get_campaign(session, campaign_id)
    if row is None:
        raise not_found("campaign", campaign_id)
    targets = list(await repo.targets_of(session, campaign_id))
    if sees_only_own_unit(principal):
        targets = [t for t in targets if t.unit_id == principal.unit_id]
    elif not principal.can_see_region(row.issuer_region_code):
        targets = [t for t in targets if principal.can_see_region(t.region_code)]
    else:
        return mapping.campaign_from_rows(row, targets)
    if not targets:
        raise not_found("campaign", campaign_id)
    return mapping.campaign_from_rows(row, targets)
