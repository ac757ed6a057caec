"""A forced-closure recommendation, and the notices of the cases behind it, reach the competent office also
when notify learns of that office only after they were sent (UnitRegistered read late: topics have no
order between them).

The recommendation is written once, by the sweep; addressing it from whatever the directory held at that
instant made the office's inbox depend on arrival order (story f of tests/e2e once timed out so).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.workdays import SHANGHAI
from govmedia_notify.directory.handlers import on_unit_event

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


def day(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


async def _closures(who: Any, account_id: str) -> list[dict[str, Any]]:
    r = await who.http.get("/v1/inbox", params={"limit": 200})
    assert r.status_code == 200, r.text
    return [
        m for m in r.json()["items"] if m["kind"] == "closure" and m["payload"]["account_id"] == account_id
    ]


async def _notices(who: Any, account_id: str) -> list[dict[str, Any]]:
    r = await who.http.get("/v1/inbox", params={"limit": 200})
    assert r.status_code == 200, r.text
    return [
        m for m in r.json()["items"] if m["kind"] == "notice" and m["payload"]["account_id"] == account_id
    ]


async def test_an_office_learnt_after_the_recommendation_receives_it_once(notify: NotifyKit) -> None:
    kit = notify
    unit = await kit.unit()
    office_id = str(uuid.uuid4())  # registered in the registry, not yet read by notify
    staff = kit.person("王主任", ["office_staff", "office_admin"], unit=office_id, region="331004")
    for quarter, months in {1: (2, 3), 2: (5, 6), 3: (8, 9)}.items():
        for month in months:
            kit.clock.set(day(2025, month, 10))
            await kit.raise_alert(kit.alert(unit, at=day(2025, month, 10, 9)))
        after = day(2025, quarter * 3 + 1, 2, 9)
        r = await staff.http.post("/v1/sweeps", json={"as_of": after.isoformat()})
        assert r.status_code == 200, r.text
        assert r.json()["listed"] == [unit.account_id], (quarter, r.json())
    assert await _closures(staff, unit.account_id) == []  # nobody to address it to yet
    assert await _notices(staff, unit.account_id) == []
    unit_notices = await _notices(unit.liaison, unit.account_id)
    assert len(unit_notices) == 6
    event = kit.unit_event(office_id, "台州市路桥区人民政府办公室", "331004", "office")
    await kit.apply(on_unit_event, event)
    [message] = await _closures(staff, unit.account_id)
    assert message["payload"]["quarter"] == "2025-Q3" and message["payload"]["listings"] == 3
    notices = await _notices(staff, unit.account_id)
    assert sorted(m["payload"]["case_id"] for m in notices) == sorted(
        m["payload"]["case_id"] for m in unit_notices
    )
    assert {m["subject"] for m in notices} == {m["subject"] for m in unit_notices}
    await kit.apply(on_unit_event, event)  # read again (redelivery) or changed later: not twice
    assert len(await _closures(staff, unit.account_id)) == 1
    assert len(await _notices(staff, unit.account_id)) == 6
