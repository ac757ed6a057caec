"""Business gauges: facts of the domain (accounts by status, filings pending, open alerts …) as Prometheus
gauges, computed by SQL over the service's own database.

A service declares them in its :class:`~govmedia_common.app.ServiceSpec`::

    SqlGauge(
        "govmedia_alerts_open",
        "Open alerts by category.",
        labels=("category",),
        sql="SELECT category, count(*) FROM alerts WHERE state = 'open' GROUP BY category",
    )

Each query returns one row per series: the label values in the order of ``labels``, then the value. A
background task refreshes them every ``refresh_seconds``; every scrape shows the last complete refresh, and a
series that disappears from the result disappears from ``/metrics`` (no stale label sets). A failing query
keeps its previous values and counts ``govmedia_business_gauge_errors_total``.

A gauge that depends on the time of day uses the service's clock, not PostgreSQL's: ``:now`` (an aware
timestamp) and ``:today`` (the calendar day in Asia/Shanghai) are bound from the injected clock, so a
gauge agrees with the rules of its service when the clock is not the wall clock (the development clock of
``make demo``, a test's fixed clock).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.workdays import Clock, SystemClock

log = logging.getLogger(__name__)

GAUGE_ERRORS = Counter(
    "govmedia_business_gauge_errors_total", "Failed refreshes of a business gauge.", ["service", "gauge"]
)
GAUGE_AGE = Gauge(
    "govmedia_business_gauges_age_seconds",
    "Seconds since the business gauges of a service were last refreshed.",
    ["service"],
)


@dataclass(frozen=True)
class SqlGauge:
    """One business gauge: name (Prometheus naming), help text, label names, and the SQL that computes it."""

    name: str
    help: str
    sql: str
    labels: tuple[str, ...] = ()


class BusinessGauges:
    """Holds the last values of one service's SQL gauges; :func:`activate` puts them on ``/metrics``."""

    def __init__(self, service: str, gauges: Sequence[SqlGauge], clock: Clock | None = None) -> None:
        self.service = service
        self.gauges = tuple(gauges)
        self.clock: Clock = clock or SystemClock()
        self._values: dict[str, list[tuple[tuple[str, ...], float]]] = {g.name: [] for g in self.gauges}
        self._refreshed_at: float | None = None

    async def refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Run every gauge's query once (read-only, one short transaction each)."""
        now = self.clock.now()
        times: dict[str, Any] = {"now": now, "today": now.date()}
        for gauge in self.gauges:
            params = {name: value for name, value in times.items() if f":{name}" in gauge.sql}
            try:
                async with sessions() as session, session.begin():
                    rows = (await session.execute(text(gauge.sql), params)).all()
            except Exception:
                GAUGE_ERRORS.labels(self.service, gauge.name).inc()
                log.warning("business gauge query failed", extra={"gauge": gauge.name}, exc_info=True)
                continue
            width = len(gauge.labels)
            self._values[gauge.name] = [
                (tuple("" if v is None else str(v) for v in row[:width]), float(row[width] or 0))
                for row in rows
            ]
        self._refreshed_at = time.monotonic()

    async def run(self, sessions: async_sessionmaker[AsyncSession], every_seconds: float) -> None:
        """Refresh forever (a background task of the service)."""
        while True:
            await self.refresh(sessions)
            await asyncio.sleep(every_seconds)

    def activate(self) -> None:
        """Export these gauges (replacing an earlier instance of the same service, e.g. after a restart)."""
        _ACTIVE[self.service] = self

    def deactivate(self) -> None:
        if _ACTIVE.get(self.service) is self:
            del _ACTIVE[self.service]


class _Exporter(Collector):
    """One collector for every active service's gauges (several apps may share a test process)."""

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # unchecked names: the set of gauges changes as services start and stop

    def collect(self) -> Iterable[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for active in list(_ACTIVE.values()):
            if active._refreshed_at is not None:
                GAUGE_AGE.labels(active.service).set(time.monotonic() - active._refreshed_at)
            for gauge in active.gauges:
                family = families.get(gauge.name)
                if family is None:
                    family = GaugeMetricFamily(gauge.name, gauge.help, labels=("service", *gauge.labels))
                    families[gauge.name] = family
                for label_values, value in active._values[gauge.name]:
                    family.add_metric([active.service, *label_values], value)
        return list(families.values())


_ACTIVE: dict[str, BusinessGauges] = {}
REGISTRY.register(_Exporter())
