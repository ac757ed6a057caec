"""Monitor HTTP API: the routers of each aggregate, included by the composition root."""

from __future__ import annotations

from fastapi import APIRouter

from govmedia_monitor.alerts.api import router as alerts_router
from govmedia_monitor.hotwords.api import router as hotwords_router
from govmedia_monitor.observations.api import router as observations_router
from govmedia_monitor.rules.api import router as rules_router

router = APIRouter()
for sub in (observations_router, alerts_router, rules_router, hotwords_router):
    router.include_router(sub)
