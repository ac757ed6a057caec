"""Request and response models of the official calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from govmedia_common.inputs import BoundedDate, MediumText
from govmedia_registry.schemas import In


class CalendarIn(In):
    holidays: list[BoundedDate] = Field(
        max_length=400, description="Days off of the State Council's schedule for the year."
    )
    workdays: list[BoundedDate] = Field(
        max_length=400, description="Weekend days that are working days (调休上班)."
    )
    source_document: MediumText | None = None


class CalendarOut(BaseModel):
    year: int
    source: Literal["package", "loaded"]
    holidays: list[date]
    workdays: list[date]
