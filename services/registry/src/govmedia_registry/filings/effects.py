"""What an approved filing does to its account(s): the public announcement (公示), then the effect.

These change the filing and the account objects they are given; the caller saves both (filing first).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events import (
    AccountAnnounced,
    AccountChanged,
    AccountDeregistered,
    AccountMerged,
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AccountSuspended,
    FilingType,
)
from govmedia_common.workdays import Clock
from govmedia_registry.accounts import service as accounts
from govmedia_registry.accounts.domain import Account, MergeSide, approval_outcome, status_after_announcement
from govmedia_registry.calendar.service import load_calendar
from govmedia_registry.filings import repository as repo
from govmedia_registry.filings.domain import FilingFlow
from govmedia_registry.filings.mapping import filing_from_rows
from govmedia_registry.filings.store import save_filing
from govmedia_registry.regions.service import registry_rules


async def on_final_approval(
    session: AsyncSession, actor_id: str, flow: FilingFlow, account: Account, clock: Clock
) -> None:
    """Start the announcement of an approved filing, or apply it at once when it is not announced."""
    today = clock.today()
    rules = await registry_rules(session, flow.region_code)
    calendar = await load_calendar(session)
    side = MergeSide.TARGET if flow.filing_type is FilingType.MERGE else MergeSide.SOURCE
    outcome = approval_outcome(
        flow.filing_type, account.status, approved_on=today, rules=rules, calendar=calendar, side=side
    )
    sources = []
    for source_id in flow.payload.get("merged_account_ids", []):
        source = await accounts.load_account(session, source_id, lock=True)
        assert source is not None
        src_outcome = approval_outcome(
            flow.filing_type,
            source.status,
            approved_on=today,
            rules=rules,
            calendar=calendar,
            side=MergeSide.SOURCE,
        )
        sources.append((source, src_outcome))
    if outcome.announcement_ends_on is None:
        await take_effect(session, flow, account, actor_id, clock, effective_on=today)
        return
    flow.announcement_starts_on = today
    flow.announcement_ends_on = outcome.announcement_ends_on
    account.status = outcome.status
    for source, src_outcome in sources:
        source.status = src_outcome.status
        await accounts.save_account(session, source)
    account.record(
        AccountAnnounced(
            occurred_at=clock.now(),
            account_id=account.id,
            account=account.snapshot(),
            filing_id=flow.filing_id,
            actor_id=actor_id,
            filing_type=flow.filing_type,
            starts_on=today,
            ends_on=outcome.announcement_ends_on,
            working_days=rules.announcement_workdays,
        )
    )
    accounts.add_history(
        session,
        account.id,
        "announcement.started",
        actor_id,
        flow.filing_id,
        ends_on=outcome.announcement_ends_on,
    )


async def take_effect(
    session: AsyncSession,
    flow: FilingFlow,
    account: Account,
    actor_id: str,
    clock: Clock,
    *,
    effective_on: date,
) -> None:
    """Apply an approved filing to the account(s) and announce the result."""
    ftype = flow.filing_type
    now = clock.now()
    before = account.snapshot()
    flow.effective = True
    account.updated_at = now
    common = {"occurred_at": now, "account_id": account.id, "filing_id": flow.filing_id, "actor_id": actor_id}
    if ftype is FilingType.OPEN:
        account.status = status_after_announcement(ftype, account.status)
        account.effective_on = effective_on
        account.record(AccountOpened(account=account.snapshot(), effective_on=effective_on, **common))
    elif ftype is FilingType.CHANGE:
        account.apply(flow.payload.get("changes", {}))
        after = account.snapshot()
        changed = tuple(k for k in AccountSnapshot.model_fields if getattr(before, k) != getattr(after, k))
        account.record(
            AccountChanged(
                account=after,
                changed_fields=changed or ("name",),
                previous=before,
                effective_on=effective_on,
                **common,
            )
        )
    elif ftype is FilingType.MERGE:
        merged = []
        for source_id in flow.payload.get("merged_account_ids", []):
            source = await accounts.load_account(session, source_id, lock=True)
            assert source is not None
            source.status = status_after_announcement(ftype, source.status)
            source.merged_into = account.id
            source.updated_at = now
            await accounts.save_account(session, source)
            merged.append(source.snapshot())
            accounts.add_history(session, source.id, "merged", actor_id, flow.filing_id, into=account.id)
        account.record(
            AccountMerged(
                account=account.snapshot(),
                merged_account_ids=tuple(m.account_id for m in merged),
                merged_accounts=tuple(merged),
                effective_on=effective_on,
                **common,
            )
        )
    elif ftype is FilingType.SUSPEND:
        account.status = AccountStatus.SUSPENDED
        account.record(
            AccountSuspended(
                account=account.snapshot(),
                reason=flow.payload.get("reason") or "suspended",
                effective_on=effective_on,
                **common,
            )
        )
    else:
        account.status = status_after_announcement(ftype, account.status)
        account.record(
            AccountDeregistered(
                account=account.snapshot(),
                reason=flow.payload.get("reason") or "deregistered",
                effective_on=effective_on,
                stop_notice_on=account.stop_notice_on,
                **common,
            )
        )
    accounts.add_history(
        session,
        account.id,
        f"{ftype}.effective",
        actor_id,
        flow.filing_id,
        effective_on=effective_on,
        status=str(account.status),
    )


async def apply_due(session: AsyncSession, clock: Clock) -> int:
    """Make every approved filing whose announcement has ended take effect; returns how many."""
    count = 0
    for row in await repo.due_filings(session, clock.today()):
        rules = await registry_rules(session, row.region_code)
        flow = filing_from_rows(row, await repo.decisions_of(session, row.id), rules)
        account = await accounts.load_account(session, flow.account_id, lock=True)
        assert account is not None and flow.announcement_ends_on is not None
        await take_effect(
            session,
            flow,
            account,
            "system",
            clock,
            effective_on=flow.announcement_ends_on + timedelta(days=1),
        )
        await save_filing(session, flow)
        await accounts.save_account(session, account)
        count += 1
    return count
