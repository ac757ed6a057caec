"""Loading a year's official schedule (节假日安排), the fact other services learn. Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from govmedia_common.events import WorkCalendarLoaded
from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.workdays import YearSchedule


@dataclass
class ScheduleLoad(RecordsEvents):
    """An administrator loads a year's schedule for a province (and everything below it)."""

    schedule: YearSchedule
    region_code: str
    loaded_by: str

    def announce(self, *, at: datetime, source_document: str | None) -> None:
        """Record WorkCalendarLoaded with the year's holidays and worked weekend days, sorted."""
        self.record(
            WorkCalendarLoaded(
                occurred_at=at,
                region_code=self.region_code,
                year=self.schedule.year,
                holidays=tuple(sorted(self.schedule.holidays)),
                workdays=tuple(sorted(self.schedule.workdays)),
                loaded_by=self.loaded_by,
                source_document=source_document,
            )
        )
