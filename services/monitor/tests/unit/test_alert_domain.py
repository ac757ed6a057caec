"""The alert's domain object and its one mapping to the row: round trip, transitions, recorded events."""

from __future__ import annotations

from datetime import datetime

import pytest

from govmedia_common.errors import DomainError
from govmedia_common.events import AlertResolved
from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.alerts import mapping
from govmedia_monitor.models import Alert

AT = datetime(2025, 9, 15, 20, tzinfo=SHANGHAI)


def row(**over: object) -> Alert:
    values: dict[str, object] = {
        "id": "6f77e2c0-a5a0-4ce0-8a28-219117b2897b",
        "seq": 7,
        "account_id": "de6ade8d-9107-419d-83ff-9fe91bbdde25",
        "unit_id": "0c3a1d7e-2d4b-4f0b-9a51-3d2f1a0b9c11",
        "region_code": "331004",
        "rule": "not_updated",
        "severity": "violation",
        "alert_class": "not_updated",
        "period": "2025-09-01",
        "detail": {"days_silent": 14, "escalated_from": "warning"},
        "state": "open",
        "raised_at": AT,
        "updated_at": AT,
        "resolved_at": None,
        "resolution": None,
        "resolved_by": None,
        "resolution_reason": None,
        **over,
    }
    return Alert(**values)


def test_the_mapping_round_trips_every_column_but_the_sequence() -> None:
    original = row(
        state="resolved", resolution="dismissed", resolved_at=AT, resolved_by="p1", resolution_reason="误报"
    )
    copy = row()
    mapping.apply(mapping.to_domain(original), copy)
    assert {c: getattr(copy, c) for c in mapping.COLUMNS} == {
        c: getattr(original, c) for c in mapping.COLUMNS
    }
    assert set(mapping.COLUMNS) == {c.name for c in Alert.__table__.columns} - {"seq"}


def test_dismissal_needs_a_reason_records_the_event_and_happens_once() -> None:
    alert = mapping.to_domain(row())
    with pytest.raises(DomainError) as err:
        alert.dismiss(by="p1", reason="  ", at=AT)
    assert err.value.code == "reason-required" and alert.is_open and alert.events == []
    alert.dismiss(by="p1", reason=" 已核实为误报 ", at=AT)
    assert (alert.state, alert.resolution, alert.resolution_reason) == (
        "resolved",
        "dismissed",
        "已核实为误报",
    )
    [event] = alert.events
    assert isinstance(event, AlertResolved) and (event.reason, event.resolved_by) == ("已核实为误报", "p1")
    with pytest.raises(DomainError) as again:
        alert.dismiss(by="p2", reason="再次", at=AT)
    assert again.value.code == "alert-not-open" and len(alert.events) == 1
