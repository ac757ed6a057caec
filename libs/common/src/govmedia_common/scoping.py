"""Who sees what, for every service: staff see their region's subtree; unit staff only their own unit.

The region tree is read from GB/T 2260 codes (:func:`govmedia_common.auth.region_prefix`). Something outside
the caller's view is *not found*, never *forbidden*: its existence is not disclosed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from govmedia_common.auth import Principal
from govmedia_common.errors import not_found

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
