"""Use case of forced closure: list a quarter's repeatedly notified accounts, recommend closure when due."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

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
from govmedia_notify.models import CaseRow


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
    account = await directory.get_account(session, case.account_id)
    unit = await directory.get_unit(session, case.unit_id)
    office = await directory.office_for(session, case.region_code)
    account_name = account.name if account else case.account_id
    unit_name = unit.name if unit else (account.unit_name if account else case.unit_id)
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
    subject, body = messages.closure(account_name, unit_name, listings)
    recipients = [Recipient.of(u) for u in (office, unit) if u is not None] or [
        Recipient(case.unit_id, case.region_code)
    ]
    await fan_out(
        session,
        kind=Kind.CLOSURE,
        source_id=f"{case.account_id}:{quarter}",
        region_code=case.region_code,
        unit_id=case.unit_id,
        case_id=None,
        subject=subject,
        body=body,
        payload={
            "account_id": case.account_id,
            "quarter": quarter,
            "listings": listings,
            "case_ids": case_ids,
        },
        recipients=recipients,
        now=now,
    )
