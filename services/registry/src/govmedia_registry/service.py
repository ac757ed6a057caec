"""Registry use cases: load, call the domain, save, add outbox events and audit entries. Never commits."""

from __future__ import annotations

import asyncio
import copy
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal, forbidden
from govmedia_common.events import (
    AccountAnnounced,
    AccountApproved,
    AccountChanged,
    AccountDeregistered,
    AccountFiled,
    AccountMerged,
    AccountOpened,
    AccountRejected,
    AccountReturned,
    AccountSnapshot,
    AccountSuspended,
    AccountWithdrawn,
    PersonRegistered,
    RegionSettingsChanged,
    WorkCalendarLoaded,
)
from govmedia_common.outbox import add_event
from govmedia_common.problems import Problem, not_found
from govmedia_common.workdays import Clock, UnknownCalendarYear, WorkCalendar
from govmedia_registry import domain as d
from govmedia_registry import repository as repo
from govmedia_registry import schemas as s
from govmedia_registry.identity import PERSON_ROLES, hash_secret, new_id
from govmedia_registry.models import (
    Account,
    AccountHistory,
    Client,
    Filing,
    FilingDecision,
    Person,
    RegionSettings,
    Unit,
    WorkCalendarYear,
)

ANNOUNCED_TYPES = {"open", "change", "merge", "deregister"}


def domain_problem(exc: d.DomainError | UnknownCalendarYear, status: int = 409) -> Problem:
    if isinstance(exc, UnknownCalendarYear):
        return Problem(422, "calendar-year-unknown", str(exc))
    return Problem(status, exc.code, exc.message)


# ---------------------------------------------------------------------------------------------- helpers


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    """The official calendar: the package's years plus every year administrators loaded."""
    calendar = WorkCalendar()
    for row in await repo.calendar_years(session):
        calendar.load_year(
            row.year,
            [date.fromisoformat(x) for x in row.holidays],
            [date.fromisoformat(x) for x in row.workdays],
        )
    return calendar


async def effective_settings(session: AsyncSession, region_code: str) -> dict[str, Any]:
    """Settings after inheritance: province, then city, then county; the nearer region wins per key."""
    merged: dict[str, Any] = {}
    for row in await repo.settings_on_path(session, d.region_path(region_code)):
        for section, values in row.settings.items():
            if isinstance(values, dict):
                merged.setdefault(section, {}).update(values)
            else:
                merged[section] = values
    return merged


async def registry_rules(session: AsyncSession, region_code: str) -> d.RegistryRules:
    return d.RegistryRules.from_settings((await effective_settings(session, region_code)).get("registry", {}))


def actor_of(principal: Principal) -> d.Actor:
    roles = frozenset(d.Role(r) for r in principal.roles if r in d.Role.__members__.values())
    return d.Actor(
        user_id=principal.subject, roles=roles, region_code=principal.region_code, unit_id=principal.unit_id
    )


def ensure_visible(
    principal: Principal, region_code: str, unit_id: str | None, what: str, ident: str
) -> None:
    """Not found (never 'forbidden': existence outside the caller's subtree is not disclosed)."""
    if not principal.can_see_region(region_code):
        raise not_found(what, ident)
    if repo.sees_only_own_unit(principal) and unit_id != principal.unit_id:
        raise not_found(what, ident)


def ensure_may_file_for(principal: Principal, unit: Unit) -> None:
    if principal.has_role("office_admin", "office_staff") and principal.can_see_region(unit.region_code):
        return
    if principal.has_role("unit_admin") and principal.unit_id == unit.id:
        return
    raise forbidden(
        f"Only the unit admin of {unit.name} or its competent office may file for it.", "filing-not-permitted"
    )


async def snapshot(session: AsyncSession, account: Account) -> AccountSnapshot:
    unit = await repo.get_unit(session, account.unit_id)
    return AccountSnapshot(
        account_id=account.id,
        name=account.name,
        platform=account.platform,
        platform_account_id=account.platform_account_id,
        unit_id=account.unit_id,
        unit_name=unit.name if unit else account.unit_id,
        region_code=account.region_code,
        status=account.status,
        attention_tier=account.attention_tier,
        interaction_enabled=account.interaction_enabled,
        review_levels=account.review_levels,
        certified=account.certified,
        matrix_badge=account.matrix_badge,
        outsourced=account.outsourcing is not None,
    )


def _history(
    session: AsyncSession,
    account_id: str,
    kind: str,
    principal_id: str | None,
    filing_id: str | None = None,
    **data: Any,
) -> None:
    session.add(
        AccountHistory(
            account_id=account_id, kind=kind, actor_id=principal_id, filing_id=filing_id, data=s_json(data)
        )
    )


def s_json(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates as ISO strings)."""

    def conv(v: Any) -> Any:
        if isinstance(v, date | datetime):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in data.items()}


# ---------------------------------------------------------------------------------------------- regions


async def seed_regions(session: AsyncSession, records: list[d.RegionRecord]) -> int:
    from govmedia_registry.models import Region

    existing = {r.code for r in await repo.regions_in(session, "")}
    added = 0
    for rec in records:
        if rec.code not in existing:
            session.add(
                Region(code=rec.code, name=rec.name, level=str(rec.level), parent_code=rec.parent_code)
            )
            added += 1
    return added


async def put_settings(
    session: AsyncSession, principal: Principal, code: str, body: s.RegionSettingsIn, clock: Clock
) -> RegionSettings:
    if await repo.get_region(session, code) is None or not principal.can_see_region(code):
        raise not_found("region", code)
    registry_section = body.settings.get("registry", {})
    if not isinstance(registry_section, dict):
        raise Problem(422, "invalid-settings", "settings.registry must be an object")
    try:
        # Validate what this region would end up with, not only its own keys.
        merged = await effective_settings(session, d.parent_code(code) or code) if d.parent_code(code) else {}
        d.RegistryRules.from_settings({**merged.get("registry", {}), **registry_section})
    except d.InvalidRules as exc:
        raise Problem(422, exc.code, exc.message) from exc
    row = await repo.get_settings(session, code, lock=True)
    before = copy.deepcopy(row.settings) if row else {}
    if row is None:
        row = RegionSettings(
            region_code=code, settings=body.settings, version=1, updated_by=principal.subject
        )
        session.add(row)
    else:
        row.settings = body.settings
        row.version += 1
        row.updated_by = principal.subject
        row.updated_at = clock.now()
    await session.flush()
    changed = sorted({k for k in set(before) | set(body.settings) if before.get(k) != body.settings.get(k)})
    await add_event(
        session,
        RegionSettingsChanged(
            occurred_at=clock.now(),
            region_code=code,
            settings=body.settings,
            changed_keys=tuple(changed),
            version=row.version,
            actor_id=principal.subject,
        ),
    )
    await audit.record(
        session, principal=principal, action="region.settings.put", target=code, detail={"changed": changed}
    )
    return row


# ---------------------------------------------------------------------------------------------- calendar


async def load_calendar_year(
    session: AsyncSession, principal: Principal, year: int, body: s.CalendarIn, clock: Clock
) -> WorkCalendarYear:
    bad = [x for x in (*body.holidays, *body.workdays) if x.year != year]
    if bad:
        raise Problem(422, "calendar-date-outside-year", f"{bad[0]} is not in {year}.")
    weekday_workdays = [x for x in body.workdays if x.weekday() < 5]
    if weekday_workdays:
        raise Problem(
            422,
            "calendar-workday-not-weekend",
            f"{weekday_workdays[0]} is a weekday; list only weekend days that are working days.",
        )
    if set(body.holidays) & set(body.workdays):
        raise Problem(422, "calendar-day-twice", "A day cannot be both a holiday and a working day.")
    row = await session.get(WorkCalendarYear, year, with_for_update=True)
    values = {
        "holidays": sorted(x.isoformat() for x in body.holidays),
        "workdays": sorted(x.isoformat() for x in body.workdays),
        "loaded_by": principal.subject,
    }
    if row is None:
        row = WorkCalendarYear(year=year, **values)
        session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
        row.loaded_at = clock.now()
    await add_event(
        session,
        WorkCalendarLoaded(
            occurred_at=clock.now(),
            region_code=principal.region_code[:2] + "0000",
            year=year,
            holidays=tuple(body.holidays),
            workdays=tuple(body.workdays),
            loaded_by=principal.subject,
            source_document=body.source_document,
        ),
    )
    await audit.record(
        session,
        principal=principal,
        action="calendar.load",
        target=str(year),
        detail={"holidays": len(body.holidays), "workdays": len(body.workdays)},
    )
    return row


# ---------------------------------------------------------------------------------------------- units, people


async def create_unit(session: AsyncSession, principal: Principal, body: s.UnitIn) -> Unit:
    if await repo.get_region(session, body.region_code) is None:
        raise Problem(
            422, "unknown-region", f"Region {body.region_code} is not in the registry's region tree."
        )
    if not principal.can_see_region(body.region_code):
        raise forbidden(f"Region {body.region_code} is outside your region.", "outside-region")
    unit = Unit(
        id=new_id(),
        name=body.name,
        short_name=body.short_name,
        kind=str(body.kind),
        region_code=body.region_code,
        duty_keywords=body.duty_keywords,
    )
    try:
        async with session.begin_nested():  # a duplicate name is the caller's conflict, not a server error
            session.add(unit)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(
            409, "unit-name-taken", f"Region {body.region_code} already has a unit named {body.name!r}."
        ) from exc
    await audit.record(session, principal=principal, action="unit.create", target=unit.id)
    return unit


async def create_person(
    session: AsyncSession, principal: Principal, body: s.PersonIn, clock: Clock
) -> Person:
    if not principal.can_see_region(body.region_code):
        raise forbidden(f"Region {body.region_code} is outside your region.", "outside-region")
    unit = None
    if body.unit_id:
        unit = await repo.get_unit(session, body.unit_id)
        if unit is None or not principal.can_see_region(unit.region_code):
            raise Problem(422, "unknown-unit", f"Unit {body.unit_id} does not exist in your region.")
        if unit.region_code != body.region_code:
            raise Problem(422, "unit-region-mismatch", "region_code must be the region of the person's unit.")
    if principal.has_role("unit_admin") and not principal.has_role("office_admin"):
        if body.unit_id != principal.unit_id:
            raise forbidden("A unit admin registers people of their own unit only.", "outside-unit")
        if set(body.roles) - {"editor", "reviewer", "approver", "liaison"}:
            raise forbidden(
                "A unit admin may grant editor, reviewer, approver and liaison only.", "role-not-grantable"
            )
    if set(body.roles) - PERSON_ROLES:
        raise Problem(422, "unknown-role", "Unknown role.")
    if await repo.person_by_username(session, body.username) is not None:
        raise Problem(409, "username-taken", f"The username {body.username!r} is taken; choose another.")
    person = Person(
        id=new_id(),
        username=body.username,
        display_name=body.display_name,
        password_hash=await asyncio.to_thread(hash_secret, body.password),
        unit_id=body.unit_id,
        region_code=body.region_code,
        roles=list(body.roles),
        active=True,
    )
    try:
        async with session.begin_nested():  # two registrations of one username racing past the check above
            session.add(person)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(
            409, "username-taken", f"The username {body.username!r} is taken; choose another."
        ) from exc
    if unit is not None:
        await add_event(
            session,
            PersonRegistered(
                occurred_at=clock.now(),
                person_id=person.id,
                name=person.display_name,
                unit_id=unit.id,
                region_code=person.region_code,
                roles=tuple(person.roles),
            ),
        )
    await audit.record(
        session, principal=principal, action="person.create", target=person.id, detail={"roles": person.roles}
    )
    return person


async def create_client(session: AsyncSession, principal: Principal, body: s.ClientIn, secret: str) -> Client:
    if not principal.can_see_region(body.region_code):
        raise forbidden(f"Region {body.region_code} is outside your region.", "outside-region")
    from govmedia_registry.identity import ALL_SCOPES, MACHINE_SCOPES

    unknown = sorted(set(body.scopes) - ALL_SCOPES)
    if unknown:
        raise Problem(
            422, "unknown-scope", f"Unknown scope(s): {', '.join(unknown)}.", known_scopes=sorted(ALL_SCOPES)
        )
    # Nobody grants a system more than they hold, except the scopes only machines have (connectors).
    beyond = sorted(set(body.scopes) - principal.scopes - MACHINE_SCOPES)
    if beyond:
        raise forbidden(
            f"You cannot grant scope(s) you do not hold: {', '.join(beyond)}.", "scope-not-grantable"
        )
    if body.unit_id is not None:
        unit = await repo.get_unit(session, body.unit_id)
        if unit is None or unit.region_code != body.region_code:
            raise Problem(
                422, "unknown-unit", f"Unit {body.unit_id} does not exist in region {body.region_code}."
            )
    client = Client(
        id=new_id(),
        name=body.name,
        secret_hash=await asyncio.to_thread(hash_secret, secret),
        region_code=body.region_code,
        unit_id=body.unit_id,
        scopes=sorted(set(body.scopes)),
        active=True,
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        principal=principal,
        action="client.create",
        target=client.id,
        detail={"scopes": client.scopes},
    )
    return client


# ---------------------------------------------------------------------------------------------- naming


async def check_name(
    session: AsyncSession, *, name: str, unit: Unit, platform: str, renaming_account_id: str | None = None
) -> None:
    existing = [
        d.ExistingAccount(
            platform=d.Platform(a.platform), name=a.name, status=d.AccountStatus(a.status), account_id=a.id
        )
        for a in await repo.accounts_of_unit(session, unit.id)
    ]
    violations = d.check_account_name(
        name,
        unit=d.UnitInfo(
            name=unit.name,
            short_name=unit.short_name,
            region_code=unit.region_code,
            duty_keywords=tuple(unit.duty_keywords),
            kind=d.UnitKind(unit.kind),
        ),
        region_names_in_scope=await repo.region_names_on_path(session, d.region_path(unit.region_code)),
        existing_accounts_of_unit=existing,
        platform=d.Platform(platform),
        renaming_account_id=renaming_account_id,
    )
    if violations:
        first = violations[0]
        raise Problem(
            422,
            first.code,
            f"The account name {name!r} breaks the naming rules: "
            + "; ".join(f"{v.rule.value} {v.message_en}" for v in violations),
            violations=[
                {"rule": v.rule.value, "code": v.code, "message_zh": v.message_zh, "message_en": v.message_en}
                for v in violations
            ],
        )


# ---------------------------------------------------------------------------------------------- filings


async def _account_state(session: AsyncSession, account: Account) -> d.AccountState:
    open_filing = await repo.open_filing_of(session, account.id)
    notice = account.stop_update_notice
    return d.AccountState(
        status=d.AccountStatus(account.status),
        open_filing_id=open_filing.id if open_filing else None,
        stop_notice_on=date.fromisoformat(notice["published_on"]) if notice else None,
    )


async def _visible_account(
    session: AsyncSession, principal: Principal, account_id: str, *, lock: bool = False
) -> Account:
    account = await repo.get_account(session, account_id, lock=lock)
    if account is None:
        raise not_found("account", account_id)
    ensure_visible(principal, account.region_code, account.unit_id, "account", account_id)
    return account


async def submit_filing(
    session: AsyncSession,
    principal: Principal,
    body: s.OpenFilingIn | s.ChangeFilingIn | s.MergeFilingIn | s.SuspendFilingIn | s.DeregisterFilingIn,
    clock: Clock,
) -> Filing:
    """File an opening, change, merge, suspension or deregistration (备案)."""
    now = clock.now()
    ftype = d.FilingType(body.type)
    payload: dict[str, Any] = {"reason": body.reason}
    accounts_to_check: list[tuple[Account, d.MergeSide]] = []
    if isinstance(body, s.OpenFilingIn):
        unit = await repo.get_unit(session, body.account.unit_id)
        if unit is None or not principal.can_see_region(unit.region_code):
            raise Problem(422, "unknown-unit", f"Unit {body.account.unit_id} does not exist in your region.")
        ensure_may_file_for(principal, unit)
        await check_name(session, name=body.account.name, unit=unit, platform=body.account.platform)
        account = Account(
            id=new_id(),
            name=body.account.name,
            platform=str(body.account.platform),
            platform_account_id=body.account.platform_account_id,
            unit_id=unit.id,
            region_code=unit.region_code,
            status=str(d.AccountStatus.PENDING),
            attention_tier=str(body.account.attention_tier),
            interaction_enabled=body.account.interaction_enabled,
            review_levels=body.account.review_levels,
            operators=body.account.operators.model_dump(mode="json"),
            outsourcing=body.account.outsourcing.model_dump(mode="json")
            if body.account.outsourcing
            else None,
        )
        session.add(account)
        await session.flush()
        payload["account"] = body.account.model_dump(mode="json")
    else:
        account = await _visible_account(session, principal, body.account_id, lock=True)
        unit = await repo.get_unit(session, account.unit_id)
        assert unit is not None
        ensure_may_file_for(principal, unit)
        side = d.MergeSide.TARGET if ftype is d.FilingType.MERGE else d.MergeSide.SOURCE
        accounts_to_check.append((account, side))
        if isinstance(body, s.ChangeFilingIn):
            changes = body.changes.model_dump(mode="json", exclude_unset=True)
            if not changes:
                raise Problem(422, "no-changes", "A change filing must change at least one detail.")
            if body.changes.name is not None and body.changes.name != account.name:
                await check_name(
                    session,
                    name=body.changes.name,
                    unit=unit,
                    platform=account.platform,
                    renaming_account_id=account.id,
                )
            payload["changes"] = changes
        if isinstance(body, s.MergeFilingIn):
            if account.id in body.merged_account_ids or len(set(body.merged_account_ids)) != len(
                body.merged_account_ids
            ):
                raise Problem(
                    422, "invalid-merge", "merged_account_ids must be distinct and exclude the target."
                )
            for source_id in body.merged_account_ids:
                source = await _visible_account(session, principal, source_id, lock=True)
                accounts_to_check.append((source, d.MergeSide.SOURCE))
            payload["merged_account_ids"] = list(body.merged_account_ids)
    try:
        for acc, side in accounts_to_check:
            d.check_filing_allowed(ftype, await _account_state(session, acc), on=clock.today(), side=side)
        rules = await registry_rules(session, account.region_code)
        flow = d.FilingFlow.submit(
            filing_id=new_id(),
            filing_type=ftype,
            unit_id=account.unit_id,
            region_code=account.region_code,
            filed_by=principal.subject,
            event_date=body.event_date,
            filed_at=now,
            rules=rules,
            calendar=await load_calendar(session),
        )
    except (d.DomainError, UnknownCalendarYear) as exc:
        raise domain_problem(exc) from exc
    filing = Filing(
        id=flow.filing_id,
        account_id=account.id,
        filing_type=str(ftype),
        status=str(flow.status),
        levels=[str(x) for x in flow.levels],
        current_level=0,
        payload=s_json(payload),
        region_code=account.region_code,
        unit_id=account.unit_id,
        event_date=body.event_date,
        filed_on=flow.filed_on,
        deadline=flow.deadline,
        late=flow.late,
        filed_by=principal.subject,
    )
    session.add(filing)
    await session.flush()
    await _decision(session, filing, None, "submitted", principal, None)
    await add_event(
        session,
        AccountFiled(
            occurred_at=now,
            account_id=account.id,
            account=await snapshot(session, account),
            filing_id=filing.id,
            actor_id=principal.subject,
            filing_type=ftype,
            levels=tuple(flow.levels),
            event_on=body.event_date,
            reason=body.reason,
        ),
    )
    _history(
        session,
        account.id,
        "filed",
        principal.subject,
        filing.id,
        filing_type=str(ftype),
        late=flow.late,
        deadline=flow.deadline,
        payload=payload,
    )
    await audit.record(
        session,
        principal=principal,
        action=f"filing.{ftype}",
        target=filing.id,
        detail={"account_id": account.id, "late": flow.late},
    )
    return filing


async def _decision(
    session: AsyncSession,
    filing: Filing,
    level: str | None,
    decision: str,
    principal: Principal,
    reason: str | None,
) -> None:
    session.add(
        FilingDecision(
            filing_id=filing.id,
            level=level,
            decision=decision,
            actor_id=principal.subject,
            actor_name=principal.name,
            reason=reason,
        )
    )


def _flow_of(filing: Filing, rules: d.RegistryRules) -> d.FilingFlow:
    return d.FilingFlow(
        filing_id=filing.id,
        filing_type=d.FilingType(filing.filing_type),
        unit_id=filing.unit_id,
        region_code=filing.region_code,
        filed_by=filing.filed_by,
        levels=tuple(d.ApprovalLevel(x) for x in filing.levels),
        event_date=filing.event_date,
        filed_on=filing.filed_on,
        deadline=filing.deadline,
        approver_roles=rules.approver_roles,
        status=d.FilingStatus(filing.status),
        current_index=filing.current_level,
    )


async def visible_filing(
    session: AsyncSession, principal: Principal, filing_id: str, *, lock: bool = False
) -> Filing:
    filing = await repo.get_filing(session, filing_id, lock=lock)
    if filing is None:
        raise not_found("filing", filing_id)
    ensure_visible(principal, filing.region_code, filing.unit_id, "filing", filing_id)
    return filing


async def decide(
    session: AsyncSession, principal: Principal, filing: Filing, body: s.DecisionIn, clock: Clock
) -> Filing:
    """Approve, return or reject a filing at the level it waits at."""
    now = clock.now()
    rules = await registry_rules(session, filing.region_code)
    flow = _flow_of(filing, rules)
    level = flow.current_level
    if level is None:
        raise Problem(409, "filing-not-open", f"Filing {filing.id} is {filing.status}; nothing to decide.")
    actor = actor_of(principal)
    account = await repo.get_account(session, filing.account_id, lock=True)
    assert account is not None
    ftype = d.FilingType(filing.filing_type)
    try:
        if body.decision == "approve":
            flow.approve(level, actor, at=now)
        elif body.decision == "return":
            flow.return_for_amendment(level, actor, body.reason or "", at=now)
        else:
            flow.reject(level, actor, body.reason or "", at=now)
    except d.ApproverNotAuthorised as exc:
        raise forbidden(exc.message, exc.code) from exc
    except d.SelfApproval as exc:
        raise forbidden(exc.message, exc.code) from exc
    except d.ReasonRequired as exc:
        raise Problem(422, exc.code, exc.message) from exc
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    filing.status = str(flow.status)
    filing.current_level = flow.current_index
    filing.updated_at = now
    await _decision(session, filing, str(level), body.decision, principal, body.reason)
    _history(
        session,
        account.id,
        f"filing.{body.decision}",
        principal.subject,
        filing.id,
        level=str(level),
        reason=body.reason,
        status=filing.status,
    )
    common = {
        "occurred_at": now,
        "account_id": account.id,
        "filing_id": filing.id,
        "actor_id": principal.subject,
    }
    if body.decision == "return":
        await add_event(
            session,
            AccountReturned(
                account=await snapshot(session, account),
                filing_type=ftype,
                level=level,
                reason=body.reason or "",
                **common,
            ),
        )
    elif body.decision == "reject":
        account.status = str(d.status_on_refusal(ftype, d.AccountStatus(account.status)))
        await add_event(
            session,
            AccountRejected(
                account=await snapshot(session, account),
                filing_type=ftype,
                level=level,
                reason=body.reason or "",
                **common,
            ),
        )
    else:
        final = flow.status is d.FilingStatus.APPROVED
        await add_event(
            session,
            AccountApproved(
                account=await snapshot(session, account),
                filing_type=ftype,
                level=level,
                final=final,
                next_level=None if final else flow.current_level,
                comment=body.reason,
                **common,
            ),
        )
        if final:
            await _on_final_approval(session, principal, filing, account, rules, clock)
    await audit.record(
        session,
        principal=principal,
        action=f"filing.{body.decision}",
        target=filing.id,
        detail={"level": str(level), "status": filing.status},
    )
    await session.flush()
    return filing


async def _on_final_approval(
    session: AsyncSession,
    principal: Principal,
    filing: Filing,
    account: Account,
    rules: d.RegistryRules,
    clock: Clock,
) -> None:
    ftype = d.FilingType(filing.filing_type)
    today = clock.today()
    calendar = await load_calendar(session)
    try:
        outcome = d.approval_outcome(
            ftype,
            d.AccountStatus(account.status),
            approved_on=today,
            rules=rules,
            calendar=calendar,
            side=d.MergeSide.TARGET if ftype is d.FilingType.MERGE else d.MergeSide.SOURCE,
        )
        sources = []
        for source_id in filing.payload.get("merged_account_ids", []):
            source = await repo.get_account(session, source_id, lock=True)
            assert source is not None
            src_outcome = d.approval_outcome(
                ftype,
                d.AccountStatus(source.status),
                approved_on=today,
                rules=rules,
                calendar=calendar,
                side=d.MergeSide.SOURCE,
            )
            sources.append((source, src_outcome))
    except (d.DomainError, UnknownCalendarYear) as exc:
        raise domain_problem(exc) from exc
    if outcome.announcement_ends_on is not None:
        filing.announcement_starts_on = today
        filing.announcement_ends_on = outcome.announcement_ends_on
        account.status = str(outcome.status)
        for source, src_outcome in sources:
            source.status = str(src_outcome.status)
        await add_event(
            session,
            AccountAnnounced(
                occurred_at=clock.now(),
                account_id=account.id,
                account=await snapshot(session, account),
                filing_id=filing.id,
                actor_id=principal.subject,
                filing_type=ftype,
                starts_on=today,
                ends_on=outcome.announcement_ends_on,
                working_days=rules.announcement_workdays,
            ),
        )
        _history(
            session,
            account.id,
            "announcement.started",
            principal.subject,
            filing.id,
            ends_on=outcome.announcement_ends_on,
        )
    else:
        await _take_effect(session, filing, account, principal.subject, clock, effective_on=today)


async def _take_effect(
    session: AsyncSession,
    filing: Filing,
    account: Account,
    actor_id: str,
    clock: Clock,
    *,
    effective_on: date,
) -> None:
    """Apply an approved filing to the account(s) and announce the result."""
    ftype = d.FilingType(filing.filing_type)
    now = clock.now()
    before = await snapshot(session, account)
    filing.effective = True
    account.updated_at = now
    if ftype is d.FilingType.OPEN:
        account.status = str(d.status_after_announcement(ftype, d.AccountStatus(account.status)))
        account.effective_on = effective_on
        await add_event(
            session,
            AccountOpened(
                occurred_at=now,
                account_id=account.id,
                account=await snapshot(session, account),
                filing_id=filing.id,
                actor_id=actor_id,
                effective_on=effective_on,
            ),
        )
    elif ftype is d.FilingType.CHANGE:
        changes = filing.payload.get("changes", {})
        for key, value in changes.items():
            setattr(account, key, value)
        after = await snapshot(session, account)
        changed = tuple(
            k for k in AccountSnapshot.model_fields if getattr(before, k) != getattr(after, k)
        ) or ("name",)
        await add_event(
            session,
            AccountChanged(
                occurred_at=now,
                account_id=account.id,
                account=after,
                filing_id=filing.id,
                actor_id=actor_id,
                changed_fields=changed,
                previous=before,
                effective_on=effective_on,
            ),
        )
    elif ftype is d.FilingType.MERGE:
        merged = []
        for source_id in filing.payload.get("merged_account_ids", []):
            source = await repo.get_account(session, source_id, lock=True)
            assert source is not None
            source.status = str(d.status_after_announcement(ftype, d.AccountStatus(source.status)))
            source.merged_into = account.id
            source.updated_at = now
            merged.append(await snapshot(session, source))
            _history(session, source.id, "merged", actor_id, filing.id, into=account.id)
        await add_event(
            session,
            AccountMerged(
                occurred_at=now,
                account_id=account.id,
                account=await snapshot(session, account),
                filing_id=filing.id,
                actor_id=actor_id,
                merged_account_ids=tuple(m.account_id for m in merged),
                merged_accounts=tuple(merged),
                effective_on=effective_on,
            ),
        )
    elif ftype is d.FilingType.SUSPEND:
        account.status = str(d.AccountStatus.SUSPENDED)
        await add_event(
            session,
            AccountSuspended(
                occurred_at=now,
                account_id=account.id,
                account=await snapshot(session, account),
                filing_id=filing.id,
                actor_id=actor_id,
                reason=filing.payload.get("reason") or "suspended",
                effective_on=effective_on,
            ),
        )
    else:
        account.status = str(d.status_after_announcement(ftype, d.AccountStatus(account.status)))
        notice = account.stop_update_notice or {}
        await add_event(
            session,
            AccountDeregistered(
                occurred_at=now,
                account_id=account.id,
                account=await snapshot(session, account),
                filing_id=filing.id,
                actor_id=actor_id,
                reason=filing.payload.get("reason") or "deregistered",
                effective_on=effective_on,
                stop_notice_on=date.fromisoformat(notice["published_on"])
                if notice.get("published_on")
                else None,
            ),
        )
    _history(
        session,
        account.id,
        f"{ftype}.effective",
        actor_id,
        filing.id,
        effective_on=effective_on,
        status=account.status,
    )


async def apply_due(session: AsyncSession, clock: Clock) -> int:
    """Make every approved filing whose announcement has ended take effect; returns how many."""
    count = 0
    for filing in await repo.due_filings(session, clock.today()):
        account = await repo.get_account(session, filing.account_id, lock=True)
        assert account is not None and filing.announcement_ends_on is not None
        await _take_effect(
            session,
            filing,
            account,
            "system",
            clock,
            effective_on=filing.announcement_ends_on + timedelta(days=1),
        )
        count += 1
    return count


async def resubmit(
    session: AsyncSession, principal: Principal, filing: Filing, body: s.ResubmitIn, clock: Clock
) -> Filing:
    rules = await registry_rules(session, filing.region_code)
    flow = _flow_of(filing, rules)
    try:
        flow.resubmit(actor_of(principal), at=clock.now())
    except d.NotTheFiler as exc:
        raise forbidden(exc.message, exc.code) from exc
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    account = await repo.get_account(session, filing.account_id, lock=True)
    assert account is not None
    if body.changes is not None:
        changes = body.changes.model_dump(mode="json", exclude_unset=True)
        unit = await repo.get_unit(session, account.unit_id)
        assert unit is not None
        if "name" in changes and changes["name"] != account.name:
            await check_name(
                session,
                name=changes["name"],
                unit=unit,
                platform=account.platform,
                renaming_account_id=account.id,
            )
        payload = dict(filing.payload)
        if filing.filing_type == "open":
            for key, value in changes.items():
                setattr(account, key, value)
            payload["account"] = {**payload.get("account", {}), **changes}
        else:
            payload["changes"] = {**payload.get("changes", {}), **changes}
        filing.payload = payload
    if body.event_date is not None and body.event_date != filing.event_date:
        # The deadline counts from the event: a corrected event date moves it (and may make the filing late
        # or on time); the filing keeps the day it was first made.
        try:
            deadline = d.filing_deadline(
                body.event_date, await load_calendar(session), rules.filing_deadline_workdays
            )
        except UnknownCalendarYear as exc:
            raise domain_problem(exc) from exc
        filing.event_date = body.event_date
        filing.deadline = deadline
        filing.late = filing.filed_on > deadline
    filing.status = str(flow.status)
    filing.current_level = flow.current_index
    await _decision(session, filing, None, "resubmitted", principal, None)
    await add_event(
        session,
        AccountFiled(
            occurred_at=clock.now(),
            account_id=account.id,
            account=await snapshot(session, account),
            filing_id=filing.id,
            actor_id=principal.subject,
            filing_type=d.FilingType(filing.filing_type),
            levels=tuple(d.ApprovalLevel(x) for x in filing.levels),
            event_on=filing.event_date,
            reason="resubmitted after amendment",
        ),
    )
    _history(session, account.id, "filing.resubmitted", principal.subject, filing.id)
    await audit.record(session, principal=principal, action="filing.resubmit", target=filing.id)
    await session.flush()
    return filing


async def withdraw(session: AsyncSession, principal: Principal, filing: Filing, clock: Clock) -> Filing:
    rules = await registry_rules(session, filing.region_code)
    flow = _flow_of(filing, rules)
    try:
        flow.withdraw(actor_of(principal), at=clock.now())
    except d.NotTheFiler as exc:
        raise forbidden(exc.message, exc.code) from exc
    except d.DomainError as exc:
        raise domain_problem(exc) from exc
    account = await repo.get_account(session, filing.account_id, lock=True)
    assert account is not None
    ftype = d.FilingType(filing.filing_type)
    account.status = str(d.status_on_refusal(ftype, d.AccountStatus(account.status)))
    level = filing.levels[filing.current_level] if filing.status == "pending" else None
    filing.status = str(flow.status)
    await _decision(session, filing, None, "withdrawn", principal, None)
    await add_event(
        session,
        AccountWithdrawn(
            occurred_at=clock.now(),
            account_id=account.id,
            account=await snapshot(session, account),
            filing_id=filing.id,
            actor_id=principal.subject,
            filing_type=ftype,
            level=d.ApprovalLevel(level) if level else None,
        ),
    )
    _history(session, account.id, "filing.withdrawn", principal.subject, filing.id)
    await audit.record(session, principal=principal, action="filing.withdraw", target=filing.id)
    await session.flush()
    return filing


# ---------------------------------------------------------------------------------------------- accounts


async def visible_account(
    session: AsyncSession, principal: Principal, account_id: str, *, lock: bool = False
) -> Account:
    """The account if the caller may see it (404 otherwise); ``lock`` holds its row until the commit."""
    return await _visible_account(session, principal, account_id, lock=lock)


async def patch_account(
    session: AsyncSession, principal: Principal, account: Account, body: s.AccountPatch, clock: Clock
) -> Account:
    """Edit details that need no filing (interaction switch, tier, operators, outsourcing)."""
    unit = await repo.get_unit(session, account.unit_id)
    assert unit is not None
    ensure_may_file_for(principal, unit)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if not changes:
        raise Problem(422, "no-changes", "Send at least one field to change.")
    before = await snapshot(session, account)
    for key, value in changes.items():
        setattr(account, key, value)
    account.updated_at = clock.now()
    await session.flush()
    await _announce_details_changed(session, principal, account, before, clock)
    _history(session, account.id, "details.changed", principal.subject, None, changes=changes)
    await audit.record(
        session,
        principal=principal,
        action="account.patch",
        target=account.id,
        detail={"fields": sorted(changes)},
    )
    return account


async def record_stop_notice(
    session: AsyncSession, principal: Principal, account: Account, body: s.StopNoticeIn, clock: Clock
) -> Account:
    unit = await repo.get_unit(session, account.unit_id)
    assert unit is not None
    ensure_may_file_for(principal, unit)
    if account.status not in ("active", "suspended"):
        raise Problem(409, "account-not-live", f"Account {account.id} is {account.status}.")
    account.stop_update_notice = body.model_dump(mode="json")
    account.updated_at = clock.now()
    await session.flush()
    _history(session, account.id, "stop_notice.recorded", principal.subject, None, **body.model_dump())
    await audit.record(session, principal=principal, action="account.stop_notice", target=account.id)
    return account


async def certify(
    session: AsyncSession, principal: Principal, account: Account, body: s.CertificationIn, clock: Clock
) -> Account:
    """Record platform certification; the registry then issues the matrix badge (矩阵标识)."""
    if not principal.has_role("office_staff", "office_admin"):
        raise forbidden("Certification is recorded by the competent office.", "insufficient-role")
    if account.status != "active":
        raise Problem(409, "account-not-active", "Only an active account can be certified.")
    before = await snapshot(session, account)
    account.certified = body.certified
    if body.certified and account.matrix_badge is None:
        account.matrix_badge = f"ZW-{account.region_code}-{account.platform.upper()}-{account.id[:8].upper()}"
    if not body.certified:
        account.matrix_badge = None
    account.updated_at = clock.now()
    await session.flush()
    await _announce_details_changed(session, principal, account, before, clock)
    _history(
        session,
        account.id,
        "certification",
        principal.subject,
        None,
        certified=body.certified,
        matrix_badge=account.matrix_badge,
        platform_certificate=body.platform_certificate,
    )
    await audit.record(session, principal=principal, action="account.certify", target=account.id)
    return account


async def _announce_details_changed(
    session: AsyncSession, principal: Principal, account: Account, before: AccountSnapshot, clock: Clock
) -> None:
    """AccountChanged for an edit that needs no filing, naming the snapshot fields that changed (if any)."""
    after = await snapshot(session, account)
    changed = tuple(k for k in AccountSnapshot.model_fields if getattr(before, k) != getattr(after, k))
    if changed:
        await add_event(
            session,
            AccountChanged(
                occurred_at=clock.now(),
                account_id=account.id,
                account=after,
                filing_id=None,
                actor_id=principal.subject,
                changed_fields=changed,
                previous=before,
                effective_on=clock.today(),
            ),
        )
