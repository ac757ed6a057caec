"""Queries of cases, reports and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_notify.cases.domain import Case, CaseState
from govmedia_notify.cases.mapping import apply_to_rows, to_domain
from govmedia_notify.models import AttachmentRow, CaseRow, EarlyResolution, ReportRow


async def load(
    session: AsyncSession, case_id: str, *, lock: bool = False
) -> tuple[Case, CaseRow, list[ReportRow]] | None:
    """The case aggregate with its rows (locked for update when asked)."""
    stmt = select(CaseRow).where(CaseRow.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).scalars().first()
    if row is None:
        return None
    reports = list((await session.execute(select(ReportRow).where(ReportRow.case_id == case_id))).scalars())
    return to_domain(row, reports), row, reports


async def save(session: AsyncSession, case: Case, row: CaseRow | None, reports: list[ReportRow]) -> CaseRow:
    """Persist the aggregate (new or changed) in the caller's transaction."""
    if row is not None:
        case.version += 1
    new_row, report_rows = apply_to_rows(case, row, reports)
    if row is None:
        session.add(new_row)
    known = {id(r) for r in reports}
    for r in report_rows:
        if id(r) not in known:
            session.add(r)
    await session.flush()
    return new_row


async def case_exists_for_alert(session: AsyncSession, alert_id: str) -> bool:
    return (await session.execute(select(CaseRow.id).where(CaseRow.alert_id == alert_id))).first() is not None


async def remember_early_resolution(
    session: AsyncSession, alert_id: str, resolution: str, *, now: datetime
) -> None:
    """Keep the resolution of an alert no case is known for: the alert may be read after it."""
    stmt = insert(EarlyResolution).values(alert_id=alert_id, resolution=resolution, received_at=now)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[EarlyResolution.alert_id]))


async def take_early_resolution(session: AsyncSession, alert_id: str) -> str | None:
    """The resolution read before the alert, removed; None when there was none."""
    stmt = (
        delete(EarlyResolution)
        .where(EarlyResolution.alert_id == alert_id)
        .returning(EarlyResolution.resolution)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def purge_early_resolutions(session: AsyncSession, *, before: datetime) -> int:
    """Forget resolutions no alert came for since ``before`` (those of warnings, which open no case)."""
    result = await session.execute(delete(EarlyResolution).where(EarlyResolution.received_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def open_case_ids_for_alert(session: AsyncSession, alert_id: str) -> list[str]:
    rows = await session.execute(select(CaseRow.id).where(CaseRow.alert_id == alert_id))
    return [r.id for r in rows]


async def ids_needing_sweep(
    session: AsyncSession, *, now: datetime, today: date, prefix: str = ""
) -> list[str]:
    """Cases a sweep may act on: a reminder is due, or the deadline passed and no escalation yet (of the
    regions whose codes start with ``prefix``)."""
    stmt = select(CaseRow.id).where(
        CaseRow.region_code.startswith(prefix, autoescape=True),
        CaseRow.state != CaseState.CLOSED,
        or_(
            and_(CaseRow.state == CaseState.OPEN, CaseRow.next_reminder_at <= now),
            and_(
                CaseRow.escalated_at.is_(None),
                CaseRow.rectify_by < today,
                CaseRow.state != CaseState.ACCEPTED,
            ),
        ),
    )
    return [r.id for r in await session.execute(stmt.order_by(CaseRow.opened_at))]


async def list_cases(
    session: AsyncSession,
    *,
    prefix: str,
    unit_id: str | None,
    account_id: str | None,
    state: str | None,
    overdue_on: date | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[CaseRow]:
    stmt = select(CaseRow).where(CaseRow.region_code.startswith(prefix, autoescape=True))
    if unit_id:
        stmt = stmt.where(CaseRow.unit_id == unit_id)
    if account_id:
        stmt = stmt.where(CaseRow.account_id == account_id)
    if state:
        stmt = stmt.where(CaseRow.state == state)
    if overdue_on is not None:
        stmt = stmt.where(CaseRow.state != CaseState.CLOSED, CaseRow.rectify_by < overdue_on)
    if after is not None:
        stmt = stmt.where(
            or_(CaseRow.opened_at < after[0], and_(CaseRow.opened_at == after[0], CaseRow.id < after[1]))
        )
    return (
        (await session.execute(stmt.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc()).limit(limit)))
        .scalars()
        .all()
    )


async def reports_of(session: AsyncSession, case_id: str) -> Sequence[ReportRow]:
    stmt = select(ReportRow).where(ReportRow.case_id == case_id).order_by(ReportRow.submitted_at)
    return (await session.execute(stmt)).scalars().all()


async def store_attachment(session: AsyncSession, sha256: str, media_type: str, content: bytes) -> None:
    """Store an attachment once per content hash (the same file twice is one row)."""
    stmt = insert(AttachmentRow).values(
        sha256=sha256, media_type=media_type, size=len(content), content=content
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[AttachmentRow.sha256]))


async def get_attachment(session: AsyncSession, sha256: str) -> AttachmentRow | None:
    return await session.get(AttachmentRow, sha256)


async def attachment_visible_via(session: AsyncSession, sha256: str) -> Sequence[CaseRow]:
    """The cases whose reports reference an attachment (for access checks)."""
    stmt = (
        select(CaseRow)
        .join(ReportRow, ReportRow.case_id == CaseRow.id)
        .where(ReportRow.attachments.contains([{"sha256": sha256}]))
    )
    return (await session.execute(stmt)).scalars().all()


async def cases_in_period(
    session: AsyncSession, *, prefix: str, start: datetime, end: datetime, column: Any
) -> Sequence[CaseRow]:
    """Cases of a region subtree whose ``column`` (opened_at, closed_at) falls in [start, end)."""
    stmt = select(CaseRow).where(
        CaseRow.region_code.startswith(prefix, autoescape=True), column >= start, column < end
    )
    return (await session.execute(stmt.order_by(column, CaseRow.id))).scalars().all()


async def overdue_at(session: AsyncSession, *, prefix: str, day: date, at: datetime) -> Sequence[CaseRow]:
    """Cases of a region subtree open at instant ``at`` whose deadline was before ``day``."""
    stmt = select(CaseRow).where(
        CaseRow.region_code.startswith(prefix, autoescape=True),
        CaseRow.opened_at < at,
        CaseRow.rectify_by < day,
        or_(CaseRow.closed_at.is_(None), CaseRow.closed_at >= at),
    )
    return (await session.execute(stmt.order_by(CaseRow.rectify_by, CaseRow.id))).scalars().all()


async def not_updated_cases(
    session: AsyncSession, *, start: datetime, end: datetime, prefix: str
) -> Sequence[CaseRow]:
    stmt = select(CaseRow).where(
        CaseRow.rule == "not_updated",
        CaseRow.opened_at >= start,
        CaseRow.opened_at < end,
        CaseRow.region_code.startswith(prefix, autoescape=True),
    )
    return (await session.execute(stmt.order_by(CaseRow.account_id, CaseRow.opened_at))).scalars().all()


async def counts_for_digest(
    session: AsyncSession, *, prefix: str, today: date, since: datetime, until: datetime
) -> dict[str, int]:
    """Open and overdue cases of a region subtree at instant ``until``, and those opened and closed from
    ``since`` to it (the office's daily digest). As of ``until``, not of now: a sweep catching up a past day
    sends that day's digest, which the cases opened or closed since must not change."""
    in_region = CaseRow.region_code.startswith(prefix, autoescape=True)
    open_then = and_(CaseRow.opened_at <= until, or_(CaseRow.closed_at.is_(None), CaseRow.closed_at > until))
    row = (
        await session.execute(
            select(
                func.count().filter(open_then),
                func.count().filter(open_then, CaseRow.rectify_by < today),
                func.count().filter(CaseRow.opened_at >= since, CaseRow.opened_at <= until),
                func.count().filter(CaseRow.closed_at >= since, CaseRow.closed_at <= until),
            ).where(in_region)
        )
    ).one()
    return {"open": row[0], "overdue": row[1], "opened": row[2], "closed": row[3]}
