"""Interview messages, bulletins and the day's digest reach the competent office also when notify learns of
that office only after they were sent (its UnitRegistered read late: topics have no order between them), as
closure recommendations and case notices do (test_closure_late_office.py).

Each was addressed once, to the office the directory held at that instant (here the city's, an ancestor);
the county office learnt later gets its own copy, with the id fan-out gives it, so a redelivery, a change of
the office or a later sweep never adds it twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from govmedia_common.events.monitor import AlertResolved
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.channels.domain import Channel, delivery_id
from govmedia_notify.directory.handlers import on_unit_event

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration

COUNTY, CITY = "331004", "331000"


def day(m: int, d: int, h: int = 10) -> datetime:
    return datetime(2025, m, d, h, tzinfo=SHANGHAI)


async def _inbox(who: Any, kind: str) -> list[dict[str, Any]]:
    r = await who.http.get("/v1/inbox", params={"limit": 200})
    assert r.status_code == 200 and r.json()["next_cursor"] is None, r.text
    return [m for m in r.json()["items"] if m["kind"] == kind]


async def test_an_office_learnt_late_receives_its_interviews_bulletin_and_digest_once(
    notify: NotifyKit,
) -> None:
    kit = notify
    city = await kit.office(CITY, "台州市人民政府办公室")  # known: the nearest office until the county's
    unit = await kit.unit()  # in the county
    county_id = str(uuid.uuid4())  # registered in the registry, not yet read by notify
    county = kit.person("王主任", ["office_staff", "office_admin"], unit=county_id, region=COUNTY)

    # The 2nd violation calls the liaison's interview; its alert is dismissed (the interview is withdrawn);
    # the real 2nd calls it again: scheduled, cancelled, scheduled anew (three sources of one interview).
    for n, resolution in ((1, None), (2, "dismissed"), (3, None)):
        kit.clock.set(day(11, n))
        alert = kit.alert(unit, at=day(11, n, 9))
        await kit.raise_alert(alert)
        if resolution:
            await kit.apply(
                kit.handlers[AlertResolved], kit.resolved(alert, at=day(11, n, 11), resolution=resolution)
            )
    kit.clock.set(day(12, 8))
    body = {"region_code": COUNTY, "period_kind": "month", "period_start": "2025-11-01"}
    r = await city.http.post("/v1/bulletins", json=body)
    assert r.status_code == 201, r.text
    bulletin = r.json()
    swept = await city.http.post("/v1/sweeps", json={"as_of": day(12, 8, 9).isoformat()})
    assert swept.status_code == 200 and swept.json()["digests"] == 1, swept.text  # the city's only

    unit_interviews = await _inbox(unit.liaison, "interview")
    assert len(unit_interviews) == 3 and len(await _inbox(city, "interview")) == 3
    assert [len(await _inbox(city, k)) for k in ("bulletin", "digest")] == [1, 1]
    assert [await _inbox(county, k) for k in ("interview", "bulletin", "digest")] == [[], [], []]

    event = kit.unit_event(county_id, "台州市路桥区人民政府办公室", COUNTY, "office")
    await kit.apply(on_unit_event, event)

    interviews = await _inbox(county, "interview")
    assert sorted((m["subject"], m["created_at"]) for m in interviews) == sorted(
        (m["subject"], m["created_at"]) for m in unit_interviews
    )
    assert sorted(bool(m["payload"].get("cancelled")) for m in interviews) == [False, False, True]
    [got] = await _inbox(county, "bulletin")
    assert got["payload"]["bulletin_id"] == bulletin["id"]
    [digest] = await _inbox(county, "digest")
    assert digest["payload"]["office_id"] == county_id and digest["payload"]["day"] == "2025-12-08"
    # The ids fan-out would have given the county office: a later fan-out of the same message adds nothing.
    ids = {d.id for d in await kit.deliveries(org_id=county_id, channel=Channel.INBOX)}
    interview_id = interviews[0]["payload"]["interview_id"]
    assert {
        delivery_id("bulletin", bulletin["id"], Channel.INBOX, county_id),
        delivery_id("interview", interview_id, Channel.INBOX, county_id),
        delivery_id("digest", f"{county_id}:2025-12-08", Channel.INBOX, county_id),
    } <= ids

    # Read again (redelivery), changed later, swept again the same day: nothing twice.
    await kit.apply(on_unit_event, event)
    changed = kit.unit_event(
        county_id, "台州市路桥区人民政府办公室", COUNTY, "office", changed=True, at=day(12, 8, 11),
        contact_email="office@luqiao.example",
    )  # fmt: skip
    await kit.apply(on_unit_event, changed)
    swept = await county.http.post("/v1/sweeps", json={"as_of": day(12, 8, 15).isoformat()})
    assert swept.status_code == 200, swept.text
    counts = [len(await _inbox(county, k)) for k in ("interview", "bulletin", "digest")]
    assert counts == [3, 1, 1]
    assert [len(await _inbox(city, k)) for k in ("interview", "bulletin", "digest")] == [3, 1, 1]


async def test_a_message_whose_source_cannot_be_told_is_not_doubled_for_an_office_that_has_it(
    notify: NotifyKit,
) -> None:
    """Interview withdrawals written before their payload named the false-alarm case: the office that had
    them from the start gets no second copy when it changes, and one learnt late gets one copy only."""
    kit = notify
    known = await kit.office()
    unit = await kit.unit()
    for n, resolution in ((1, None), (2, "dismissed")):
        kit.clock.set(day(11, n))
        alert = kit.alert(unit, at=day(11, n, 9))
        await kit.raise_alert(alert)
        if resolution:
            await kit.apply(
                kit.handlers[AlertResolved], kit.resolved(alert, at=day(11, n, 11), resolution=resolution)
            )
    async with kit.sessions() as session, session.begin():  # as an older notify wrote them
        await session.execute(
            text("UPDATE deliveries SET payload = payload - 'false_alarm_case_id' WHERE kind = 'interview'")
        )
    assert len(await _inbox(known, "interview")) == 2  # scheduled, withdrawn
    [office_id] = {d.org_id for d in await kit.deliveries(kind="notice") if d.org_id != unit.id}
    assert office_id is not None
    changed = kit.unit_event(
        office_id, "台州市路桥区人民政府办公室", COUNTY, "office", changed=True, at=day(11, 3),
        contact_email="office@luqiao.example",
    )  # fmt: skip
    await kit.apply(on_unit_event, changed)
    await kit.apply(on_unit_event, changed)
    assert len(await _inbox(known, "interview")) == 2
