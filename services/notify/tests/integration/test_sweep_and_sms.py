"""The sweep escalates an overdue case to the office and sends each office one daily digest; SMS goes through
the HTTP gateway adapter to a real local server."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import uvicorn
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govmedia_common.workdays import SHANGHAI
from govmedia_notify.models import Delivery

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=SHANGHAI)


async def sweep(office: Any, moment: datetime) -> dict[str, Any]:
    r = await office.http.post("/v1/sweeps", json={"as_of": moment.isoformat()})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_an_overdue_case_is_escalated_once_and_offices_get_one_digest_a_day(notify: NotifyKit) -> None:
    kit = notify
    office = await kit.office(contact_email="office@luqiao.gov.cn")
    unit = await kit.unit()
    kit.clock.set(at(1, 10))
    await kit.raise_alert(kit.alert(unit, at=at(1, 10)))
    before = await sweep(office, at(8, 20))  # the deadline day itself: not overdue yet
    assert (before["escalations"], before["reminders"], before["digests"]) == (
        0,
        1,
        1,
    )  # one catch-up reminder
    first = await sweep(office, at(9, 8))  # quiet hours are over, the digest time is not reached
    assert (first["escalations"], first["digests"]) == (1, 0)
    second = await sweep(office, at(9, 9))
    assert (second["escalations"], second["reminders"], second["digests"]) == (0, 1, 1)
    third = await sweep(office, at(9, 18))
    assert (third["escalations"], third["reminders"], third["digests"]) == (0, 0, 0)
    assert (await sweep(office, at(10, 9)))["digests"] == 1  # the next day's

    escalations = await kit.deliveries(kind="escalation")
    assert {(d.channel, d.recipient) for d in escalations} >= {
        ("inbox", office.unit_id),
        ("email", "office@luqiao.gov.cn"),
    }
    assert "已逾期1天" in escalations[0].body
    digests = [d for d in await kit.deliveries(kind="digest") if d.channel == "email"]
    assert len(digests) == 3  # 8, 9 and 10 September
    assert (
        "在办整改事项1件，其中逾期0件" in digests[0].body
        and "在办整改事项1件，其中逾期1件" in digests[1].body
    )
    assert [t for t, _ in await kit.events(account_id=unit.account_id)].count("case.escalated") == 1
    # Delivered e-mail is forgotten after the retention (30 days); the inbox stays.
    async with kit.sessions() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.channel == "email")
            .values(status="delivered", delivered_at=at(10, 10))
        )
    # The purge is of every region: a province admin's sweep does it (and the scheduled one), a county's not.
    province = kit.person("省办", ["office_staff", "office_admin"], unit=None, region="330000")
    assert (await sweep(province, at(10, 10) + timedelta(days=29)))["purged"] == 0
    assert (await sweep(office, at(10, 10) + timedelta(days=31)))["purged"] == 0
    assert (await sweep(province, at(10, 10) + timedelta(days=31)))["purged"] >= 3
    assert not await kit.deliveries(channel="email", status="delivered")
    assert await kit.deliveries(channel="inbox", kind="escalation")


async def test_sms_goes_to_the_gateway_with_its_delivery_id_and_a_reminder_never_at_night(
    notify: NotifyKit,
) -> None:
    kit = notify
    office = await kit.office()
    unit = await kit.unit(contact_phone="13800000000")
    received: list[tuple[dict[str, Any], str, datetime]] = []

    async def gateway(request: Request) -> Response:
        body = orjson.loads(await request.body())
        received.append((body, request.headers.get("authorization", ""), kit.clock.now()))
        return Response(status_code=202)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/sms", gateway, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.02)
    kit.settings.sms_gateway_url = f"http://127.0.0.1:{port}/sms"  # SMS is written only with a gateway
    dispatcher = kit.dispatcher(sms_gateway_url=kit.settings.sms_gateway_url, sms_gateway_token="gw-token")
    try:
        kit.clock.set(at(1, 10))
        await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
        await dispatcher.run_once()
        # The reminder of the next morning is written at 09:00, but the dispatcher only gets to it at 23:30
        # (it was down): it holds the reminder until quiet hours end at 08:00.
        await sweep(office, at(2, 9))
        kit.clock.set(at(2, 23, 30))
        assert await dispatcher.run_once() == 0
        kit.clock.set(at(3, 7, 59))
        assert await dispatcher.run_once() == 0
        kit.clock.set(at(3, 8, 0))
        assert await dispatcher.run_once() == 1
    finally:
        await dispatcher.close()
        server.should_exit = True
        await task
    notice, reminder = await kit.deliveries(channel="sms")
    assert notice.status == reminder.status == "delivered"
    (first, auth, _), (second, _, sent_at) = received
    assert auth == "Bearer gw-token"
    assert first["id"] == notice.id and first["to"] == "13800000000"
    assert first["text"].startswith("【即时通报】路桥市场监管存在违规：内容不更新")
    assert second["id"] == reminder.id and second["text"].startswith("【督促整改】")
    assert sent_at == at(3, 8, 0)
