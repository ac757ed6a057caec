"""Filings (备案): submitting, deciding level by level, resubmitting, withdrawing; loading and saving them.

A filing is loaded through its mapping (with its whole history), changed only by its domain object, and
saved through the same mapping with the events it recorded, in the request's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import (
    AccountApproved,
    AccountFiled,
    AccountRejected,
    AccountReturned,
    AccountStatus,
    AccountWithdrawn,
    FilingType,
)
from govmedia_common.ids import new_id
from govmedia_common.scoping import ensure_visible
from govmedia_common.workdays import Clock
from govmedia_registry.accounts import service as accounts
from govmedia_registry.accounts.domain import (
    Account,
    MergeSide,
    check_approval_allowed,
    check_filing_allowed,
    status_on_refusal,
)
from govmedia_registry.calendar.service import load_calendar
from govmedia_registry.filings import repository as repo
from govmedia_registry.filings.domain import Actor, FilingFlow, FilingStatus
from govmedia_registry.filings.effects import on_final_approval
from govmedia_registry.filings.store import load_filing, save_filing
from govmedia_registry.identity.domain import Role
from govmedia_registry.regions.rules import filing_deadline
from govmedia_registry.regions.service import registry_rules
from govmedia_registry.units import repository as units_repo
from govmedia_registry.units.mapping import unit_from_row


def actor_of(principal: Principal) -> Actor:
    roles = frozenset(Role(r) for r in principal.roles if r in Role.__members__.values())
    return Actor(
        user_id=principal.subject,
        roles=roles,
        region_code=principal.region_code,
        unit_id=principal.unit_id,
        name=principal.name,
    )


def _unprocessable(code: str, detail: str) -> DomainError:
    return DomainError(ErrorKind.UNPROCESSABLE, code, detail)


# ---------------------------------------------------------------------------------------------- load, save


async def visible_filing(
    session: AsyncSession, principal: Principal, filing_id: str, *, lock: bool = False
) -> FilingFlow:
    """The filing if the caller may see it (404 otherwise)."""
    flow = await load_filing(session, filing_id, lock=lock)
    if flow is None:
        raise not_found("filing", filing_id)
    ensure_visible(principal, flow.region_code, flow.unit_id, "filing", filing_id)
    return flow


async def _open_filing_id(session: AsyncSession, account_id: str) -> str | None:
    found = await repo.open_filing_of(session, account_id)
    return found.id if found else None


def _filed(
    flow: FilingFlow, account: Account, actor_id: str, clock: Clock, reason: str | None
) -> AccountFiled:
    return AccountFiled(
        occurred_at=clock.now(),
        account_id=account.id,
        account=account.snapshot(),
        filing_id=flow.filing_id,
        actor_id=actor_id,
        filing_type=flow.filing_type,
        levels=flow.levels,
        event_on=flow.event_date,
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------- submit


async def submit_filing(session: AsyncSession, principal: Principal, body: Any, clock: Clock) -> FilingFlow:
    """File an opening, change, merge, suspension or deregistration (备案); ``body`` is the API's FilingIn."""
    now = clock.now()
    ftype = FilingType(body.type)
    payload: dict[str, Any] = {"reason": body.reason}
    to_check: list[tuple[Account, MergeSide]] = []
    if ftype is FilingType.OPEN:
        draft = body.account
        unit_row = await units_repo.get_unit(session, draft.unit_id)
        if unit_row is None or not principal.can_see_region(unit_row.region_code):
            raise _unprocessable("unknown-unit", f"Unit {draft.unit_id} does not exist in your region.")
        unit = unit_from_row(unit_row)
        accounts.ensure_may_file_for(principal, unit)
        await accounts.check_name(session, name=draft.name, unit=unit, platform=draft.platform)
        account = Account(
            id=new_id(),
            name=draft.name,
            platform=draft.platform,
            unit_id=unit.id,
            unit_name=unit.name,
            region_code=unit.region_code,
            status=AccountStatus.PENDING,
            platform_account_id=draft.platform_account_id,
            attention_tier=draft.attention_tier,
            interaction_enabled=draft.interaction_enabled,
            review_levels=draft.review_levels,
            operators=draft.operators.model_dump(mode="json"),
            outsourcing=draft.outsourcing.model_dump(mode="json") if draft.outsourcing else None,
        )
        await accounts.save_account(session, account)
        payload["account"] = draft.model_dump(mode="json")
    else:
        account = await accounts.visible_account(session, principal, body.account_id, lock=True)
        unit = await accounts.load_unit(session, account.unit_id)
        accounts.ensure_may_file_for(principal, unit)
        side = MergeSide.TARGET if ftype is FilingType.MERGE else MergeSide.SOURCE
        to_check.append((account, side))
        if ftype is FilingType.CHANGE:
            changes = body.changes.model_dump(mode="json", exclude_unset=True)
            if not changes:
                raise _unprocessable("no-changes", "A change filing must change at least one detail.")
            if body.changes.name is not None and body.changes.name != account.name:
                await accounts.check_name(
                    session,
                    name=body.changes.name,
                    unit=unit,
                    platform=account.platform,
                    renaming_account_id=account.id,
                )
            payload["changes"] = changes
        if ftype is FilingType.MERGE:
            merged = list(body.merged_account_ids)
            if account.id in merged or len(set(merged)) != len(merged):
                raise _unprocessable(
                    "invalid-merge", "merged_account_ids must be distinct and exclude the target."
                )
            for source_id in merged:
                source = await accounts.visible_account(session, principal, source_id, lock=True)
                to_check.append((source, MergeSide.SOURCE))
            payload["merged_account_ids"] = merged
    for acc, side in to_check:
        check_filing_allowed(
            ftype, acc.state(await _open_filing_id(session, acc.id)), on=clock.today(), side=side
        )
    flow = FilingFlow.submit(
        filing_id=new_id(),
        filing_type=ftype,
        unit_id=account.unit_id,
        region_code=account.region_code,
        filed_by=principal.subject,
        event_date=body.event_date,
        filed_at=now,
        rules=await registry_rules(session, account.region_code),
        calendar=await load_calendar(session),
        account_id=account.id,
        filer_name=principal.name,
        payload=accounts.json_safe(payload),
    )
    flow.record(_filed(flow, account, principal.subject, clock, body.reason))
    await save_filing(session, flow)
    accounts.add_history(
        session,
        account.id,
        "filed",
        principal.subject,
        flow.filing_id,
        filing_type=str(ftype),
        late=flow.late,
        deadline=flow.deadline,
        payload=payload,
    )
    await audit.record(
        session,
        principal=principal,
        action=f"filing.{ftype}",
        target=flow.filing_id,
        detail={"account_id": account.id, "late": flow.late},
    )
    return flow


# ---------------------------------------------------------------------------------------------- decide


async def decide(
    session: AsyncSession,
    principal: Principal,
    flow: FilingFlow,
    decision: str,
    reason: str | None,
    clock: Clock,
) -> FilingFlow:
    """Approve, return or reject a filing at the level it waits at."""
    now = clock.now()
    level = flow.current_level
    if level is None:
        raise DomainError(
            ErrorKind.RULE_VIOLATED,
            "filing-not-open",
            f"Filing {flow.filing_id} is {flow.status}; nothing to decide.",
        )
    actor = actor_of(principal)
    account = await accounts.load_account(session, flow.account_id, lock=True)
    assert account is not None
    if decision == "approve":
        flow.approve(level, actor, at=now)  # who may decide is checked first; a refusal below rolls back
        # A deregistration the office opened on a recommendation waits for the unit's stop-update notice.
        check_approval_allowed(flow.filing_type, account.state(None), on=clock.today())
    elif decision == "return":
        flow.return_for_amendment(level, actor, reason or "", at=now)
    else:
        flow.reject(level, actor, reason or "", at=now)
    flow.updated_at = now
    common: dict[str, Any] = {
        "occurred_at": now,
        "account_id": account.id,
        "filing_id": flow.filing_id,
        "actor_id": principal.subject,
        "filing_type": flow.filing_type,
        "level": level,
    }
    if decision == "return":
        flow.record(AccountReturned(account=account.snapshot(), reason=reason or "", **common))
    elif decision == "reject":
        account.status = status_on_refusal(flow.filing_type, account.status)
        flow.record(AccountRejected(account=account.snapshot(), reason=reason or "", **common))
    else:
        final = flow.status is FilingStatus.APPROVED
        flow.record(
            AccountApproved(
                account=account.snapshot(),
                final=final,
                next_level=None if final else flow.current_level,
                comment=reason,
                **common,
            )
        )
    accounts.add_history(
        session,
        account.id,
        f"filing.{decision}",
        principal.subject,
        flow.filing_id,
        level=str(level),
        reason=reason,
        status=str(flow.status),
    )
    if decision == "approve" and flow.status is FilingStatus.APPROVED:
        await on_final_approval(session, principal.subject, flow, account, clock)
    await save_filing(session, flow)
    await accounts.save_account(session, account)
    await audit.record(
        session,
        principal=principal,
        action=f"filing.{decision}",
        target=flow.filing_id,
        detail={"level": str(level), "status": str(flow.status)},
    )
    return flow


# ------------------------------------------------------------------------------------ resubmit, withdraw


async def resubmit(
    session: AsyncSession,
    principal: Principal,
    flow: FilingFlow,
    changes_in: Any,
    event_date: Any,
    clock: Clock,
) -> FilingFlow:
    """The filer sends a returned filing again, amended; it restarts at the first level."""
    flow.resubmit(actor_of(principal), at=clock.now())
    account = await accounts.load_account(session, flow.account_id, lock=True)
    assert account is not None
    if changes_in is not None:
        changes = changes_in.model_dump(mode="json", exclude_unset=True)
        if "name" in changes and changes["name"] != account.name:
            await accounts.check_name(
                session,
                name=changes["name"],
                unit=await accounts.load_unit(session, account.unit_id),
                platform=account.platform,
                renaming_account_id=account.id,
            )
        payload = dict(flow.payload)
        if flow.filing_type is FilingType.OPEN:
            account.apply(changes)
            payload["account"] = {**payload.get("account", {}), **changes}
        else:
            payload["changes"] = {**payload.get("changes", {}), **changes}
        flow.payload = payload
    if event_date is not None and event_date != flow.event_date:
        # The deadline counts from the event: a corrected event date moves it (and may make the filing late
        # or on time); the filing keeps the day it was first made.
        rules = await registry_rules(session, flow.region_code)
        flow.deadline = filing_deadline(
            event_date, await load_calendar(session), rules.filing_deadline_workdays
        )
        flow.event_date = event_date
    await accounts.save_account(session, account)
    flow.record(_filed(flow, account, principal.subject, clock, "resubmitted after amendment"))
    await save_filing(session, flow)
    accounts.add_history(session, account.id, "filing.resubmitted", principal.subject, flow.filing_id)
    await audit.record(session, principal=principal, action="filing.resubmit", target=flow.filing_id)
    return flow


async def withdraw(session: AsyncSession, principal: Principal, flow: FilingFlow, clock: Clock) -> FilingFlow:
    """The filer takes the filing back while it is undecided."""
    level = flow.current_level
    flow.withdraw(actor_of(principal), at=clock.now())
    account = await accounts.load_account(session, flow.account_id, lock=True)
    assert account is not None
    account.status = status_on_refusal(flow.filing_type, account.status)
    flow.record(
        AccountWithdrawn(
            occurred_at=clock.now(),
            account_id=account.id,
            account=account.snapshot(),
            filing_id=flow.filing_id,
            actor_id=principal.subject,
            filing_type=flow.filing_type,
            level=level,
        )
    )
    await accounts.save_account(session, account)
    await save_filing(session, flow)
    accounts.add_history(session, account.id, "filing.withdrawn", principal.subject, flow.filing_id)
    await audit.record(session, principal=principal, action="filing.withdraw", target=flow.filing_id)
    return flow
