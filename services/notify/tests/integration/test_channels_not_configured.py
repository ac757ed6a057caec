"""A channel the deployment has not configured (no SMS gateway): nothing is queued for it, and the operator
and the clerk see that it is not configured, instead of deliveries that retry eight times, go dead and
alert."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update

from govmedia_common.workdays import SHANGHAI
from govmedia_notify.main import start_background
from govmedia_notify.models import Delivery

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


async def test_without_an_sms_gateway_no_sms_is_queued_and_the_channel_says_not_configured(
    notify: NotifyKit, caplog: pytest.LogCaptureFixture
) -> None:
    kit = notify
    assert kit.settings.sms_gateway_url is None  # the default deployment
    office = await kit.office(contact_email="office@luqiao.gov.cn")
    unit = await kit.unit(contact_phone="13800000000", contact_email="unit@luqiao.gov.cn")
    kit.clock.set(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI))
    await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
    notices = await kit.deliveries(kind="notice")
    assert {d.channel for d in notices} == {"inbox", "email"}, "no SMS row to retry, go dead and alert"
    assert await kit.deliveries(channel="sms") == []

    r = await office.http.get("/v1/channels")
    assert r.status_code == 200, r.text
    channels = {c["channel"]: c for c in r.json()}
    assert channels["sms"]["configured"] is False
    assert "GOVMEDIA_NOTIFY_SMS_GATEWAY_URL" in channels["sms"]["detail"]
    assert channels["inbox"]["configured"] is channels["webhook"]["configured"] is True

    metrics = (await office.http.get("/metrics")).text
    assert 'govmedia_delivery_channel_configured{channel="sms",service="notify"} 0.0' in metrics, metrics
    assert (
        REGISTRY.get_sample_value(
            "govmedia_delivery_channel_configured", {"service": "notify", "channel": "inbox"}
        )
        == 1.0
    )

    # At startup, one line says it (the startup again here: the app's logging setup replaced the handler
    # that would have caught the first one; the dispatcher and sweep are off in this kit).
    caplog.set_level(logging.INFO, logger="govmedia_notify")
    await start_background(kit.runtime)
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "SMS" in r.getMessage()]
    assert len(said) == 1 and said[0][0] == logging.WARNING, said
    assert "GOVMEDIA_NOTIFY_SMS_GATEWAY_URL" in said[0][1], said


async def test_without_an_smtp_server_no_email_is_queued_and_the_channel_says_not_configured(
    notify: NotifyKit, caplog: pytest.LogCaptureFixture
) -> None:
    """A container has no mail server on its own 127.0.0.1:25: every e-mail failed 8 times and went dead."""
    kit = notify
    kit.settings.smtp_host = None  # a deployment that set no GOVMEDIA_NOTIFY_SMTP_HOST (the default)
    await kit.office(contact_email="office@luqiao.gov.cn")
    unit = await kit.unit(contact_email="unit@luqiao.gov.cn")
    kit.clock.set(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI))
    await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
    assert {d.channel for d in await kit.deliveries(kind="notice")} == {"inbox"}

    admin = kit.person("王主任", ["office_staff"], unit=None)
    channels = {c["channel"]: c for c in (await admin.http.get("/v1/channels")).json()}
    assert channels["email"]["configured"] is False
    assert "GOVMEDIA_NOTIFY_SMTP_HOST" in channels["email"]["detail"]

    caplog.set_level(logging.INFO, logger="govmedia_notify")
    await start_background(kit.runtime)
    said = sorted(r.getMessage() for r in caplog.records if "not configured" in r.getMessage())
    assert [m.split(":")[0] for m in said] == [
        "delivery channel email not configured",
        "delivery channel sms not configured",
    ], said
    assert (
        REGISTRY.get_sample_value(
            "govmedia_delivery_channel_configured", {"service": "notify", "channel": "email"}
        )
        == 0.0
    )


async def test_a_dead_delivery_of_a_channel_not_configured_is_not_sent_again_and_the_answer_says_why(
    notify: NotifyKit,
) -> None:
    """SMS written while a gateway was set (or before this version), dead since: a redelivery could only fail
    eight times more; it is refused naming the setting, and the row stays on the dead list."""
    kit = notify
    office = await kit.office()
    unit = await kit.unit(contact_phone="13800000000")
    kit.settings.sms_gateway_url = "http://127.0.0.1:9/sms"
    kit.clock.set(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI))
    await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
    [sms] = await kit.deliveries(channel="sms")
    async with kit.sessions() as session, session.begin():
        await session.execute(update(Delivery).where(Delivery.id == sms.id).values(status="dead", attempts=8))
    kit.settings.sms_gateway_url = None  # the gateway is gone

    r = await office.http.post(f"/v1/deliveries/{sms.id}/redelivery")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json", r.text
    assert r.json()["code"] == "channel-not-configured"
    assert "GOVMEDIA_NOTIFY_SMS_GATEWAY_URL" in r.json()["detail"], r.text
    assert [d.status for d in await kit.deliveries(channel="sms")] == ["dead"]


async def test_pending_deliveries_of_a_channel_no_longer_configured_go_to_the_dead_list_at_once(
    notify: NotifyKit, caplog: pytest.LogCaptureFixture
) -> None:
    """Written while a gateway was set (or before this version) and still pending: not tried eight times over
    hours (each failure counted, alerting), but set aside once, on the dead list with the cause."""
    kit = notify
    await kit.office()
    unit = await kit.unit(contact_phone="13800000000")
    kit.settings.sms_gateway_url = "http://127.0.0.1:9/sms"
    kit.clock.set(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI))
    await kit.raise_alert(kit.alert(unit, at=kit.clock.now()))
    kit.settings.sms_gateway_url = None  # the deployment now has no gateway
    labels = {"service": "notify", "channel": "sms", "outcome": "failed"}
    failed_before = REGISTRY.get_sample_value("govmedia_delivery_attempts_total", labels) or 0.0
    dispatcher = kit.dispatcher()
    caplog.set_level(logging.INFO, logger="govmedia_notify")
    try:
        await dispatcher.run_once()
    finally:
        await dispatcher.close()
    [sms] = await kit.deliveries(channel="sms")
    assert (sms.status, sms.attempts) == ("dead", 0), (sms.status, sms.attempts, sms.last_error)
    assert sms.last_error and "GOVMEDIA_NOTIFY_SMS_GATEWAY_URL" in sms.last_error
    assert (REGISTRY.get_sample_value("govmedia_delivery_attempts_total", labels) or 0.0) == failed_before
    said = [r.getMessage() for r in caplog.records if "not configured" in r.getMessage()]
    assert len(said) == 1 and "1 sms" in said[0], said
