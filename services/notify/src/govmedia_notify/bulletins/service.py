"""Use case of bulletins: gather a region's period, render HTML and PDF, store, announce."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal, region_prefix
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.notify import BulletinPublished
from govmedia_common.events.scoring import PeriodKind
from govmedia_common.ids import new_id
from govmedia_common.outbox import add_event
from govmedia_common.scoping import known_region
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.bulletins import render
from govmedia_notify.bulletins.domain import period_bounds, title
from govmedia_notify.cases import messages
from govmedia_notify.cases import repository as cases_repo
from govmedia_notify.channels.domain import Kind
from govmedia_notify.channels.service import Recipient, fan_out
from govmedia_notify.closure import repository as closure_repo
from govmedia_notify.closure import service as closure
from govmedia_notify.closure.domain import quarter_of
from govmedia_notify.directory import repository as directory
from govmedia_notify.ladder import repository as ladder_repo
from govmedia_notify.models import BulletinRow, CaseRow

_INTERVIEWER = messages.ROLE_NAMES


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI)


async def gather(
    session: AsyncSession, region_code: str, kind: PeriodKind, start: date, *, now: datetime
) -> dict[str, Any]:
    """Everything a bulletin reports for a region subtree and period, as plain data."""
    first, last = period_bounds(kind, start)
    prefix = region_prefix(region_code)
    t0, t1 = _at(first), _at(last + timedelta(days=1))
    if kind is PeriodKind.QUARTER:  # the quarterly bulletin is where forced-closure listings appear
        await closure.list_quarter(session, quarter_of(first), now=now, prefix=prefix)
    opened = await cases_repo.cases_in_period(
        session, prefix=prefix, start=t0, end=t1, column=CaseRow.opened_at
    )
    closed = await cases_repo.cases_in_period(
        session, prefix=prefix, start=t0, end=t1, column=CaseRow.closed_at
    )
    # Overdue on the last day of the period: still open then, deadline before it.
    overdue = await cases_repo.overdue_at(session, prefix=prefix, day=last, at=min(t1, now))
    interviews = await ladder_repo.interviews_in(session, prefix=prefix, start=t0, end=t1)
    listings = (
        await closure_repo.listings_of_quarter(session, prefix=prefix, quarter=quarter_of(first))
        if kind is PeriodKind.QUARTER
        else []
    )
    # Recommendations made while the period ran, or (quarterly) in the listing made for it.
    recommended = await closure_repo.recommended_between(
        session, prefix=prefix, start=t0, end=max(t1, now + timedelta(seconds=1))
    )
    if kind is not PeriodKind.QUARTER:
        recommended = [x for x in recommended if x.listed_at < t1]
    scores = await directory.scores_in(session, prefix, kind.value, first)
    account_ids = {c.account_id for c in (*opened, *closed, *overdue)} | {
        x.account_id for x in (*listings, *recommended)
    }
    account_ids |= {s.account_id for s in scores}
    accounts = await directory.accounts_by_id(session, sorted(account_ids))
    unit_ids = {c.unit_id for c in (*opened, *closed, *overdue)} | {i.unit_id for i in interviews}
    units = await directory.units_by_id(session, sorted(unit_ids))
    office = await directory.office_for(session, region_code)

    def account(aid: str) -> str:
        a = accounts.get(aid)
        return a.name if a else aid

    def unit(uid: str, aid: str | None = None) -> str:
        u = units.get(uid)
        if u:
            return u.name
        a = accounts.get(aid or "")
        return a.unit_name if a else uid

    sections = [
        _section(
            "违规警报",
            ["账号", "主办单位", "问题", "等级", "通报日期", "整改期限", "状态"],
            [
                [
                    account(c.account_id),
                    unit(c.unit_id, c.account_id),
                    messages.rule_name(c.rule),
                    messages.SEVERITY_NAMES.get(c.severity, c.severity),
                    _day(c.opened_at),
                    str(c.rectify_by),
                    _STATE[c.state],
                ]
                for c in opened
            ],
        ),
        _section(
            "整改完成",
            ["账号", "主办单位", "问题", "结案日期", "是否按期"],
            [
                [
                    account(c.account_id),
                    unit(c.unit_id, c.account_id),
                    messages.rule_name(c.rule),
                    _day(c.closed_at),
                    "按期" if c.closed_on_time else "逾期",
                ]
                for c in closed
                if c.outcome == "rectified"
            ],
        ),
        _section(
            "逾期未整改",
            ["账号", "主办单位", "问题", "整改期限", "逾期天数"],
            [
                [
                    account(c.account_id),
                    unit(c.unit_id, c.account_id),
                    messages.rule_name(c.rule),
                    str(c.rectify_by),
                    str((last - c.rectify_by).days),
                ]
                for c in overdue
            ],
        ),
        _section(
            "约谈",
            ["主办单位", "年度违规次数", "约谈对象", "约谈人", "约谈时间", "是否已约谈"],
            [
                [
                    unit(i.unit_id),
                    str(i.violation_count),
                    _INTERVIEWER[i.interviewee_role]
                    + (f"（{i.interviewee_name}）" if i.interviewee_name else ""),
                    _INTERVIEWER[i.interviewer_role],
                    f"{i.scheduled_for.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
                    "是" if i.held_at else "否",
                ]
                for i in interviews
            ],
        ),
    ]
    if kind is PeriodKind.QUARTER:
        sections.append(
            _section(
                "通知更新而未更新两次以上的账号（季度通报）",
                ["账号", "主办单位", "本季度通知次数"],
                [
                    [account(x.account_id), unit(x.unit_id, x.account_id), str(x.notice_count)]
                    for x in listings
                ],
            )
        )
    sections.append(
        _section(
            "建议强制关停",
            ["账号", "主办单位", "季度"],
            [[account(x.account_id), unit(x.unit_id, x.account_id), x.quarter] for x in recommended],
        )
    )
    sections.append(
        _section(
            "综合得分排名",
            ["名次", "账号", "平台", "综合得分", "是否合格"],
            [
                [
                    str(n),
                    account(s.account_id),
                    s.platform,
                    f"{s.composite:.1f}",
                    "合格" if s.passed else "不合格",
                ]
                for n, s in enumerate(scores, start=1)
            ],
        )
    )
    region_name = office.name.removesuffix("人民政府办公室").removesuffix("办公室") if office else region_code
    return {
        "title": title(region_name, kind, first, last),
        "region_code": region_code,
        "period_kind": kind.value,
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "issuer": office.name if office else region_code,
        "published_on": now.astimezone(SHANGHAI).date().isoformat(),
        "summary": {
            "violations": len(opened),
            "rectified": sum(1 for c in closed if c.outcome == "rectified"),
            "overdue": len(overdue),
            "interviews": len(interviews),
            "closures": len(recommended),
        },
        "case_ids": sorted({c.id for c in (*opened, *closed, *overdue)}),
        "sections": sections,
    }


_STATE = {"open": "待整改", "submitted": "待审核", "accepted": "待复核", "closed": "已结案"}


def _day(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).date().isoformat() if at else ""


def _section(heading: str, columns: list[str], rows: Sequence[list[str]]) -> dict[str, Any]:
    return {"heading": heading, "columns": columns, "rows": list(rows)}


async def publish(
    session: AsyncSession,
    principal: Principal,
    region_code: str,
    kind: PeriodKind,
    start: date,
    *,
    now: datetime,
) -> BulletinRow:
    """Publish a region's bulletin for a period (once), as HTML and PDF, and announce it."""
    # 404 for a region elsewhere, and for one no event of the registry named: no bulletin of nobody's region
    await known_region(session, principal, region_code)
    first, last = period_bounds(kind, start)
    if last >= now.astimezone(SHANGHAI).date():
        raise DomainError(
            ErrorKind.RULE_VIOLATED, "period-not-over", f"The period ends on {last}; publish it after that."
        )
    # One publication of a region's period at a time: a second click waits and is told the bulletin exists
    # (with its id), not that "another request created the same thing first".
    label = f"notify.bulletin:{region_code}:{kind.value}:{first}".encode()
    key = int.from_bytes(hashlib.blake2b(label, digest_size=8).digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    existing = (
        (
            await session.execute(
                select(BulletinRow).where(
                    BulletinRow.region_code == region_code,
                    BulletinRow.period_kind == kind.value,
                    BulletinRow.period_start == first,
                )
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "bulletin-exists",
            "This bulletin is published already.",
            bulletin_id=existing.id,
        )
    content = await gather(session, region_code, kind, first, now=now)
    row = BulletinRow(
        id=new_id(),
        region_code=region_code,
        period_kind=kind.value,
        period_start=first,
        period_end=last,
        title=content["title"],
        content=content,
        html=render.html(content),
        pdf=render.pdf(content),
        published_by=principal.subject,
        published_at=now,
    )
    session.add(row)
    await session.flush()
    s = content["summary"]
    await add_event(
        session,
        BulletinPublished(
            occurred_at=now,
            bulletin_id=row.id,
            region_code=region_code,
            period_kind=kind.value,
            period_start=first,
            period_end=last,
            title=row.title,
            violations=s["violations"],
            rectified=s["rectified"],
            overdue=s["overdue"],
            interviews=s["interviews"],
            closure_recommendations=s["closures"],
            pdf_sha256=hashlib.sha256(row.pdf).hexdigest(),
        ),
    )
    office = await directory.office_for(session, region_code)
    await fan_out(
        session,
        kind=Kind.BULLETIN,
        source_id=row.id,
        region_code=region_code,
        unit_id=office.unit_id if office else None,
        case_id=None,
        subject=row.title,
        body=render.summary_text(content),
        payload={
            "bulletin_id": row.id,
            "region_code": region_code,
            "period_kind": kind.value,
            "period_start": first.isoformat(),
            "summary": s,
        },
        recipients=[Recipient.of(office)] if office else [],
        now=now,
    )
    return row


async def get(session: AsyncSession, principal: Principal, bulletin_id: str) -> BulletinRow:
    row = await session.get(BulletinRow, bulletin_id)
    if row is None or not principal.can_see_region(row.region_code):
        raise not_found("Bulletin", bulletin_id)
    return row


async def list_bulletins(
    session: AsyncSession, principal: Principal, limit: int, *, after: tuple[date, str] | None = None
) -> Sequence[BulletinRow]:
    """Newest period first, then by id; ``after`` is the (period_start, id) of the last one seen."""
    stmt = select(BulletinRow).where(
        BulletinRow.region_code.startswith(principal.region_prefix, autoescape=True)
    )
    if after is not None:
        start, last_id = after
        stmt = stmt.where(
            or_(
                BulletinRow.period_start < start,
                and_(BulletinRow.period_start == start, BulletinRow.id > last_id),
            )
        )
    stmt = stmt.order_by(BulletinRow.period_start.desc(), BulletinRow.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()
