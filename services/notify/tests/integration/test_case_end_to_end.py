"""A case walked end to end on the real broker: alert → notice → reminder → report returned → accepted →
alert resolved → closed; reminders never in quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.events.notify import CaseClosed, NoticeIssued
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.models import UnitView

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=SHANGHAI)


async def test_a_violation_alert_walks_from_notice_to_closure_and_reminders_respect_quiet_hours(
    notify_consuming: NotifyKit,
) -> None:
    kit = notify_consuming
    kit.settings.sms_gateway_url = (
        "http://127.0.0.1:9/sms"  # a deployment with an SMS gateway (no dispatcher)
    )
    office = await kit.office(contact_email="office@luqiao.gov.cn")
    unit = await kit.unit()
    # The registry announces the unit's contacts on its topic; the directory consumer keeps them.
    change = kit.unit_event(
        unit.id,
        unit.name,
        unit.region,
        "unit",
        changed=True,
        at=at(1, 10, 30),
        principal_name="张局长",
        contact_email="scjg@luqiao.gov.cn",
        contact_phone="13800000000",
    )
    await kit.publish(change)

    async def contacts_known() -> bool:
        async with kit.sessions() as session:
            row = await session.get(UnitView, unit.id)
            return row is not None and row.contact_email == "scjg@luqiao.gov.cn"

    await kit.wait_for(contacts_known)
    alert = kit.alert(unit, at=at(1, 10, 45))
    await kit.publish(alert)

    async def case() -> dict[str, Any] | None:
        r = await office.http.get("/v1/cases", params={"account_id": unit.account_id})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        return items[0] if items else None

    opened = await kit.wait_for(case)
    case_id = opened["id"]
    assert opened["state"] == "open"
    assert opened["rectify_by"] == "2025-09-08"  # 7 calendar days by default
    # The immediate notice reached the unit (inbox, e-mail, SMS) and its office (inbox, e-mail).
    notices = await kit.deliveries(case_id=case_id, kind="notice")
    assert {(d.channel, d.recipient) for d in notices} == {
        ("inbox", unit.id),
        ("email", "scjg@luqiao.gov.cn"),
        ("sms", "13800000000"),
        ("inbox", office.unit_id),
        ("email", "office@luqiao.gov.cn"),
    }
    # The unit's liaison sees the case in the inbox of the unit.
    inbox = (await unit.liaison.http.get("/v1/inbox")).json()["items"]
    assert any(m["kind"] == "notice" and m["case_id"] == case_id for m in inbox)

    # 23:00 the next day the reminder is overdue by the clock but it is quiet hours: nothing goes out.
    for moment in (at(2, 23, 0), at(3, 7, 59)):
        r = await office.http.post("/v1/sweeps", json={"as_of": moment.isoformat()})
        assert r.status_code == 200, r.text
        assert r.json()["reminders"] == 0, moment
    # 08:00 quiet hours end: the daily reminder goes out, once.
    for _ in range(2):
        r = await office.http.post("/v1/sweeps", json={"as_of": at(3, 8, 0).isoformat()})
        assert r.status_code == 200
    reminders = [p for t, p in await kit.events(case_id=case_id) if t == "reminder.sent"]
    assert len(reminders) == 1 and reminders[0]["reminder_number"] == 1
    sent_at = datetime.fromisoformat(reminders[0]["occurred_at"]).astimezone(SHANGHAI)
    assert 8 <= sent_at.hour < 22

    kit.clock.set(at(3, 10, 0))
    report = {"text": "已恢复更新并建立每周更新制度。", "signed_by": "张局长", "sealed": True}
    r = await unit.liaison.http.post(f"/v1/cases/{case_id}/reports", json={**report, "sealed": False})
    assert r.status_code == 422 and r.json()["code"] == "report-not-sealed"
    r = await unit.liaison.http.post(f"/v1/cases/{case_id}/reports", json={**report, "signed_by": "李联络"})
    assert r.status_code == 422 and r.json()["code"] == "report-not-signed-by-principal"
    r = await unit.liaison.http.post(f"/v1/cases/{case_id}/reports", json=report)
    assert r.status_code == 201, r.text
    first = r.json()["reports"][0]["id"]
    # A unit cannot decide its own report.
    r = await unit.liaison.http.post(f"/v1/cases/{case_id}/reports/{first}/acceptance")
    assert r.status_code == 403

    kit.clock.set(at(4, 9, 0))
    r = await office.http.post(
        f"/v1/cases/{case_id}/reports/{first}/return", json={"reason": "未附整改前后截图"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "open"

    # Upload evidence by content hash and submit again.
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    r = await unit.liaison.http.post("/v1/attachments", content=png, headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    sha = r.json()["sha256"]
    r = await unit.liaison.http.post(
        "/v1/attachments", content=b"MZ", headers={"Content-Type": "application/x-msdownload"}
    )
    assert r.status_code == 422
    kit.clock.set(at(5, 9, 0))
    r = await unit.liaison.http.post(
        f"/v1/cases/{case_id}/reports",
        json={**report, "attachments": [{"sha256": sha, "filename": "截图.png"}]},
        headers={"Idempotency-Key": "report-2"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/v1/cases/{case_id}"
    second = r.json()["reports"][-1]["id"]
    # A retry with the same key gets the same answer and submits nothing twice.
    replay = await unit.liaison.http.post(
        f"/v1/cases/{case_id}/reports",
        json={**report, "attachments": [{"sha256": sha, "filename": "截图.png"}]},
        headers={"Idempotency-Key": "report-2"},
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == r.json()
    r = await unit.liaison.http.get(f"/v1/attachments/{sha}")
    assert r.status_code == 200 and r.content == png

    # Decisions may name the version they were made on: a stale one is refused.
    current = await office.http.get(f"/v1/cases/{case_id}")
    r = await office.http.post(
        f"/v1/cases/{case_id}/reports/{second}/acceptance", headers={"If-Match": 'W/"1"'}
    )
    assert r.status_code == 412 and r.json()["code"] == "stale-version"
    r = await office.http.post(
        f"/v1/cases/{case_id}/reports/{second}/acceptance", headers={"If-Match": current.headers["etag"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"  # still waiting for the monitor's re-check

    kit.clock.set(at(5, 15, 0))
    await kit.publish(kit.resolved(alert, at=at(5, 14, 0)))

    async def closed() -> dict[str, Any] | None:
        c = (await office.http.get(f"/v1/cases/{case_id}")).json()
        return c if c["state"] == "closed" else None

    done = await kit.wait_for(closed)
    assert done["outcome"] == "rectified" and done["closed_on_time"] is True

    kinds = [t for t, _ in await kit.events(case_id=case_id) if t != "interview.scheduled"]
    assert kinds == [
        "notice.issued",
        "reminder.sent",
        "rectification.submitted",
        "rectification.returned",
        "rectification.submitted",
        "rectification.accepted",
        "case.closed",
    ]
    # The relay put them on the bus.
    await kit.from_broker(NoticeIssued, lambda d: d["case_id"] == case_id)
    closed_event = await kit.from_broker(CaseClosed, lambda d: d["case_id"] == case_id)
    assert closed_event["data"]["closed_on_time"] is True
    # No further reminder for a closed case.
    r = await office.http.post("/v1/sweeps", json={"as_of": (at(6, 9, 0) + timedelta(days=3)).isoformat()})
    assert r.status_code == 200, r.text
    # The sweep covers every case of the database (other tests' open ones too): count this case's events.
    after = [t for t, _ in await kit.events(case_id=case_id)]
    assert after.count("reminder.sent") == 1 and "case.escalated" not in after
