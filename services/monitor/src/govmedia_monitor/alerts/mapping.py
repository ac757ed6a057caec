"""The one mapping between an ``alerts`` row and :class:`~govmedia_monitor.alerts.domain.AlertState`."""

from __future__ import annotations

from dataclasses import fields

from govmedia_monitor.alerts.domain import AlertState
from govmedia_monitor.models import Alert

# Every column the domain object carries (all of the row but the database's own sequence number).
COLUMNS = tuple(f.name for f in fields(AlertState) if f.name != "events")


def to_domain(row: Alert) -> AlertState:
    """The alert as a domain object (a copy: change it, then :func:`apply` it back)."""
    return AlertState(
        **{name: getattr(row, name) for name in COLUMNS if name != "detail"}, detail=dict(row.detail or {})
    )


def apply(alert: AlertState, row: Alert) -> None:
    """Write the domain object's state into its row."""
    for name in COLUMNS:
        setattr(row, name, getattr(alert, name))
