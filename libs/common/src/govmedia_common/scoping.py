"""Who sees what, for every service: staff see their region's subtree; unit staff only their own unit.

The region tree is read from GB/T 2260 codes (:func:`govmedia_common.auth.region_prefix`). Something outside
the caller's view is *not found*, never *forbidden*: its existence is not disclosed. A region inside it that
no event of the registry named is *unknown* (:func:`known_region`), in every supervision service alike.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal, region_prefix
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.regions import is_official

T = TypeVar("T")

UNIT_ROLES = frozenset({"editor", "reviewer", "approver", "unit_admin", "liaison"})
OFFICE_ROLES = frozenset({"office_staff", "office_admin", "auditor"})


def sees_only_own_unit(principal: Principal) -> bool:
    """Unit staff see their unit's data; office staff and machine clients their region subtree."""
    return principal.kind == "person" and not principal.roles & OFFICE_ROLES and principal.unit_id is not None


def can_see(principal: Principal, region_code: str, unit_id: str | None) -> bool:
    """Whether a thing of this region and unit lies within the caller's view."""
    if not principal.can_see_region(region_code):
        return False
    return not (sees_only_own_unit(principal) and unit_id != principal.unit_id)


def ensure_visible(
    principal: Principal, region_code: str, unit_id: str | None, what: str, ident: str
) -> None:
    """Raise not-found (a ``DomainError``) when the thing lies outside the caller's view."""
    if not can_see(principal, region_code, unit_id):
        raise not_found(what, ident)


def scoped(stmt: Select[T], principal: Principal, region_col: Any, unit_col: Any) -> Select[T]:
    """Narrow a query to the caller's view: the region subtree, and the own unit for unit staff."""
    stmt = stmt.where(region_col.startswith(principal.region_prefix, autoescape=True))
    if sees_only_own_unit(principal):
        stmt = stmt.where(unit_col == principal.unit_id)
    return stmt


# ------------------------------------------------------------------------- regions the supervision knows
# The monitor, notify and scoring read the registry's official region table (govmedia_common.regions) and
# what its events carry: the region of every account and of every region's settings. Asked of a region none
# of them names (a typo, a code that does not exist), each answers the same 404 as the registry; a region of
# the table without accounts yet is a region (empty lists); the caller's own region is never unknown (the
# registry signed the caller in there).


def unknown_region(code: str) -> DomainError:
    """404 ``unknown-region`` naming a code the official region table lacks and no registry event named."""
    return DomainError(
        ErrorKind.NOT_FOUND,
        "unknown-region",
        f"Region {code} is not known: the official region table does not have it, and no account or setting "
        "of the registry lies in it.",
        region_code=code,
    )


PROJECTIONS = ("accounts", "region_settings")
"""The tables of a service's projections of the registry that carry a ``region_code`` (an index on it)."""


async def region_named(session: AsyncSession, code: str, tables: tuple[str, ...] = PROJECTIONS) -> bool:
    """Whether ``code`` is a region: the official region table has it (:mod:`govmedia_common.regions`, the
    registry's table: a county without accounts yet is a region), or the registry's events named it or a
    region below it (an account, its settings).

    Read from the service's own ``tables`` (the review keeps no settings: ``("accounts",)``); the subtree is
    a range of six-digit codes, so each lookup is an index range scan.
    """
    if is_official(code):
        return True
    prefix = region_prefix(code)
    bounds = {"lo": prefix.ljust(6, "0"), "hi": prefix.ljust(6, "9")}
    unknown = set(tables) - set(PROJECTIONS)
    if unknown:
        raise ValueError(f"not a projection of the registry: {sorted(unknown)}")
    exists = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE region_code BETWEEN :lo AND :hi)" for table in tables
    )
    result = await session.execute(text(f"SELECT {exists}"), bounds)
    return bool(result.scalar_one())


async def known_region(session: AsyncSession, principal: Principal, code: str) -> str:
    """``code`` (six digits, checked by the route's parameter) when the caller sees it and the events named
    it, or it is the caller's own; 404 not-found outside the caller's subtree, 404 unknown-region else."""
    if not principal.can_see_region(code):
        raise not_found("region", code)
    if code != principal.region_code and not await region_named(session, code):
        raise unknown_region(code)
    return code


# --------------------------------------------------------------------------- jobs of every region at once


def require_province(principal: Principal, job: str, *, roles: str = "an office admin") -> None:
    """403 ``insufficient-level`` (as the registry's signing keys) unless the caller is of a province (a
    code ending in 0000).

    For a job that acts on every region at once and answers with their counts (scoring's recompute, the
    registry's apply-due): run by a county it would act on, and disclose, the regions of other counties.
    Jobs that can run for a subtree (the monitor's and notify's sweeps, hot-word mining) run for the
    caller's instead.
    """
    if len(principal.region_prefix) == 2:
        return
    raise DomainError(
        ErrorKind.FORBIDDEN,
        "insufficient-level",
        f"{job} acts on every region of the province at once, so it needs {roles} of the province (a region "
        f"code ending in 0000, such as 330000); you sign in for region {principal.region_code}. It also "
        "runs by itself on schedule.",
        required_role="office_admin",
        required_region_level="province",
        region_code=principal.region_code,
    )
