"""The registry's HTTP API: one router per aggregate, included in the order the documentation shows them."""

from __future__ import annotations

from fastapi import APIRouter

from govmedia_registry.accounts.api import router as accounts
from govmedia_registry.announcements.api import router as announcements
from govmedia_registry.audit.api import router as audit
from govmedia_registry.calendar.api import router as calendar
from govmedia_registry.filings.api import router as filings
from govmedia_registry.identity.api import router as identity
from govmedia_registry.regions.api import router as regions
from govmedia_registry.reports.api import router as reports
from govmedia_registry.units.api import router as units

PARTS: tuple[APIRouter, ...] = (
    identity,
    regions,
    calendar,
    units,
    filings,
    accounts,
    announcements,
    audit,
    reports,
)

router = APIRouter()
for part in PARTS:
    router.include_router(part)
