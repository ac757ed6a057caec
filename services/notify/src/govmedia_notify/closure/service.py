"""Use case of forced closure: list a quarter's repeatedly notified accounts, recommend closure when due."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_common.events.notify import ClosureRecommended
from govmedia_common.events.types import AlertRule
from govmedia_common.outbox import add_event
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.cases import messages
from govmedia_notify.cases import repository as cases_repo
from govmedia_notify.channels.domain import Kind
from govmedia_notify.channels.service import Recipient, fan_out
from govmedia_notify.closure import repository as repo
from govmedia_notify.closure.domain import closure_recommended, is_listed, quarter_bounds, quarters_back
from govmedia_notify.directory import repository as directory
from govmedia_notify.models import CaseRow, UnitView


async def list_quarter(session: AsyncSession, quarter: str, *, now: datetime, prefix: str = "") -> list[str]:
    """List the accounts notified for not updating often enough in ``quarter``; returns newly listed ids.

    Idempotent: an account is listed once per quarter, and recommended for closure at most once per quarter.
    """
    first, last = quarter_bounds(quarter)
    start = datetime.combine(first, datetime.min.time(), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), SHANGHAI)
    by_account: dict[str, list[CaseRow]] = defaultdict(list)
    for case in await cases_repo.not_updated_cases(session, start=start, end=end, prefix=prefix):
        by_account[case.account_id].append(case)
    listed = []
    for account_id, cases in by_account.items():
        latest = cases[-1]
        rules = await directory.rules_for(session, latest.region_code)
        if not is_listed(len(cases), rules):
            continue
        added = await repo.add_listing(
            session,
            {
                "account_id": account_id,
                "quarter": quarter,
                "unit_id": latest.unit_id,
                "region_code": latest.region_code,
                "notice_count": len(cases),
                "case_ids": [c.id for c in cases],
                "recommended": False,
                "listed_at": now,
            },
        )
        if not added:
            continue
        listed.append(account_id)
        window = quarters_back(quarter, rules.closure_window_quarters)
        listings = await repo.listings_in(session, account_id, window)
        if closure_recommended(listings, rules):
            await _recommend(session, latest, quarter, listings, [c.id for c in cases], now)
    return listed


async def _recommend(
    session: AsyncSession, case: CaseRow, quarter: str, listings: int, case_ids: list[str], now: datetime
) -> None:
    await repo.mark_recommended(session, case.account_id, quarter)
    unit = await directory.get_unit(session, case.unit_id)
    office = await directory.office_for(session, case.region_code)
    reason = f"{quarter}: listed {listings} times for not updating; more than allowed"
    await add_event(
        session,
        ClosureRecommended(
            occurred_at=now,
            account_id=case.account_id,
            unit_id=case.unit_id,
            rule=AlertRule.NOT_UPDATED,
            notice_count=len(case_ids),
            case_ids=tuple(case_ids),
            reason=reason,
            quarter=quarter,
            listings=listings,
        ),
    )
    recipients = [Recipient.of(u) for u in (office, unit) if u is not None] or [
        Recipient(case.unit_id, case.region_code)
    ]
    await _tell(
        session,
        account_id=case.account_id,
        unit_id=case.unit_id,
        region_code=case.region_code,
        quarter=quarter,
        listings=listings,
        case_ids=case_ids,
        recipients=recipients,
        now=now,
    )


async def _tell(
    session: AsyncSession,
    *,
    account_id: str,
    unit_id: str,
    region_code: str,
    quarter: str,
    listings: int,
    case_ids: list[str],
    recipients: list[Recipient],
    now: datetime,
) -> int:
    account = await directory.get_account(session, account_id)
    unit = await directory.get_unit(session, unit_id)
    account_name = account.name if account else account_id
    unit_name = unit.name if unit else (account.unit_name if account else unit_id)
    subject, body = messages.closure(account_name, unit_name, listings)
    return await fan_out(
        session,
        kind=Kind.CLOSURE,
        source_id=f"{account_id}:{quarter}",
        region_code=region_code,
        unit_id=unit_id,
        case_id=None,
        subject=subject,
        body=body,
        payload={"account_id": account_id, "quarter": quarter, "listings": listings, "case_ids": case_ids},
        recipients=recipients,
        now=now,
    )


async def tell_office_learnt_late(session: AsyncSession, office: UnitView) -> int:
    """Give an office the closure recommendations of its area that were made before notify knew of it.

    A recommendation is written once, by a sweep, to the office the directory names at that instant; the
    office's own UnitRegistered may be read later (no order across topics). So whenever an office is
    learnt (or changes), the recommendations of its region subtree for which it is now the nearest office
    are addressed to it too; delivery ids are stable per message and recipient, so nothing is doubled.
    Returns how many messages were added.
    """
    added = 0
    for listing in await repo.recommended_in(session, prefix=region_prefix(office.region_code)):
        nearest = await directory.office_for(session, listing.region_code)
        if nearest is None or nearest.unit_id != office.unit_id:
            continue
        rules = await directory.rules_for(session, listing.region_code)
        window = quarters_back(listing.quarter, rules.closure_window_quarters)
        added += await _tell(
            session,
            account_id=listing.account_id,
            unit_id=listing.unit_id,
            region_code=listing.region_code,
            quarter=listing.quarter,
            listings=await repo.listings_in(session, listing.account_id, window),
            case_ids=list(listing.case_ids),
            recipients=[Recipient.of(office)],
            now=listing.listed_at,
        )
    return added
