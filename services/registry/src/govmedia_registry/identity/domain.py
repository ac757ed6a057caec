"""Roles and what each may do (OAuth2 scopes every service checks). Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from govmedia_common.events.recorder import RecordsEvents


class Role(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    APPROVER = "approver"  # 终审, a unit leader
    UNIT_ADMIN = "unit_admin"
    LIAISON = "liaison"  # 联络员
    OFFICE_STAFF = "office_staff"  # staff of a competent office (主管单位)
    OFFICE_ADMIN = "office_admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


# What each role may do, as OAuth2 scopes every service checks. Machine clients get scopes explicitly.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "editor": frozenset({"registry:read", "review:submit"}),
    "reviewer": frozenset({"registry:read", "review:review"}),
    "approver": frozenset({"registry:read", "review:review", "review:approve"}),
    # A unit answers its own rectification cases (整改报告): notify scopes, scoped to its unit by notify.
    "unit_admin": frozenset(
        {"registry:read", "registry:file", "registry:approve", "review:submit", "notify:read", "notify:write"}
    ),
    "liaison": frozenset({"registry:read", "notify:read", "notify:write"}),
    # The competent office files for the units of its region too (api._FILERS, service.ensure_may_file_for).
    "office_staff": frozenset(
        {
            "registry:read",
            "registry:file",
            "registry:approve",
            "review:campaign",
            "monitor:read",
            "notify:read",
            "notify:write",
            "scoring:read",
        }
    ),
    "office_admin": frozenset(
        {
            "registry:read",
            "registry:file",
            "registry:approve",
            "registry:admin",
            "review:campaign",
            "review:admin",
            "monitor:read",
            "notify:read",
            "notify:write",
            "scoring:read",
        }
    ),
    "auditor": frozenset({"registry:read", "audit:read"}),
}
# Scopes only machine clients hold (platform connectors feeding the monitor, read-only integrations).
MACHINE_SCOPES = frozenset({"monitor:ingest", "monitor:write", "review:read"})
ALL_SCOPES = frozenset().union(*ROLE_SCOPES.values()) | MACHINE_SCOPES
PERSON_ROLES = frozenset(ROLE_SCOPES)


def scopes_for_roles(roles: list[str]) -> list[str]:
    return sorted(frozenset().union(*(ROLE_SCOPES.get(r, frozenset()) for r in roles)))


@dataclass
class Person(RecordsEvents):
    """A member of staff who signs in with a password."""

    id: str
    username: str
    display_name: str
    password_hash: str
    region_code: str
    roles: tuple[str, ...]
    unit_id: str | None = None
    active: bool = True
    announced_unit_id: str | None = None  # the unit PersonRegistered named; None until announced
