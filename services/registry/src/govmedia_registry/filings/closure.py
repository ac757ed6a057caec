"""Forced closure (强制关停): notify's recommendation (关停整合建议) opens a deregistration filing (注销备案).

Notify recommends closing an account listed too often for not updating (``ClosureRecommended``). The
registry files the deregistration on behalf of the competent office of the account's region (the office
nearest above it, as notify addresses its recommendation): the filing waits at the first level of its
chain like any other, so the host unit publishes its stop-update notice (停更公告) and approves, and the
offices above decide; the office's staff act as its filer (withdraw, resubmit). The recommendation is the
filing's reason, in its history, its audit entry and its ``AccountFiled`` event.

An account already deregistered, with a deregistration under way, or otherwise not open to one (another
filing undecided, not live) is left alone: logged and counted, never an error, so a redelivery or a later
quarter's recommendation changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.events import AccountFiled, AccountStatus, FilingType
from govmedia_common.events.base import Event
from govmedia_common.events.notify import ClosureRecommended
from govmedia_common.handlers import Handler, MessageContext
from govmedia_common.workdays import Clock
from govmedia_registry.accounts import service as accounts
from govmedia_registry.accounts.domain import FilingInProgress, FilingNotAllowed, check_filing_allowed
from govmedia_registry.calendar.service import load_calendar
from govmedia_registry.filings import repository as repo
from govmedia_registry.filings.domain import FilingFlow, office_filer
from govmedia_registry.filings.store import save_filing
from govmedia_registry.regions.domain import region_path
from govmedia_registry.regions.service import registry_rules
from govmedia_registry.units import repository as units_repo

log = logging.getLogger(__name__)

CLOSURE_RECOMMENDATIONS = Counter(
    "govmedia_registry_closure_recommendations_total",
    "Forced-closure recommendations handled by the registry, by outcome (filed, or why left alone).",
    ["service", "outcome"],
)


class Outcome(StrEnum):
    """What became of a recommendation."""

    FILED = "filed"
    ALREADY_DEREGISTERED = "already_deregistered"
    DEREGISTRATION_IN_PROGRESS = "deregistration_in_progress"
    FILING_IN_PROGRESS = "filing_in_progress"  # another kind of filing is undecided
    NOT_LIVE = "not_live"  # merged, rejected, never opened …
    UNKNOWN_ACCOUNT = "unknown_account"
    NO_OFFICE = "no_office"  # no competent office registered above the account


def filing_id_for(event: ClosureRecommended) -> str:
    """One filing per recommendation, whatever delivery or replica handles it."""
    key = f"govmedia:registry:closure:{event.account_id}:{event.quarter}:{','.join(sorted(event.case_ids))}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


async def file_recommended_deregistration(
    session: AsyncSession, event: ClosureRecommended, clock: Clock
) -> Outcome:
    """Open the deregistration filing a recommendation calls for, or leave the account alone; the outcome."""
    outcome = await _file(session, event, clock)
    CLOSURE_RECOMMENDATIONS.labels(service="registry", outcome=str(outcome)).inc()
    level = logging.INFO if outcome is Outcome.FILED else logging.WARNING
    log.log(
        level,
        "forced-closure recommendation: %s",
        outcome,
        extra={"account_id": event.account_id, "quarter": event.quarter, "outcome": str(outcome)},
    )
    return outcome


async def _file(session: AsyncSession, event: ClosureRecommended, clock: Clock) -> Outcome:
    account = await accounts.load_account(session, event.account_id, lock=True)
    if account is None:
        return Outcome.UNKNOWN_ACCOUNT
    if account.status is AccountStatus.DEREGISTERED:
        return Outcome.ALREADY_DEREGISTERED
    filing_id = filing_id_for(event)
    if await repo.get_filing(session, filing_id) is not None:
        return Outcome.DEREGISTRATION_IN_PROGRESS
    open_filing = await repo.open_filing_of(session, account.id)
    if account.status is AccountStatus.ANNOUNCING:  # an approved filing waits for its announcement to end
        waiting = await repo.approved_not_in_effect_of(session, account.id)
        open_filing = open_filing or (waiting[0] if waiting else None)
    if open_filing is not None and open_filing.filing_type == FilingType.DEREGISTER:
        return Outcome.DEREGISTRATION_IN_PROGRESS
    try:
        check_filing_allowed(
            FilingType.DEREGISTER,
            account.state(open_filing.id if open_filing else None),
            on=clock.today(),
            stop_notice_before_approval=True,
        )
    except FilingInProgress:
        return Outcome.FILING_IN_PROGRESS
    except FilingNotAllowed:
        return Outcome.NOT_LIVE
    office = await _office_above(session, account.region_code)
    if office is None:
        return Outcome.NO_OFFICE

    filed_by = office_filer(office.id)
    reason = f"关停整合建议 (forced-closure recommendation): {event.reason}"
    recommendation: dict[str, Any] = {
        "rule": str(event.rule),
        "notice_count": event.notice_count,
        "case_ids": list(event.case_ids),
        "quarter": event.quarter,
        "listings": event.listings,
        "recommended_at": event.occurred_at.isoformat(),
        "office_id": office.id,
    }
    payload = {"reason": reason, "recommendation": recommendation}
    now = clock.now()
    flow = FilingFlow.submit(
        filing_id=filing_id,
        filing_type=FilingType.DEREGISTER,
        unit_id=account.unit_id,
        region_code=account.region_code,
        filed_by=filed_by,
        event_date=clock.today(),
        filed_at=now,
        rules=await registry_rules(session, account.region_code),
        calendar=await load_calendar(session),
        account_id=account.id,
        filer_name=office.name,
        payload=payload,
        reason=reason,  # the first step of the filing's history says why it was opened
    )
    flow.record(
        AccountFiled(
            occurred_at=now,
            account_id=account.id,
            account=account.snapshot(),
            filing_id=flow.filing_id,
            actor_id=filed_by,
            filing_type=flow.filing_type,
            levels=flow.levels,
            event_on=flow.event_date,
            reason=reason,
        )
    )
    await save_filing(session, flow)
    accounts.add_history(
        session,
        account.id,
        "filed",
        filed_by,
        flow.filing_id,
        filing_type=str(FilingType.DEREGISTER),
        late=flow.late,
        deadline=flow.deadline,
        payload=payload,
        recommendation=recommendation,
    )
    await audit.record(
        session,
        principal=Principal(
            subject=filed_by,
            kind="office",
            name=office.name,
            region_code=office.region_code,
            unit_id=office.id,
            roles=frozenset(),
            scopes=frozenset(),
        ),
        action=f"filing.{FilingType.DEREGISTER}",
        target=flow.filing_id,
        detail={"account_id": account.id, "reason": reason, "recommendation": recommendation},
    )
    return Outcome.FILED


async def _office_above(session: AsyncSession, region_code: str) -> Any:
    """The competent office of the region, else of the nearest region above it."""
    for code in reversed(region_path(region_code)):
        office = await units_repo.office_of_region(session, code)
        if office is not None:
            return office
    return None


def closure_handlers(clock: Callable[[], Clock]) -> Mapping[type[Event], Handler]:
    """The handler of ``gov.notify.cases`` the registry subscribes to; ``clock`` gives the service clock."""

    async def on_closure_recommended(
        event: ClosureRecommended, ctx: MessageContext | None, session: AsyncSession
    ) -> None:
        """Open the recommended deregistration filing (once), or leave the account alone."""
        await file_recommended_deregistration(session, event, clock())

    return {ClosureRecommended: on_closure_recommended}
