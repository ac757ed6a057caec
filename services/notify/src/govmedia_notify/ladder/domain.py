"""The 二四六 interview ladder (seed 003), counted per host unit per year. Plain Python, no I/O.

The 2nd violation alert of a unit in a year brings its liaison (联络员) before the open-government affairs
centre; the 4th its deputy head (分管负责人) before the office's deputy director; the 6th and every one after
its principal (主要负责人) before the office's director. The thresholds and the month the counting year
starts are per-region settings (:class:`~govmedia_notify.rules.NotifyRules`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from govmedia_common.events.notify import IntervieweeRole, InterviewerRole
from govmedia_notify.rules import NotifyRules


@dataclass(frozen=True)
class LadderStep:
    """Who meets whom when a unit's count reaches a step."""

    threshold: int
    interviewee_role: IntervieweeRole
    interviewer_role: InterviewerRole


def ladder_year(day: date, rules: NotifyRules) -> int:
    """The counting year a day falls in: the calendar year, or the year that starts in the set month."""
    return day.year if day.month >= rules.ladder_year_start_month else day.year - 1


def step_for(count: int, rules: NotifyRules) -> LadderStep | None:
    """The interview the ``count``-th violation of the year calls for, or None."""
    if count >= rules.ladder_principal:
        return LadderStep(rules.ladder_principal, "principal", "director")
    if count == rules.ladder_deputy_head:
        return LadderStep(rules.ladder_deputy_head, "deputy_head", "deputy_director")
    if count == rules.ladder_liaison:
        return LadderStep(rules.ladder_liaison, "liaison", "open_government_centre")
    return None


def interview_id_for(unit_id: str, year: int, count: int) -> str:
    """One interview per (unit, year, count), whatever replica or retry schedules it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"govmedia:notify:interview:{unit_id}:{year}:{count}"))
