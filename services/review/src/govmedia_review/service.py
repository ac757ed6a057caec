"""Review use cases: load, call the domain, save, add outbox events and audit entries. Never commits."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import (
    SERIOUS_ERROR_LIMIT,
    CheckEngine,
    LexiconError,
    LexiconSet,
    load_starter_lexicons,
)
from govmedia_common import audit
from govmedia_common.auth import Principal, forbidden
from govmedia_common.concurrency import require_if_match
from govmedia_common.events import (
    CampaignIssued,
    CampaignTargetCompleted,
    PostApproved,
    PostChecked,
    PostKind,
    PostOverridden,
    PostPublished,
    PostRejected,
    PostReturned,
    PostReviewed,
    PostSubmitted,
    ReviewDecision,
    ReviewerSignature,
)
from govmedia_common.hashing import content_hash
from govmedia_common.outbox import add_event
from govmedia_common.problems import Problem, not_found
from govmedia_common.workdays import Clock
from govmedia_review import domain as d
from govmedia_review import repository as repo
from govmedia_review import schemas as s
from govmedia_review.models import (
    AccountView,
    Campaign,
    CampaignTarget,
    Lexicon,
    Post,
    PostRevision,
    ReviewStep,
)

_STATUS = {"refused": 403, "conflict": 409, "invalid": 422}
PUBLICATION_CLOCK_SKEW = timedelta(minutes=5)
REFER_NOTE = (
    "上报终审（存在拦截性问题）："  # marks a referral in PostReviewed.comment (the catalogue has no 'refer')
)


def domain_problem(exc: d.DomainError) -> Problem:
    """A refusal is an audited 403; conflicts are 409 and invalid requests 422."""
    if exc.kind == "refused":
        return forbidden(exc.message, exc.code)
    return Problem(_STATUS.get(exc.kind, 409), exc.code, exc.message)


def new_id() -> str:
    """Every review id is a UUID (the event catalogue's contract)."""
    return str(uuid.uuid4())


def ensure_visible(
    principal: Principal, region_code: str, unit_id: str | None, what: str, ident: str
) -> None:
    """Not found (never 'forbidden': existence outside the caller's unit or subtree is not disclosed)."""
    if not principal.can_see_region(region_code):
        raise not_found(what, ident)
    if repo.sees_only_own_unit(principal) and unit_id != principal.unit_id:
        raise not_found(what, ident)


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
    """Check engines built from the active lexicon versions, one per version set (LRU)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._engines: OrderedDict[tuple[tuple[str, int], ...], CheckEngine] = OrderedDict()
        self._lock = asyncio.Lock()

    async def engine(self, session: AsyncSession) -> CheckEngine:
        """The engine of the lexicon versions active now (one query when cached)."""
        key = tuple(await repo.active_versions(session))
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine
        async with self._lock:
            if (engine := self._engines.get(key)) is not None:
                return engine
            rows = await repo.active_lexicons(session)
            try:
                lexicons = LexiconSet.from_dict({r.kind: r.document for r in rows})
            except LexiconError as exc:
                raise Problem(
                    503, "lexicons-unavailable", f"The active lexicons cannot be used: {exc}"
                ) from exc
            engine = await asyncio.to_thread(CheckEngine, lexicons)
            self._engines[key] = engine
            while len(self._engines) > self.size:
                self._engines.popitem(last=False)
            return engine


async def seed_lexicons(session: AsyncSession) -> int:
    """Load the starter set as version 1 of every kind when the database has no lexicon yet."""
    if await repo.count_lexicons(session):
        return 0
    added = 0
    for kind, doc in load_starter_lexicons().to_dict().items():
        result = await session.execute(
            insert(Lexicon)
            .values(
                kind=kind,
                seq=1,
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
        added += result.first() is not None
    return added


async def put_lexicon(
    session: AsyncSession, principal: Principal, kind: str, body: s.LexiconIn, if_match: str | None
) -> Lexicon:
    """A new version of one lexicon kind becomes active; older versions stay for the record."""
    current = await repo.get_lexicon(session, kind, lock=True)
    if current is None:
        raise Problem(409, "lexicon-changed", f"The {kind} lexicon changed meanwhile; reload it and retry.")
    require_if_match(if_match, current.seq)
    seq = await repo.next_lexicon_seq(session, kind)
    doc = {
        "kind": lexicon_kinds()[kind],
        "name": body.name or current.name,
        "version": body.version or f"r{seq}",
        "entries": body.entries,
    }
    documents: dict[str, Any] = {r.kind: r.document for r in await repo.active_lexicons(session)}
    documents[kind] = doc
    try:
        parsed = LexiconSet.from_dict(documents)
    except LexiconError as exc:
        raise Problem(422, "invalid-lexicon", str(exc)) from exc
    normalised = getattr(parsed, kind).to_dict()
    if await repo.get_lexicon(session, kind, version=normalised["version"]) is not None:
        raise Problem(
            409,
            "lexicon-version-exists",
            f"{kind} version {normalised['version']!r} exists; lexicon versions are never rewritten.",
        )
    await repo.deactivate_lexicon(session, kind)
    await session.flush()
    row = Lexicon(
        kind=kind,
        seq=seq,
        name=normalised["name"],
        version=normalised["version"],
        document=normalised,
        entries=len(normalised["entries"]),
        active=True,
        created_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        principal=principal,
        action="lexicon.put",
        target=kind,
        detail={"version": row.version, "previous": current.version, "entries": row.entries},
    )
    return row


# ------------------------------------------------------------------------------------------------ checks


async def run_check(
    engine: CheckEngine, *, title: str, body: str, is_reprint: bool, source: str | None
) -> dict[str, Any]:
    """The engine's result as a JSON-ready dict (checked off the event loop)."""
    result = await asyncio.to_thread(engine.check, body, title=title, is_reprint=is_reprint, source=source)
    return result.to_dict()


def check_out(findings: Sequence[Mapping[str, Any]], lexicon_versions: Mapping[str, str]) -> s.CheckOut:
    """One presentation of a check, for the pre-check and for stored revisions alike."""
    summary = d.check_summary(findings)
    serious = sum(1 for f in findings if f["category"] == "serious_expression_error")
    return s.CheckOut(
        blocking=summary.blocking,
        findings_total=summary.total,
        serious_error_count=serious,
        exceeds_serious_error_limit=serious > SERIOUS_ERROR_LIMIT,
        by_category={str(k): v for k, v in summary.by_category.items()},
        by_severity={str(k): v for k, v in summary.by_severity.items()},
        lexicon_versions=dict(lexicon_versions),
        findings=[
            s.FindingOut(
                category=str(d.EVENT_CATEGORY[f["category"]]),
                check_category=f["category"],
                severity=f["severity"],
                field=f["field"],
                start=f["start"],
                end=f["end"],
                excerpt=f["excerpt"],
                message=f["message"],
                suggestion=f["suggestion"],
                rule_id=f["rule_id"],
            )
            for f in findings
        ],
    )


# ------------------------------------------------------------------------------------------------ posts


async def visible_post(
    session: AsyncSession, principal: Principal, post_id: str, *, lock: bool = False
) -> Post:
    post = await repo.get_post(session, post_id, lock=lock)
    if post is None:
        raise not_found("post", post_id)
    ensure_visible(principal, post.region_code, post.unit_id, "post", post_id)
    return post


async def workflow_of(session: AsyncSession, post: Post) -> d.PostWorkflow:
    """Rebuild the domain object from the stored post and its steps."""
    steps = [
        d.Step(
            revision=x.revision,
            level=x.level,
            decision=d.Decision(x.decision),
            reviewer_id=x.reviewer_id,
            reviewer_name=x.reviewer_name,
            at=x.at,
            content_hash=x.content_hash,
            reason=x.reason,
            override_reason=x.override_reason,
        )
        for x in await repo.steps_of(session, post.id)
    ]
    return d.PostWorkflow(
        submitted_by=post.submitted_by,
        levels=post.review_levels,
        status=d.PostStatus(post.status),
        revision=post.revision,
        current_level=post.current_level,
        content_hash=post.content_hash,
        blocking=post.blocking,
        approved_hash=post.approved_hash,
        approved_at=post.approved_at,
        override_reason=post.override_reason,
        published_at=post.published_at,
        published_by=post.published_by,
        steps=steps,
    )


def _apply(post: Post, wf: d.PostWorkflow, clock: Clock) -> None:
    post.status = str(wf.status)
    post.revision = wf.revision
    post.review_levels = wf.levels
    post.current_level = wf.current_level
    post.content_hash = wf.content_hash or post.content_hash
    post.blocking = wf.blocking
    post.approved_hash = wf.approved_hash
    post.approved_at = wf.approved_at
    post.override_reason = wf.override_reason
    post.override = wf.override_reason is not None
    post.published_at = wf.published_at
    post.published_by = wf.published_by
    post.updated_at = clock.now()


async def _account_for_posting(session: AsyncSession, principal: Principal, account_id: str) -> AccountView:
    account = await repo.get_account(session, account_id)
    if (
        account is None
        or account.unit_id != principal.unit_id
        or not principal.can_see_region(account.region_code)
    ):
        raise Problem(
            422,
            "unknown-account",
            f"Account {account_id} is not an account of your unit known to the review service.",
        )
    if account.status != "active":
        raise Problem(
            409,
            "account-not-active",
            f"Account {account.name} is {account.status}; only active accounts publish posts.",
        )
    return account


async def _check_revision(
    session: AsyncSession,
    post: Post,
    wf: d.PostWorkflow,
    engines: EngineCache,
    clock: Clock,
    principal: Principal,
) -> PostRevision:
    """Machine-check the revision just submitted, store it with its lexicon versions, announce both."""
    engine = await engines.engine(session)
    result = await run_check(
        engine, title=post.title, body=post.body, is_reprint=post.is_reprint, source=post.source
    )
    try:
        wf.record_check(post.content_hash, blocking=bool(result["blocking"]))
        wf.open_review()
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    now = clock.now()
    revision = PostRevision(
        post_id=post.id,
        revision=wf.revision,
        title=post.title,
        body=post.body,
        is_reprint=post.is_reprint,
        source=post.source,
        content_hash=post.content_hash,
        submitted_at=now,
        blocking=bool(result["blocking"]),
        findings=result["findings"],
        lexicon_versions=result["lexicon_versions"],
        checked_at=now,
    )
    session.add(revision)
    _apply(post, wf, clock)
    await session.flush()
    common = {"occurred_at": now, "account_id": post.account_id, "post_id": post.id}
    await add_event(
        session,
        PostSubmitted(
            **common,
            title=post.title,
            content_hash=post.content_hash,
            kind=PostKind.REPOST if post.is_reprint else PostKind.ORIGINAL,
            repost_source=post.source,
            campaign_id=post.campaign_id,
            review_levels=post.review_levels,
            submitted_by=post.submitted_by,
            revision=wf.revision,
        ),
    )
    summary = d.check_summary(result["findings"])
    await add_event(
        session,
        PostChecked(
            **common,
            content_hash=post.content_hash,
            findings_total=summary.total,
            by_category=summary.by_category,
            by_severity=summary.by_severity,
            blocking=summary.blocking,
            lexicon_versions=result["lexicon_versions"],
        ),
    )
    await audit.record(
        session,
        principal=principal,
        action="post.submit" if wf.revision == 1 else "post.resubmit",
        target=post.id,
        detail={
            "revision": wf.revision,
            "blocking": summary.blocking,
            "lexicon_versions": result["lexicon_versions"],
        },
    )
    return revision


async def submit_post(
    session: AsyncSession, principal: Principal, body: s.PostIn, clock: Clock, engines: EngineCache
) -> Post:
    """An editor submits a post: checked at once, then it waits at level 1."""
    account = await _account_for_posting(session, principal, body.account_id)
    if body.campaign_id is not None:
        target = await repo.get_target(session, body.campaign_id, account.account_id)
        if target is None:
            raise Problem(
                422,
                "not-a-campaign-target",
                f"Account {account.name} is not a target of campaign {body.campaign_id}.",
            )
        if target.completed_at is not None:
            raise Problem(
                409,
                "campaign-target-completed",
                f"Account {account.name} already republished campaign {body.campaign_id}.",
            )
    digest = content_hash(body.title, body.body)
    try:
        wf = d.PostWorkflow(submitted_by=principal.subject, levels=account.review_levels)
        wf.submit(principal.subject, digest)
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    now = clock.now()
    post = Post(
        id=new_id(),
        account_id=account.account_id,
        unit_id=account.unit_id,
        region_code=account.region_code,
        platform=account.platform,
        campaign_id=body.campaign_id,
        submitted_by=principal.subject,
        submitted_by_name=principal.name,
        status=str(wf.status),
        revision=wf.revision,
        review_levels=wf.levels,
        current_level=None,
        title=body.title,
        body=body.body,
        is_reprint=body.is_reprint,
        source=body.source,
        content_hash=digest,
        blocking=False,
        override=False,
        submitted_at=now,
        updated_at=now,
    )
    session.add(post)
    await session.flush()
    await _check_revision(session, post, wf, engines, clock, principal)
    return post


async def resubmit_post(
    session: AsyncSession,
    principal: Principal,
    post: Post,
    body: s.PostEdit,
    clock: Clock,
    engines: EngineCache,
) -> Post:
    """The submitter edits a returned post: a new revision, checked again, from level 1."""
    wf = await workflow_of(session, post)
    account = await repo.get_account(session, post.account_id)
    digest = content_hash(body.title, body.body)
    try:
        wf.resubmit(principal.subject, digest, levels=account.review_levels if account else None)
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    if account is None or account.status != "active":
        raise Problem(409, "account-not-active", f"Account {post.account_id} no longer accepts posts.")
    post.title, post.body, post.is_reprint, post.source = body.title, body.body, body.is_reprint, body.source
    post.content_hash = digest
    await _check_revision(session, post, wf, engines, clock, principal)
    return post


async def review_post(
    session: AsyncSession, principal: Principal, post: Post, body: s.ReviewIn, clock: Clock
) -> Post:
    """A reviewer decides at the level the post waits at."""
    wf = await workflow_of(session, post)
    now = clock.now()
    try:
        outcome = wf.review(
            actor_of(principal),
            d.Decision(body.decision),
            at=now,
            reason=body.reason,
            override_reason=body.override_reason,
        )
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    step = outcome.step
    session.add(
        ReviewStep(
            post_id=post.id,
            revision=step.revision,
            level=step.level,
            decision=str(step.decision),
            reviewer_id=step.reviewer_id,
            reviewer_name=step.reviewer_name,
            content_hash=step.content_hash,
            reason=step.reason,
            override_reason=step.override_reason,
            at=now,
        )
    )
    _apply(post, wf, clock)
    await session.flush()
    common = {"occurred_at": now, "account_id": post.account_id, "post_id": post.id}
    who = {"reviewer_id": step.reviewer_id, "reviewer_name": step.reviewer_name}
    await add_event(
        session,
        PostReviewed(
            **common,
            **who,
            level=step.level,
            final=outcome.final,
            decision=_event_decision(step.decision),
            content_hash=step.content_hash,
            comment=f"{REFER_NOTE}{step.reason}" if step.decision is d.Decision.REFER else step.reason,
        ),
    )
    if step.decision is d.Decision.RETURN:
        await add_event(session, PostReturned(**common, **who, level=step.level, reason=step.reason or ""))
    elif step.decision is d.Decision.REJECT:
        await add_event(session, PostRejected(**common, **who, level=step.level, reason=step.reason or ""))
    elif outcome.status is d.PostStatus.APPROVED:
        if outcome.override:
            await _record_override(session, principal, post, step, now)
        await add_event(
            session,
            PostApproved(
                **common,
                title=post.title,
                text=post.body,
                content_hash=post.content_hash,
                reviewers=_signatures(wf),
                override=outcome.override,
                override_reason=step.override_reason,
                campaign_id=post.campaign_id,
            ),
        )
    await audit.record(
        session,
        principal=principal,
        action=f"post.review.{step.decision}",
        target=post.id,
        detail={"revision": step.revision, "level": step.level, "status": post.status},
    )
    return post


async def _record_override(
    session: AsyncSession, principal: Principal, post: Post, step: d.Step, now: datetime
) -> None:
    revision = await repo.get_revision(session, post.id, step.revision)
    categories = d.check_summary(revision.findings if revision else []).blocking_categories
    await add_event(
        session,
        PostOverridden(
            occurred_at=now,
            account_id=post.account_id,
            post_id=post.id,
            approver_id=step.reviewer_id,
            approver_name=step.reviewer_name,
            reason=step.override_reason or "",
            blocking_categories=categories,
            content_hash=step.content_hash,
        ),
    )
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


def _event_decision(decision: d.Decision) -> ReviewDecision:
    """The catalogue's decision (``refer`` was added to v1 as an additive enum value)."""
    return ReviewDecision(decision.value)


def _signatures(wf: d.PostWorkflow) -> tuple[ReviewerSignature, ...]:
    return tuple(
        ReviewerSignature(
            level=x.level, reviewer_id=x.reviewer_id, reviewer_name=x.reviewer_name, reviewed_at=x.reviewed_at
        )
        for x in wf.signatures()
    )


async def publish_post(
    session: AsyncSession, principal: Principal, post: Post, body: s.PublicationIn, clock: Clock
) -> Post:
    """Record the publication of the approved version with its reviewers; completes a campaign target."""
    now = clock.now()
    if body.published_at > now + PUBLICATION_CLOCK_SKEW:
        raise Problem(422, "published-in-future", "published_at lies in the future.")
    wf = await workflow_of(session, post)
    publisher = principal.subject if principal.kind == "person" else None
    try:
        wf.publish(publisher, body.content_hash, published_at=body.published_at)
    except d.ContentDiffers as exc:
        raise Problem(
            409, exc.code, exc.message, approved_hash=post.approved_hash, published_hash=body.content_hash
        ) from exc
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    post.platform_post_id, post.url = body.platform_post_id, body.url
    _apply(post, wf, clock)
    await session.flush()
    await add_event(
        session,
        PostPublished(
            occurred_at=now,
            account_id=post.account_id,
            post_id=post.id,
            platform=post.platform,
            platform_post_id=body.platform_post_id,
            url=body.url,
            content_hash=body.content_hash,
            published_at=body.published_at,
            reviewers=_signatures(wf),
            published_by=publisher,
            campaign_id=post.campaign_id,
        ),
    )
    if post.campaign_id is not None:
        await _complete_target(session, post, body, now)
    await audit.record(
        session,
        principal=principal,
        action="post.publish",
        target=post.id,
        detail={"platform_post_id": body.platform_post_id, "content_hash": body.content_hash},
    )
    return post


async def _complete_target(session: AsyncSession, post: Post, body: s.PublicationIn, now: datetime) -> None:
    assert post.campaign_id is not None
    target = await repo.get_target(session, post.campaign_id, post.account_id, lock=True)
    campaign = await repo.get_campaign(session, post.campaign_id)
    if target is None or campaign is None or target.completed_at is not None:
        return  # the first publication completes a target; a second one changes nothing
    state = d.target_state(body.published_at, campaign.deadline)
    target.post_id, target.completed_at = post.id, body.published_at
    target.on_time = state is d.TargetState.ON_TIME
    await add_event(
        session,
        CampaignTargetCompleted(
            occurred_at=now,
            campaign_id=campaign.id,
            account_id=post.account_id,
            post_id=post.id,
            completed_at=body.published_at,
            deadline=campaign.deadline,
            on_time=target.on_time,
        ),
    )


# ------------------------------------------------------------------------------------------------ campaigns


async def issue_campaign(
    session: AsyncSession, principal: Principal, body: s.CampaignIn, clock: Clock
) -> Campaign:
    """A competent office issues a joint push to accounts of its subtree."""
    now = clock.now()
    if body.deadline <= now:
        raise Problem(422, "deadline-in-past", "The deadline must lie in the future.")
    if body.account_ids is not None:
        wanted = list(dict.fromkeys(body.account_ids))
        found = {
            a.account_id: a
            for a in await repo.accounts_by_id(session, wanted)
            if principal.can_see_region(a.region_code)
        }
        unknown = [x for x in wanted if x not in found]
        if unknown:
            raise Problem(
                422,
                "unknown-target-accounts",
                "Some targets are not accounts of your region known to the review service.",
                account_ids=unknown,
            )
        inactive = [x for x in wanted if found[x].status != "active"]
        if inactive:
            raise Problem(
                422, "target-not-active", "Only active accounts can be targets.", account_ids=inactive
            )
        accounts = [found[x] for x in wanted]
        targeting: dict[str, Any] = {"account_ids": wanted}
    else:
        assert body.region_code is not None
        if not principal.can_see_region(body.region_code):
            raise forbidden(f"Region {body.region_code} is outside your region.", "outside-region")
        accounts = list(
            await repo.active_accounts_in(
                session, body.region_code, str(body.platform) if body.platform else None
            )
        )
        targeting = {
            "region_code": body.region_code,
            "platform": str(body.platform) if body.platform else None,
        }
        if not accounts:
            raise Problem(422, "no-targets", "No active account matches the region and platform.")
    campaign = Campaign(
        id=new_id(),
        title=body.title,
        body=body.body,
        content_hash=content_hash(body.title, body.body),
        deadline=body.deadline,
        issuer_id=principal.subject,
        issuer_name=principal.name,
        issuer_region_code=principal.region_code,
        targeting=targeting,
        issued_at=now,
    )
    session.add(campaign)
    await session.flush()
    for a in accounts:
        session.add(
            CampaignTarget(
                campaign_id=campaign.id,
                account_id=a.account_id,
                account_name=a.name,
                platform=a.platform,
                unit_id=a.unit_id,
                region_code=a.region_code,
            )
        )
    await session.flush()
    await add_event(
        session,
        CampaignIssued(
            occurred_at=now,
            campaign_id=campaign.id,
            title=campaign.title,
            content_hash=campaign.content_hash,
            target_account_ids=tuple(a.account_id for a in accounts),
            deadline=campaign.deadline,
            issuer_region_code=campaign.issuer_region_code,
            issued_by=principal.subject,
        ),
    )
    await audit.record(
        session,
        principal=principal,
        action="campaign.issue",
        target=campaign.id,
        detail={"targets": len(accounts), **targeting},
    )
    return campaign


async def visible_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> tuple[Campaign, list[CampaignTarget]]:
    """The campaign and the targets the caller may see: all for its issuing subtree, else their own."""
    campaign = await repo.get_campaign(session, campaign_id)
    if campaign is None:
        raise not_found("campaign", campaign_id)
    targets = list(await repo.targets_of(session, campaign_id))
    if repo.sees_only_own_unit(principal):
        targets = [t for t in targets if t.unit_id == principal.unit_id]
    elif not principal.can_see_region(campaign.issuer_region_code):
        targets = [t for t in targets if principal.can_see_region(t.region_code)]
    else:
        return campaign, targets
    if not targets:
        raise not_found("campaign", campaign_id)
    return campaign, targets
