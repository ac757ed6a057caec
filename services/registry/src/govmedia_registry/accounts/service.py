"""Accounts: loading and saving them, the naming check, and the edits that need no filing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import AccountChanged, AccountSnapshot, AccountStatus, Platform
from govmedia_common.events.outbox import write_recorded
from govmedia_common.scoping import ensure_visible
from govmedia_common.workdays import Clock
from govmedia_registry.accounts import repository as repo
from govmedia_registry.accounts.domain import Account
from govmedia_registry.accounts.mapping import account_from_row, account_to_row
from govmedia_registry.accounts.naming import ExistingAccount, NamingViolation, UnitInfo, check_account_name
from govmedia_registry.identity import repository as identity_repo
from govmedia_registry.models import Account as AccountRow
from govmedia_registry.models import AccountHistory
from govmedia_registry.regions import repository as regions_repo
from govmedia_registry.regions.domain import region_path
from govmedia_registry.regions.service import registry_rules
from govmedia_registry.units import repository as units_repo
from govmedia_registry.units.domain import Unit
from govmedia_registry.units.mapping import unit_from_row

# ---------------------------------------------------------------------------------------------- load, save


async def load_unit(session: AsyncSession, unit_id: str) -> Unit:
    row = await units_repo.get_unit(session, unit_id)
    if row is None:
        raise not_found("unit", unit_id)
    return unit_from_row(row)


async def load_account(session: AsyncSession, account_id: str, *, lock: bool = False) -> Account | None:
    """The account as a domain object (its row stays in the session for :func:`save_account`)."""
    row = await repo.get_account(session, account_id, lock=lock)
    if row is None:
        return None
    unit = await units_repo.get_unit(session, row.unit_id)
    return account_from_row(row, unit.name if unit else row.unit_id)


async def save_account(session: AsyncSession, account: Account) -> None:
    """Write the account back (insert when new), then its recorded events to the outbox."""
    row = await session.get(AccountRow, account.id)
    if row is None:
        session.add(account_to_row(account))
    else:
        account_to_row(account, row)
    await session.flush()
    saved = await session.get(AccountRow, account.id)
    assert saved is not None
    account.version = saved.version
    await write_recorded(session, account)


async def visible_account(
    session: AsyncSession, principal: Principal, account_id: str, *, lock: bool = False
) -> Account:
    """The account if the caller may see it (404 otherwise); ``lock`` holds its row until the commit."""
    account = await load_account(session, account_id, lock=lock)
    if account is None:
        raise not_found("account", account_id)
    ensure_visible(principal, account.region_code, account.unit_id, "account", account_id)
    return account


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
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


def add_history(
    session: AsyncSession,
    account_id: str,
    kind: str,
    actor_id: str | None,
    filing_id: str | None = None,
    **data: Any,
) -> None:
    """One entry of the account's history (kept forever)."""
    session.add(
        AccountHistory(
            account_id=account_id, kind=kind, actor_id=actor_id, filing_id=filing_id, data=json_safe(data)
        )
    )


def ensure_may_file_for(principal: Principal, unit: Unit) -> None:
    """The unit's own admin, or a competent office above it, files for a unit."""
    if principal.has_role("office_admin", "office_staff") and principal.can_see_region(unit.region_code):
        return
    if principal.has_role("unit_admin") and principal.unit_id == unit.id:
        return
    raise DomainError(
        ErrorKind.FORBIDDEN,
        "filing-not-permitted",
        f"Only the unit admin of {unit.name} or its competent office may file for it.",
    )


# ---------------------------------------------------------------------------------------------- naming


async def naming_violations(
    session: AsyncSession,
    *,
    name: str,
    unit: Unit,
    platform: Platform,
    renaming_account_id: str | None = None,
) -> list[NamingViolation]:
    """Every naming rule ``name`` breaks for an account of ``unit`` on ``platform`` (the one check that filing
    and the dry-run endpoint share)."""
    existing = [
        ExistingAccount(
            platform=Platform(a.platform), name=a.name, status=AccountStatus(a.status), account_id=a.id
        )
        for a in await repo.accounts_of_unit(session, unit.id)
    ]
    path = region_path(unit.region_code)
    heads = [n for n in (unit.principal_name, unit.deputy_head_name) if n]
    rules = await registry_rules(session, unit.region_code)
    return check_account_name(
        name,
        unit=UnitInfo(
            name=unit.name,
            short_name=unit.short_name,
            region_code=unit.region_code,
            duty_keywords=unit.duty_keywords,
            kind=unit.kind,
        ),
        region_names_in_scope=await regions_repo.region_names_on_path(session, path),
        existing_accounts_of_unit=existing,
        platform=platform,
        person_names=[*heads, *await identity_repo.names_in_regions(session, path)],
        renaming_account_id=renaming_account_id,
        release_words=rules.naming_release_words,
        release_duties=rules.naming_release_duties,
    )


def violation_doc(v: NamingViolation) -> dict[str, str]:
    return {"rule": v.rule.value, "code": v.code, "message_zh": v.message_zh, "message_en": v.message_en}


async def check_name(
    session: AsyncSession,
    *,
    name: str,
    unit: Unit,
    platform: Platform,
    renaming_account_id: str | None = None,
) -> None:
    """Refuse (422) a name that breaks a naming rule, listing every rule it breaks."""
    violations = await naming_violations(
        session, name=name, unit=unit, platform=platform, renaming_account_id=renaming_account_id
    )
    if violations:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            violations[0].code,
            f"The account name {name!r} breaks the naming rules: "
            + "; ".join(f"{v.rule.value} {v.message_en}" for v in violations),
            violations=[violation_doc(v) for v in violations],
        )


# ---------------------------------------------------------------------------------------------- edits


def record_details_changed(account: Account, before: AccountSnapshot, actor_id: str, clock: Clock) -> None:
    """AccountChanged for an edit that needs no filing, naming the snapshot fields that changed (if any)."""
    after = account.snapshot()
    changed = tuple(k for k in AccountSnapshot.model_fields if getattr(before, k) != getattr(after, k))
    if changed:
        account.record(
            AccountChanged(
                occurred_at=clock.now(),
                account_id=account.id,
                account=after,
                filing_id=None,
                actor_id=actor_id,
                changed_fields=changed,
                previous=before,
                effective_on=clock.today(),
            )
        )


async def patch_account(
    session: AsyncSession, principal: Principal, account: Account, changes: dict[str, Any], clock: Clock
) -> Account:
    """Edit details that need no filing (interaction switch, tier, operators, outsourcing)."""
    ensure_may_file_for(principal, await load_unit(session, account.unit_id))
    if not changes:
        raise DomainError(ErrorKind.UNPROCESSABLE, "no-changes", "Send at least one field to change.")
    before = account.snapshot()
    account.apply(changes)
    account.updated_at = clock.now()
    record_details_changed(account, before, principal.subject, clock)
    await save_account(session, account)
    add_history(session, account.id, "details.changed", principal.subject, None, changes=changes)
    await audit.record(
        session,
        principal=principal,
        action="account.patch",
        target=account.id,
        detail={"fields": sorted(changes)},
    )
    return account


async def record_stop_notice(
    session: AsyncSession, principal: Principal, account: Account, notice: dict[str, Any], clock: Clock
) -> Account:
    """Record the stop-update notice (停更公告) that must precede a deregistration."""
    ensure_may_file_for(principal, await load_unit(session, account.unit_id))
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED):
        raise DomainError(
            ErrorKind.CONFLICT, "account-not-live", f"Account {account.id} is {account.status}."
        )
    account.stop_update_notice = json_safe(notice)
    account.updated_at = clock.now()
    await save_account(session, account)
    add_history(session, account.id, "stop_notice.recorded", principal.subject, None, **notice)
    await audit.record(session, principal=principal, action="account.stop_notice", target=account.id)
    return account


async def certify(
    session: AsyncSession,
    principal: Principal,
    account: Account,
    *,
    certified: bool,
    platform_certificate: str | None,
    clock: Clock,
) -> Account:
    """Record platform certification; the registry then issues the matrix badge (矩阵标识)."""
    if not principal.has_role("office_staff", "office_admin"):
        raise DomainError(
            ErrorKind.FORBIDDEN, "insufficient-role", "Certification is recorded by the competent office."
        )
    if account.status is not AccountStatus.ACTIVE:
        raise DomainError(
            ErrorKind.CONFLICT, "account-not-active", "Only an active account can be certified."
        )
    before = account.snapshot()
    account.certified = certified
    if certified and account.matrix_badge is None:
        account.matrix_badge = f"ZW-{account.region_code}-{account.platform.upper()}-{account.id[:8].upper()}"
    if not certified:
        account.matrix_badge = None
    account.updated_at = clock.now()
    record_details_changed(account, before, principal.subject, clock)
    await save_account(session, account)
    add_history(
        session,
        account.id,
        "certification",
        principal.subject,
        None,
        certified=certified,
        matrix_badge=account.matrix_badge,
        platform_certificate=platform_certificate,
    )
    await audit.record(session, principal=principal, action="account.certify", target=account.id)
    return account
