"""Review use cases: load, call the domain, save, write the recorded events and audit entries. Never commits.

Refusals are ``DomainError`` (from the domain, or raised here with a kind); nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import CheckEngine
from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.outbox import outbox_rows, write_events
from govmedia_common.hashing import content_hash
from govmedia_common.ids import new_id
from govmedia_common.scoping import ensure_visible, sees_only_own_unit
from govmedia_common.workdays import Clock
from govmedia_review import domain as d
from govmedia_review import mapping
from govmedia_review import repository as repo
from govmedia_review import schemas as s
from govmedia_review.lexicons import EngineCache
from govmedia_review.models import AccountView, Post

PUBLICATION_CLOCK_SKEW = timedelta(minutes=5)


def actor_of(principal: Principal) -> d.Actor:
    """The caller as the rules see it; the approver role counts only with the review:approve scope."""
    roles = set(principal.roles)
    if "review:approve" not in principal.scopes:
        roles -= d.FINAL_ROLES
    return d.Actor(user_id=principal.subject, name=principal.name, roles=frozenset(roles))


# ------------------------------------------------------------------------------------------------ checks


# Texts up to this many characters (title and body) are checked on the event loop: the engine takes about
# 0.4 ms for 1,000 characters (bench/bench_checks.py), less than handing the work to a thread and back costs
# (a thread wake-up and two GIL hand-overs, each waiting to be scheduled on a busy machine). Longer texts
# would hold every other request for milliseconds, so they go to a worker thread.
INLINE_CHECK_CHARS = 4000


async def run_check(
    engine: CheckEngine, *, title: str, body: str, is_reprint: bool, source: str | None
) -> dict[str, Any]:
    """The engine's result as a JSON-ready dict (a long text is checked off the event loop)."""
    if len(title) + len(body) <= INLINE_CHECK_CHARS:
        result = engine.check(body, title=title, is_reprint=is_reprint, source=source)
    else:
        result = await asyncio.to_thread(
            engine.check, body, title=title, is_reprint=is_reprint, source=source
        )
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
    await _write(session, post, row, now, known_steps=known_steps, known_revisions=known_revisions)


async def _save_new(
    session: AsyncSession, post: d.PostWorkflow, now: datetime, audit_entry: dict[str, Any]
) -> None:
    """A new post: its row, its first revision, the audit entry of its submission and the events it
    recorded, in one statement (never looking for the row first): one round trip."""
    row = mapping.post_to_row(post)
    row.updated_at = now
    row.version = 1
    children = mapping.new_child_rows(post, known_steps=0, known_revisions=0)
    _, rows = outbox_rows(post.pull_events())  # size-checked before anything is written
    await repo.insert_new_post(session, row, children, audit_entry=audit_entry, outbox_rows=rows)
    post.version = row.version


async def _write_events(session: AsyncSession, post: d.PostWorkflow) -> None:
    """What the post recorded, in order, in one outbox insert (same size guard as one row at a time)."""
    await write_events(session, post.pull_events())


async def _write(
    session: AsyncSession,
    post: d.PostWorkflow,
    row: Post,
    now: datetime,
    *,
    known_steps: int,
    known_revisions: int,
) -> None:
    row.updated_at = now
    await session.flush()
    session.add_all(mapping.new_child_rows(post, known_steps=known_steps, known_revisions=known_revisions))
    await session.flush()
    post.version = row.version
    await _write_events(session, post)


def _postable(principal: Principal, account_id: str, account: AccountView | None) -> AccountView:
    """The account, if the caller's unit may post on it now."""
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


async def _account_and_engine(
    session: AsyncSession, principal: Principal, account_id: str, engines: EngineCache
) -> tuple[AccountView, CheckEngine]:
    """The account to post on and the check engine of its region, read in one statement.

    The lists are read for the caller's own region's scopes together with the account; an account of the
    unit in another region (a city unit's county account) has its own region's lists read after.
    """
    chain = d.scope_chain(principal.region_code)
    row, versions = await repo.account_with_lexicon_versions(session, account_id, chain)
    account = _postable(principal, account_id, row)
    if d.scope_chain(account.region_code) == chain:
        return account, await engines.engine_for(session, chain, versions)
    return account, await engines.engine(session, account.region_code)


async def _check(
    post: d.PostWorkflow, engine: CheckEngine, principal: Principal, now: datetime
) -> dict[str, Any]:
    """Machine-check the revision just submitted; it then waits at level 1. Returns the audit entry of the
    submission, which the caller writes with the post's rows (same transaction)."""
    result = await run_check(
        engine, title=post.title, body=post.body, is_reprint=post.is_reprint, source=post.source
    )
    post.record_check(
        post.content_hash or "", result["findings"], lexicon_versions=result["lexicon_versions"], at=now
    )
    post.open_review()
    return audit.audit_values(
        principal=principal,
        action="post.submit" if post.revision == 1 else "post.resubmit",
        target=post.id,
        outcome="success",
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
    account, engine = await _account_and_engine(session, principal, body.account_id, engines)
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
    audit_entry = await _check(post, engine, principal, now)
    await _save_new(session, post, now, audit_entry)
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
    audit_entry = await _check(post, await engines.engine(session, post.region_code), principal, now)
    await session.execute(audit.insert(audit_entry))
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
        await write_events(session, campaign.pull_events())


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
            # as every region parameter answers: a region elsewhere and one that does not exist alike
            raise not_found("region", body.region_code)
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
    await write_events(session, campaign.pull_events())
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
