"""Rules administrators configure per region (deadlines, announcements, approval chains) and the day counts.

Defaults are those of the policy documents (seeds 000 and 003); a lower region overrides a higher one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import ApprovalLevel, FilingType
from govmedia_common.workdays import UnknownCalendarYear, WorkCalendar
from govmedia_registry.accounts.naming import DEFAULT_RELEASE_DUTIES, DEFAULT_RELEASE_WORDS
from govmedia_registry.identity.domain import Role
from govmedia_registry.regions.domain import (
    LEVEL_RANK,
    OFFICE_LEVEL_OF_REGION,
    office_region,
    region_level,
)


class InvalidRules(DomainError, ValueError):
    kind = ErrorKind.UNPROCESSABLE
    code = "invalid-registry-rules"


class CalendarYearUnknown(DomainError, UnknownCalendarYear):
    """A day count reaches into a year whose official schedule nobody loaded: never guessed."""

    kind = ErrorKind.UNPROCESSABLE
    code = "calendar-year-unknown"


DEFAULT_APPROVAL_LEVELS: tuple[ApprovalLevel, ...] = (
    ApprovalLevel.UNIT,
    ApprovalLevel.COUNTY,
    ApprovalLevel.CITY,
)
DEFAULT_APPROVER_ROLES: Mapping[ApprovalLevel, frozenset[Role]] = MappingProxyType(
    {
        ApprovalLevel.UNIT: frozenset({Role.UNIT_ADMIN}),
        ApprovalLevel.COUNTY: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
        ApprovalLevel.CITY: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
        ApprovalLevel.PROVINCE: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
    }
)
# Seed 003: open, merge, change and deregister are announced to the public first; a suspension is immediate.
DEFAULT_ANNOUNCED = frozenset({FilingType.OPEN, FilingType.CHANGE, FilingType.MERGE, FilingType.DEREGISTER})


def _shape(value: object) -> str:
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return (
        "true" if value is True else "false" if value is False else "null" if value is None else repr(value)
    )


def _list(value: object, key: str) -> list[Any]:
    """``value`` when it is a JSON array: a string is not read character by character, an object's keys are
    not its items."""
    if not isinstance(value, list):
        raise InvalidRules(f'registry.{key} must be an array (e.g. ["unit", "county"]), not {_shape(value)}')
    return value


def _object(value: object, key: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object (an array of pairs is not one)."""
    if not isinstance(value, Mapping):
        raise InvalidRules(f'registry.{key} must be an object (e.g. {{"open": [...]}}), not {_shape(value)}')
    return value


def _freeze_levels(
    given: Mapping[FilingType, Sequence[ApprovalLevel]],
) -> Mapping[FilingType, tuple[ApprovalLevel, ...]]:
    levels = {t: DEFAULT_APPROVAL_LEVELS for t in FilingType}
    for filing_type, chain in given.items():
        levels[FilingType(filing_type)] = tuple(ApprovalLevel(level) for level in chain)
    return MappingProxyType(levels)


@dataclass(frozen=True)
class RegistryRules:
    """Thresholds and approval chains of the registry; defaults from seeds 000 and 003.

    ``approval_levels`` is the chain configured for a unit at county level; for other units the levels that
    do not exist above them are skipped (see :meth:`levels_for`).
    """

    filing_deadline_workdays: int = 7
    announcement_workdays: int = 15
    zombie_days: int = 90
    approval_levels: Mapping[FilingType, tuple[ApprovalLevel, ...]] = field(
        default_factory=lambda: _freeze_levels({})
    )
    approver_roles: Mapping[ApprovalLevel, frozenset[Role]] = field(
        default_factory=lambda: DEFAULT_APPROVER_ROLES
    )
    announced_filing_types: frozenset[FilingType] = DEFAULT_ANNOUNCED
    # Naming rule R2: generic release words, and the duties that make a unit one that publishes information.
    naming_release_words: tuple[str, ...] = DEFAULT_RELEASE_WORDS
    naming_release_duties: tuple[str, ...] = DEFAULT_RELEASE_DUTIES

    def __post_init__(self) -> None:
        for name in ("filing_deadline_workdays", "announcement_workdays", "zombie_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRules(f"registry.{name} must be a positive whole number, not {_shape(value)}")
        object.__setattr__(self, "approval_levels", _freeze_levels(self.approval_levels))
        for filing_type, chain in self.approval_levels.items():
            if not any(level is not ApprovalLevel.UNIT for level in chain):
                raise InvalidRules(
                    f"the approval chain of {filing_type} filings needs at least one office level"
                )
            ranks = [LEVEL_RANK[level] for level in chain]
            if ranks != sorted(set(ranks)):
                raise InvalidRules(
                    f"the approval chain of {filing_type} filings must go bottom-up without repeats "
                    f"(unit, county, city, province), got {[str(level) for level in chain]}"
                )
        roles = {level: DEFAULT_APPROVER_ROLES[level] for level in ApprovalLevel}
        roles.update(
            {ApprovalLevel(k): frozenset(Role(r) for r in v) for k, v in self.approver_roles.items()}
        )
        for level, allowed in roles.items():
            if not allowed:
                raise InvalidRules(f"no role may decide the {level} level")
        object.__setattr__(self, "approver_roles", MappingProxyType(roles))
        object.__setattr__(
            self, "announced_filing_types", frozenset(FilingType(t) for t in self.announced_filing_types)
        )
        for name in ("naming_release_words", "naming_release_duties"):
            words = getattr(self, name)
            if not isinstance(words, list | tuple):
                raise InvalidRules(f"registry.{name} must be an array of words, not {_shape(words)}")
            bad = next((w for w in words if not isinstance(w, str) or not w.strip()), None)
            if bad is not None or any(not isinstance(w, str) for w in words):
                raise InvalidRules(
                    f"registry.{name} must be an array of non-empty words, not one of {_shape(bad)}"
                )
            object.__setattr__(self, name, tuple(w.strip() for w in words))

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RegistryRules:
        """Build rules from a region's settings document; missing keys keep their defaults.

        Unknown keys are refused, so a misspelt setting is never silently ignored. Shape::

            {"filing_deadline_workdays": 7, "announcement_workdays": 15, "zombie_days": 90,
             "approval_levels": {"open": ["unit", "county", "city", "province"]},
             "approver_roles": {"unit": ["unit_admin", "approver"]},
             "announced_filing_types": ["open", "change", "merge", "deregister"],
             "naming_release_words": ["发布", "政务", "在线", "之声", "微政务", ...],
             "naming_release_duties": ["信息发布", "新闻发布", "政务公开", ...]}
        """
        known = {
            "filing_deadline_workdays",
            "announcement_workdays",
            "zombie_days",
            "approval_levels",
            "approver_roles",
            "announced_filing_types",
            "naming_release_words",
            "naming_release_duties",
        }
        unknown = sorted(set(settings) - known)
        if unknown:
            raise InvalidRules(f"unknown registry setting(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {
            k: settings[k]
            for k in (
                "filing_deadline_workdays",
                "announcement_workdays",
                "zombie_days",
                "naming_release_words",
                "naming_release_duties",
            )
            if k in settings
        }
        try:
            if "approval_levels" in settings:
                kwargs["approval_levels"] = {
                    FilingType(t): tuple(
                        ApprovalLevel(level) for level in _list(chain, f"approval_levels.{t}")
                    )
                    for t, chain in _object(settings["approval_levels"], "approval_levels").items()
                }
            if "approver_roles" in settings:
                kwargs["approver_roles"] = {
                    ApprovalLevel(level): frozenset(Role(r) for r in _list(roles, f"approver_roles.{level}"))
                    for level, roles in _object(settings["approver_roles"], "approver_roles").items()
                }
            if "announced_filing_types" in settings:
                kwargs["announced_filing_types"] = frozenset(
                    FilingType(t) for t in _list(settings["announced_filing_types"], "announced_filing_types")
                )
        except InvalidRules:
            raise
        except (ValueError, TypeError) as exc:
            raise InvalidRules(f"invalid registry setting: {exc}") from exc
        return cls(**kwargs)

    @classmethod
    def from_layers(cls, layers: Iterable[Mapping[str, Any]]) -> RegistryRules:
        """Build rules from the settings of a region path, province first: a lower region overrides.

        ``approval_levels`` and ``approver_roles`` merge per filing type or level, so a county that only
        changes who approves at the unit keeps the province's approval chains.
        """
        merged: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if key in ("approval_levels", "approver_roles") and isinstance(value, Mapping):
                    merged[key] = {**merged.get(key, {}), **value}
                else:
                    merged[key] = value
        return cls.from_settings(merged)

    def to_settings(self) -> dict[str, Any]:
        """The settings document that :meth:`from_settings` reads back into equal rules."""
        return {
            "filing_deadline_workdays": self.filing_deadline_workdays,
            "announcement_workdays": self.announcement_workdays,
            "zombie_days": self.zombie_days,
            "approval_levels": {
                str(t): [str(lv) for lv in chain] for t, chain in self.approval_levels.items()
            },
            "approver_roles": {
                str(lv): sorted(str(r) for r in roles) for lv, roles in self.approver_roles.items()
            },
            "announced_filing_types": sorted(str(t) for t in self.announced_filing_types),
            "naming_release_words": list(self.naming_release_words),
            "naming_release_duties": list(self.naming_release_duties),
        }

    def levels_for(self, filing_type: FilingType, region_code: str) -> tuple[ApprovalLevel, ...]:
        """The approval chain of a filing by a unit in ``region_code``.

        Levels with no office above the unit are skipped (a city-level unit has no county office; a
        district of a municipality has no city office). The competent office of the unit's own region
        decides when the configured chain would stop below it: that office is appended, since every filing
        is reported to the office of the unit's own level (向本级主管单位报备, seed 000). A chain that
        reaches past the unit's level is kept as configured.
        """
        chain = [lv for lv in self.approval_levels[filing_type] if office_region(region_code, lv) is not None]
        own = OFFICE_LEVEL_OF_REGION[region_level(region_code)]
        if max((LEVEL_RANK[lv] for lv in chain), default=-1) < LEVEL_RANK[own]:
            chain.append(own)
        return tuple(chain)

    def is_announced(self, filing_type: FilingType) -> bool:
        """True when this kind of filing takes effect only after a public announcement."""
        return filing_type in self.announced_filing_types


def filing_deadline(event_date: date, calendar: WorkCalendar, days: int = 7) -> date:
    """The last day on which a filing about an event is on time: the ``days``-th working day after it.

    The event day itself is not counted (民法典 第二百零一条), so an event on Friday 26 September 2025
    must be filed by Monday 13 October 2025 (the National Day holiday and its swapped weekends in between).
    """
    try:
        deadline: date = calendar.add_workdays(event_date, days)
    except UnknownCalendarYear as exc:
        raise CalendarYearUnknown(str(exc)) from exc
    return deadline


def announcement_ends_on(start: date, calendar: WorkCalendar, days: int = 15) -> date:
    """The last day of a public announcement published on ``start`` that must run ``days`` working days.

    ``start`` is not counted (the announcement runs from the next day); the announced change takes effect
    the day after the returned date.
    """
    try:
        last_day: date = calendar.add_workdays(start, days)
    except UnknownCalendarYear as exc:
        raise CalendarYearUnknown(str(exc)) from exc
    return last_day


def is_cleanup_candidate(
    last_post_on: date | None, active_since: date, today: date, rules: RegistryRules
) -> bool:
    """True when an account has gone ``zombie_days`` calendar days without a post (僵尸/空壳 account)."""
    quiet_since = last_post_on or active_since
    return (today - quiet_since).days >= rules.zombie_days
