"""Queries of the directory: the projections of units, people, accounts, region settings and scores."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.workdays import WorkCalendar
from govmedia_notify.models import (
    AccountView,
    CalendarYear,
    PersonView,
    RegionSettingsView,
    ScoreView,
    UnitView,
)
from govmedia_notify.rules import NotifyRules, effective_rules, region_path

log = logging.getLogger(__name__)


async def _upsert(session: AsyncSession, model: Any, keys: Sequence[str], values: dict[str, Any]) -> bool:
    """Insert or replace a projection row unless the stored one is newer (``as_of``); True when written."""
    ins = insert(model).values(**values)
    stmt = ins.on_conflict_do_update(
        index_elements=[getattr(model, k) for k in keys],
        set_={k: ins.excluded[k] for k in values if k not in keys},
        where=model.as_of <= ins.excluded.as_of,
    ).returning(getattr(model, keys[0]))
    return (await session.execute(stmt)).first() is not None


async def upsert_unit(session: AsyncSession, values: dict[str, Any]) -> bool:
    _cache(session, "office").clear()
    return await _upsert(session, UnitView, ["unit_id"], values)


async def upsert_person(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await _upsert(session, PersonView, ["person_id"], values)


async def _upsert_many(
    session: AsyncSession, model: Any, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Set-based :func:`_upsert`: one statement for many rows, the newest row per key winning."""
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:  # in partition order: a later row of the same key and instant wins
        key = tuple(row[k] for k in keys)
        if key not in newest or newest[key]["as_of"] <= row["as_of"]:
            newest[key] = row
    if not newest:
        return
    ins = insert(model).values(list(newest.values()))
    columns = next(iter(newest.values())).keys()
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=[getattr(model, k) for k in keys],
            set_={k: ins.excluded[k] for k in columns if k not in keys},
            where=model.as_of <= ins.excluded.as_of,
        )
    )


async def upsert_accounts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await _upsert_many(session, AccountView, ["account_id"], rows)


async def upsert_scores(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await _upsert_many(session, ScoreView, ["account_id", "period_kind", "period_start"], rows)


async def put_region_settings(
    session: AsyncSession, region_code: str, notify: dict[str, Any], version: int
) -> None:
    """Keep the newest version of a region's notify section (a late, older event changes nothing)."""
    _cache(session, "rules").clear()
    stmt = insert(RegionSettingsView).values(region_code=region_code, notify=notify, version=version)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[RegionSettingsView.region_code],
            set_={"notify": stmt.excluded.notify, "version": stmt.excluded.version},
            where=RegionSettingsView.version < stmt.excluded.version,
        )
    )


def _cache(session: AsyncSession, kind: str) -> dict[str, Any]:
    """Lookups remembered for the session (one request or one polled batch), dropped when written."""
    caches: dict[str, dict[str, Any]] = session.info.setdefault("govmedia_notify.directory", {})
    return caches.setdefault(kind, {})


async def rules_for(session: AsyncSession, region_code: str) -> NotifyRules:
    """The effective notify rules of a region: defaults, then each level from the root, tightened."""
    cache = _cache(session, "rules")
    if region_code not in cache:
        cache[region_code] = await _rules_for(session, region_code)
    rules: NotifyRules = cache[region_code]
    return rules


async def _rules_for(session: AsyncSession, region_code: str) -> NotifyRules:
    path = region_path(region_code)
    rows = (
        await session.execute(select(RegionSettingsView).where(RegionSettingsView.region_code.in_(path)))
    ).scalars()
    by_code = {r.region_code: r.notify for r in rows}
    return effective_rules((c, by_code.get(c, {})) for c in path)


async def get_unit(session: AsyncSession, unit_id: str) -> UnitView | None:
    return await session.get(UnitView, unit_id)


async def get_person(session: AsyncSession, person_id: str) -> PersonView | None:
    return await session.get(PersonView, person_id)


async def get_account(session: AsyncSession, account_id: str) -> AccountView | None:
    return await session.get(AccountView, account_id)


async def liaison_of(session: AsyncSession, unit: UnitView | None, unit_id: str) -> PersonView | None:
    """The unit's liaison: the one the registry names, else a person holding the liaison role."""
    if unit is not None and unit.liaison_person_id:
        person = await session.get(PersonView, unit.liaison_person_id)
        if person is not None:
            return person
    stmt = (
        select(PersonView)
        .where(PersonView.unit_id == unit_id, literal("liaison") == any_(PersonView.roles))
        .order_by(PersonView.as_of)
        .limit(1)
    )
    return (await session.execute(stmt)).scalars().first()


async def office_for(session: AsyncSession, region_code: str) -> UnitView | None:
    """The competent office (主管单位) of a region: the office of the region, else of the nearest ancestor."""
    cache = _cache(session, "office")
    if region_code not in cache:
        cache[region_code] = await _office_for(session, region_code)
    office: UnitView | None = cache[region_code]
    return office


async def _office_for(session: AsyncSession, region_code: str) -> UnitView | None:
    path = region_path(region_code)
    rows = (
        await session.execute(
            select(UnitView)
            .where(UnitView.kind == "office", UnitView.region_code.in_(path))
            .order_by(UnitView.as_of)
        )
    ).scalars()
    by_region = {r.region_code: r for r in rows}
    for code in reversed(path):
        if code in by_region:
            return by_region[code]
    return None


async def offices(session: AsyncSession, prefix: str = "") -> Sequence[UnitView]:
    """The offices of the regions whose codes start with ``prefix`` (every office: ``""``)."""
    stmt = select(UnitView).where(
        UnitView.kind == "office", UnitView.region_code.startswith(prefix, autoescape=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def accounts_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, AccountView]:
    if not ids:
        return {}
    rows = (await session.execute(select(AccountView).where(AccountView.account_id.in_(ids)))).scalars()
    return {r.account_id: r for r in rows}


async def units_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, UnitView]:
    if not ids:
        return {}
    rows = (await session.execute(select(UnitView).where(UnitView.unit_id.in_(ids)))).scalars()
    return {r.unit_id: r for r in rows}


async def scores_in(session: AsyncSession, prefix: str, period_kind: str, start: Any) -> Sequence[ScoreView]:
    stmt = (
        select(ScoreView)
        .where(
            ScoreView.region_code.startswith(prefix, autoescape=True),
            ScoreView.period_kind == period_kind,
            ScoreView.period_start == start,
        )
        .order_by(ScoreView.composite.desc(), ScoreView.account_id)
    )
    return (await session.execute(stmt)).scalars().all()


async def store_calendar_year(
    session: AsyncSession, year: int, holidays: Sequence[date], workdays: Sequence[date], as_of: datetime
) -> bool:
    """Keep the newest schedule of a year the registry loaded; False when a newer one is kept already."""
    values = {"year": year, "holidays": list(holidays), "workdays": list(workdays), "as_of": as_of}
    ins = insert(CalendarYear).values(**values)
    written = await session.execute(
        ins.on_conflict_do_update(
            index_elements=[CalendarYear.year],
            set_={k: ins.excluded[k] for k in ("holidays", "workdays", "as_of")},
            where=CalendarYear.as_of <= ins.excluded.as_of,
        ).returning(CalendarYear.year)
    )
    return written.first() is not None


# The stored schedule each process calendar holds, by year: the ``as_of`` of the row (or event) it loaded.
_HELD: weakref.WeakKeyDictionary[WorkCalendar, dict[int, datetime]] = weakref.WeakKeyDictionary()


def holds_schedule(calendar: WorkCalendar, year: int, as_of: datetime) -> None:
    """Say that ``calendar`` now holds the schedule of ``year`` loaded at ``as_of``."""
    _HELD.setdefault(calendar, {})[year] = as_of


async def ensure_calendar(session: AsyncSession, calendar: WorkCalendar, *days: date) -> None:
    """Load into ``calendar`` the stored schedules of the years of ``days`` (and the next) it does not hold
    in their latest version.

    Another replica may have handled the registry's event, or this process restarted since: the table, not
    the process, is the record. A schedule loaded in the registry takes precedence over the package's, also
    for a year the package covers (it was loaded to correct it).
    """
    years = sorted({d.year for d in days} | {d.year + 1 for d in days})
    held = _HELD.setdefault(calendar, {})
    stored = (
        await session.execute(
            select(CalendarYear.year, CalendarYear.as_of).where(CalendarYear.year.in_(years))
        )
    ).all()
    stale = [year for year, as_of in stored if held.get(year) != as_of]
    if not stale:
        return
    rows = (await session.execute(select(CalendarYear).where(CalendarYear.year.in_(stale)))).scalars()
    for row in rows:
        calendar.load_year(row.year, row.holidays, row.workdays)
        held[row.year] = row.as_of


# Years already reported missing, per calendar (once per process and year, not once per alert).
_REPORTED: weakref.WeakKeyDictionary[WorkCalendar, set[int]] = weakref.WeakKeyDictionary()


def report_missing_schedule(calendar: WorkCalendar, year: int) -> None:
    """Say (once) that a count needed ``year``'s working days and fell back to calendar days."""
    reported = _REPORTED.setdefault(calendar, set())
    if year in reported:
        return
    reported.add(year)
    log.warning(
        "no official working-day schedule for %s: working-day counts that reach it fall back to calendar "
        "days; load it in the registry (PUT /v1/calendar/{year})",
        year,
        extra={"year": year},
    )
