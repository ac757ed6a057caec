"""Per-region notify rules: documented defaults, validation, inheritance down the region tree.

The registry publishes each region's explicit settings (``RegionSettingsChanged``); the ``notify`` section
holds the keys below. A region inherits from its parent (province → city → county) and may **tighten but
not loosen** what a higher level set (architecture decision 14): for the thresholds marked ``tighten`` that a
higher region set, the stricter of parent and child wins, whatever the child says; the platform default binds
nobody (a province may give 10 days). Plain preferences (quiet hours, the time of
the reminder) are the child's to choose. Pure: no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govmedia_common.json_values import JsonInt

log = logging.getLogger(__name__)


class NotifyRules(BaseModel):
    """The thresholds of notices, rectification, reminders, the ladder and forced closure for one region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rectification_days: JsonInt = Field(
        7, ge=1, le=90, description="Days to rectify after a notice (seed 003)."
    )
    rectification_day_kind: Literal["calendar", "working"] = Field(
        "calendar", description="Whether the deadline counts calendar days or official working days."
    )
    quiet_start: time = Field(time(22, 0), description="Start of quiet hours: no reminder goes out.")
    quiet_end: time = Field(time(8, 0), description="End of quiet hours.")
    reminder_time: time = Field(time(9, 0), description="Time of day of the daily reminder (每日督促整改).")
    escalate_after_days: JsonInt = Field(
        0, ge=0, le=30, description="Days past the deadline before the office is alerted (0: the next day)."
    )
    ladder_liaison: JsonInt = Field(2, ge=1, le=100, description="二: violations that bring the liaison in.")
    ladder_deputy_head: JsonInt = Field(4, ge=1, le=100, description="四: the deputy head.")
    ladder_principal: JsonInt = Field(6, ge=1, le=100, description="六: the principal, and every one after.")
    ladder_year_start_month: JsonInt = Field(
        1, ge=1, le=12, description="First month of the counting year (1: the calendar year)."
    )
    interview_lead_days: JsonInt = Field(
        5, ge=0, le=30, description="Working days from the step to the interview."
    )
    closure_min_notices: JsonInt = Field(
        2, ge=1, le=20, description="Not-updated notices in a quarter that list an account in the bulletin."
    )
    closure_max_listings: JsonInt = Field(
        2, ge=1, le=20, description="Listings an account may have in the window; one more recommends closure."
    )
    closure_window_quarters: JsonInt = Field(
        4, ge=1, le=20, description="Quarters (the current one included) in which listings are counted."
    )
    digest_time: time = Field(time(8, 30), description="Time of day of the offices' daily digest.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.ladder_liaison < self.ladder_deputy_head < self.ladder_principal:
            raise ValueError("ladder steps must increase: liaison < deputy head < principal")
        if in_quiet_hours(self.reminder_time, self.quiet_start, self.quiet_end):
            raise ValueError("reminder_time falls in quiet hours")
        return self


# Thresholds a lower region may only make stricter: key → which of two values is the stricter.
_SMALLER_IS_STRICTER = (
    "rectification_days",
    "escalate_after_days",
    "ladder_liaison",
    "ladder_deputy_head",
    "ladder_principal",
    "interview_lead_days",
    "closure_min_notices",
    "closure_max_listings",
)
_LARGER_IS_STRICTER = ("closure_window_quarters",)


def in_quiet_hours(at: time, start: time, end: time) -> bool:
    """True when ``at`` lies in [start, end), which may wrap midnight (22:00–08:00)."""
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


DEFAULT_RULES = NotifyRules()


def region_path(code: str) -> list[str]:
    """The region and its ancestors, root first: 331004 → [330000, 331000, 331004]."""
    path = [code[:2] + "0000", code[:4] + "00", code]
    out: list[str] = []
    for c in path:
        if c not in out:
            out.append(c)
    return out


def _stricter(key: str, parent: Any, child: Any) -> Any:
    if key in _SMALLER_IS_STRICTER:
        return min(parent, child)
    if key in _LARGER_IS_STRICTER:
        return max(parent, child)
    if key == "rectification_day_kind":  # calendar days end sooner than the same number of working days
        return "calendar" if "calendar" in (parent, child) else "working"
    return child


def tighten(
    parent: NotifyRules, section: Mapping[str, Any], set_above: Iterable[str] | None = None
) -> NotifyRules:
    """The rules of a child region that sets ``section`` under ``parent``; never looser than a higher level.

    ``set_above`` names the keys a higher region set explicitly (default: all of them); a key only the
    platform default gives may be set either way. Raises ``ValueError`` when the section is not valid on its
    own (unknown key, out of range).
    """
    locked = set(NotifyRules.model_fields) if set_above is None else set(set_above)
    own = NotifyRules.model_validate({**parent.model_dump(), **section})
    merged = {
        k: _stricter(k, getattr(parent, k), getattr(own, k)) if k in locked else getattr(own, k)
        for k in NotifyRules.model_fields
    }
    try:
        return NotifyRules.model_validate(merged)
    except ValidationError:
        # Steps tightened past each other (deputy head 2 under liaison 2): keep the parent's ladder.
        for key in ("ladder_liaison", "ladder_deputy_head", "ladder_principal"):
            merged[key] = getattr(parent, key)
        return NotifyRules.model_validate(merged)


def loosened_keys(parent: NotifyRules, section: Mapping[str, Any]) -> list[str]:
    """Keys of ``section`` that would loosen the parent's rules (refused: the parent's value holds)."""
    out = []
    for key, value in section.items():
        if key not in NotifyRules.model_fields:
            continue
        current = getattr(parent, key)
        try:
            value = type(current)(value) if not isinstance(current, time) else time.fromisoformat(value)
        except (TypeError, ValueError):
            continue
        if _stricter(key, current, value) != value:
            out.append(key)
    return out


def effective_rules(sections: Iterable[tuple[str, Mapping[str, Any]]]) -> NotifyRules:
    """Resolve the rules of the last region of ``sections`` (root first: (code, notify section) pairs).

    The registry validates what it stores, so these only guard against a section written by another version:
    a key this version does not know (a newer registry, in a rolling upgrade) is ignored alone, the section's
    other keys hold (as the monitor reads its section); a level whose section is invalid otherwise is
    skipped. Either is logged once per region and cause, not at every read of the rules (every case, sweep
    and dispatcher batch reads them).
    """
    rules = DEFAULT_RULES
    set_above: set[str] = set()
    for code, section in sections:
        unknown = sorted(k for k in section if k not in NotifyRules.model_fields)
        if unknown:
            _say_once(code, f"ignoring notify settings this version does not know: {', '.join(unknown)}")
        known = {k: v for k, v in section.items() if k in NotifyRules.model_fields}
        if not known:
            continue
        try:
            rules = tighten(rules, known, set_above)
            set_above |= set(known)
        except (ValidationError, ValueError) as exc:
            _say_once(code, f"ignoring invalid notify settings: {exc}")
    return rules


_SAID: set[tuple[str, str]] = set()


def _say_once(region_code: str, message: str) -> None:
    """Log ``message`` about a region's section the first time this process meets it."""
    if (region_code, message) in _SAID:
        return
    if len(_SAID) < 10_000:  # bounded: a section changing without end still cannot grow it for ever
        _SAID.add((region_code, message))
    log.warning("%s", message, extra={"region_code": region_code})
