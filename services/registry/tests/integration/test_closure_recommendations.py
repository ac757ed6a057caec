"""A forced-closure recommendation (关停整合建议) from notify opens a deregistration filing (注销备案).

The registry consumes ``ClosureRecommended`` and files the deregistration on behalf of the competent office
of the account's region; the host unit publishes its stop-update notice (停更公告) and approves, the offices
above decide as for any filing. A second delivery changes nothing, and an account already deregistered or
with a deregistration under way is left alone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY

from govmedia_common.envelope import wrap
from govmedia_common.events.notify import ClosureRecommended
from govmedia_common.events.types import AlertRule
from govmedia_common.handlers import BatchHandler
from govmedia_platform.launcher import Infrastructure
from govmedia_registry.filings.closure import closure_handlers
from services.registry.tests.integration.conftest import running_registry
from services.registry.tests.integration.factory import (
    HostUnit,
    Registry,
    Taizhou,
    assert_problem,
    decide,
    on,
    with_etag,
)

pytestmark = pytest.mark.integration

REASON = "2025-Q4: listed 3 times for not updating; more than allowed"


def recommendation(account: dict[str, Any], *, quarter: str = "2025-Q4", at: datetime) -> ClosureRecommended:
    return ClosureRecommended(
        occurred_at=at,
        account_id=account["id"],
        unit_id=account["unit_id"],
        rule=AlertRule.NOT_UPDATED,
        notice_count=2,
        case_ids=(str(uuid.uuid4()), str(uuid.uuid4())),
        reason=REASON,
        quarter=quarter,
        listings=3,
    )


async def _recommend(registry: Registry, event: ClosureRecommended) -> None:
    """Hand the event to the registry's handler (the consumer's code path without the broker)."""
    [handler] = closure_handlers(lambda: registry.clock).values()
    assert not isinstance(handler, BatchHandler)
    async with registry.app.state.runtime.sessions() as session, session.begin():
        # No broker, no message context: the registry's handler takes ``MessageContext | None``.
        await handler(event, None, session)  # type: ignore[arg-type]


async def _deregistrations(tz: Taizhou, account_id: str) -> list[dict[str, Any]]:
    r = await tz.city.get("/v1/filings", params={"account_id": account_id})
    assert r.status_code == 200, r.text
    return [f for f in r.json()["items"] if f["type"] == "deregister"]


def _outcomes() -> dict[str, float]:
    names = ("filed", "already_deregistered", "deregistration_in_progress")
    return {
        n: REGISTRY.get_sample_value(
            "govmedia_registry_closure_recommendations_total", {"service": "registry", "outcome": n}
        )
        or 0.0
        for n in names
    }


@pytest.fixture(scope="module")
async def consuming(infra: Infrastructure, kafka_topics: None) -> AsyncIterator[Registry]:
    async with running_registry(infra, consumers=True) as registry:
        yield registry


@pytest.fixture(scope="module")
async def tz(consuming: Registry) -> Taizhou:
    return await Taizhou.build(consuming)


async def _handled_everything(registry: Registry, topic: str) -> bool:
    """Whether the registry's closure consumer group has committed up to the end of ``topic``."""
    group = registry.app.state.runtime.settings.kafka.group_id("registry", "closures")
    bootstrap = registry.app.state.runtime.settings.kafka.bootstrap
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            await consumer.topics()
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(parts)
        for tp, end in ends.items():
            committed = await consumer.committed(tp)
            if end and (committed or 0) < end:
                return False
        return True
    finally:
        await consumer.stop()


async def test_a_recommendation_on_the_broker_opens_one_deregistration_filing_for_the_office_even_twice(
    consuming: Registry, tz: Taizhou
) -> None:
    hu = await tz.host_unit()
    account = await tz.active_account(hu)
    consuming.clock.set(on("2026-01-05"))
    event = recommendation(account, at=on("2026-01-05", 9))
    envelope = wrap(event)
    producer = AIOKafkaProducer(bootstrap_servers=consuming.app.state.runtime.settings.kafka.bootstrap)
    await producer.start()
    try:
        for _ in range(2):  # the broker delivers the same record twice (a retry after a lost ack)
            await producer.send_and_wait(
                event.topic,
                value=orjson.dumps(envelope.data),
                key=envelope.subject.encode(),
                headers=envelope.headers(),
            )
    finally:
        await producer.stop()

    deadline = time.monotonic() + 60
    while not await _deregistrations(tz, account["id"]) or not await _handled_everything(
        consuming, event.topic
    ):
        assert time.monotonic() < deadline, "the registry did not file the recommended deregistration"
        await asyncio.sleep(0.2)

    [filing] = await _deregistrations(tz, account["id"])
    office = tz.county_office
    assert (filing["status"], filing["current_level"], filing["levels"]) == (
        "pending",
        "unit",
        ["unit", "county", "city"],
    )
    assert filing["filed_by"] == f"office:{office['id']}"
    assert filing["event_date"] == "2026-01-05"
    assert REASON in filing["payload"]["reason"]
    assert filing["payload"]["recommendation"]["quarter"] == "2025-Q4"
    assert [d["decision"] for d in filing["decisions"]] == ["submitted"]
    assert REASON in filing["decisions"][0]["reason"]
    assert filing["decisions"][0]["actor_name"] == office["name"]
    assert (await tz.account(account["id"]))["status"] == "active"  # nothing changes before approval

    history = (await tz.county.get(f"/v1/accounts/{account['id']}/history")).json()["items"]
    filed = [h for h in history if h["kind"] == "filed" and h["filing_id"] == filing["id"]]
    assert len(filed) == 1 and filed[0]["data"]["recommendation"]["listings"] == 3
    audit = await consuming.sql("SELECT * FROM audit_log WHERE target = $1", filing["id"])
    assert [(a["action"], a["actor_id"]) for a in audit] == [("filing.deregister", f"office:{office['id']}")]
    assert REASON in orjson.loads(audit[0]["detail"])["reason"]
    announced = await consuming.sql(
        "SELECT payload FROM outbox WHERE type = 'gov.registry.account.filed.v1' AND aggregateid = $1",
        account["id"],
    )
    deregister = [orjson.loads(r["payload"]) for r in announced]
    deregister = [p for p in deregister if p["filing_type"] == "deregister"]
    assert len(deregister) == 1 and REASON in deregister[0]["reason"]


async def test_the_unit_completes_the_recommended_deregistration_after_its_stop_update_notice(
    consuming: Registry, tz: Taizhou
) -> None:
    hu: HostUnit = await tz.host_unit(
        name="台州市路桥区文化和广电旅游体育局", short_name="文广旅体局", duty_keywords=("文化", "旅游")
    )
    account = await tz.active_account(hu, name="路桥文化旅游")
    consuming.clock.set(on("2026-01-05"))
    before = _outcomes()
    await _recommend(consuming, recommendation(account, at=on("2026-01-05", 9)))
    [filing] = await _deregistrations(tz, account["id"])
    # Nothing is approved before the unit's stop-update notice is on record.
    assert_problem(await decide(hu.boss, filing["id"], "approve"), 409, "account-stop-notice-required")
    r = await with_etag(
        hu.filer,
        "POST",
        f"/v1/accounts/{account['id']}/stop-update-notice",
        f"/v1/accounts/{account['id']}",
        json={"published_on": "2026-01-05", "text": "本账号即日起停止更新。"},
    )
    assert r.status_code == 200, r.text
    # A redelivery, or a later quarter's recommendation, leaves the deregistration under way alone.
    await _recommend(consuming, recommendation(account, quarter="2026-Q1", at=on("2026-01-05", 11)))
    assert len(await _deregistrations(tz, account["id"])) == 1
    approved = await tz.approve_all(hu, filing["id"])
    assert approved["status"] == "approved"
    await _recommend(consuming, recommendation(account, quarter="2026-Q1", at=on("2026-01-06", 11)))
    await tz.apply_after(approved)
    assert (await tz.account(account["id"]))["status"] == "deregistered"
    # An account already deregistered is left alone as well.
    await _recommend(consuming, recommendation(account, quarter="2026-Q2", at=on("2026-04-01", 11)))
    assert len(await _deregistrations(tz, account["id"])) == 1
    after = _outcomes()
    assert {k: after[k] - before[k] for k in after} == {
        "filed": 1,
        "deregistration_in_progress": 2,
        "already_deregistered": 1,
    }


async def test_the_recommending_office_may_withdraw_its_filing_and_the_unit_may_not(
    consuming: Registry, tz: Taizhou
) -> None:
    hu = await tz.host_unit(name="台州市路桥区农业农村局", short_name="农业农村局", duty_keywords=("农业",))
    account = await tz.active_account(hu, name="路桥农业农村")
    consuming.clock.set(on("2026-01-05"))
    await _recommend(consuming, recommendation(account, at=on("2026-01-05", 9)))
    [filing] = await _deregistrations(tz, account["id"])
    url = f"/v1/filings/{filing['id']}"
    assert_problem(await with_etag(hu.filer, "POST", f"{url}/withdraw", url), 403, "filing-not-filer")
    r = await with_etag(tz.county, "POST", f"{url}/withdraw", url)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert (await tz.account(account["id"]))["status"] == "active"
