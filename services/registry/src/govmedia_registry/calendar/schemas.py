"""Request and response models of the official calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from govmedia_registry.schemas import In


class CalendarIn(In):
    holidays: list[date] = Field(description="Days off of the State Council's schedule for the year.")
    workdays: list[date] = Field(description="Weekend days that are working days (调休上班).")
    source_document: str | None = None


class CalendarOut(BaseModel):
    year: int
    source: Literal["package", "loaded"]
    holidays: list[date]
    workdays: list[date]
