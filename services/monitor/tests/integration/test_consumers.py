"""The monitor learns accounts and reviewed posts from the registry's and review's events on the broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING

import pytest
from aiokafka import AIOKafkaProducer

from govmedia_common.envelope import wrap
from govmedia_common.events import (
    AccountOpened,
    AccountSnapshot,
    AccountStatus,
    AttentionTier,
    Event,
    Platform,
    PostOverridden,
)
from govmedia_common.hashing import content_hash
from govmedia_monitor.models import Alert

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


async def send(bootstrap: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            env = wrap(event)
            await producer.send_and_wait(
                event.topic, env.value(), key=event.aggregate_id.encode(), headers=env.headers()
            )
    finally:
        await producer.stop()


async def test_an_override_announced_by_the_review_on_the_broker_raises_an_alert_twice_delivered_once(
    monitor_consuming: MonitorKit,
) -> None:
    kit = monitor_consuming
    account_id, post_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = kit.clock.now()
    opened = AccountOpened(
        occurred_at=now,
        account_id=account_id,
        filing_id=str(uuid.uuid4()),
        actor_id="system",
        effective_on=now.date(),
        account=AccountSnapshot(
            account_id=account_id,
            name="路桥发布",
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=str(uuid.uuid4()),
            unit_name="台州市路桥区人民政府办公室",
            region_code="331004",
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.HIGH,
            interaction_enabled=True,
            review_levels=3,
            certified=True,
            matrix_badge=None,
            outsourced=False,
        ),
    )
    overridden = PostOverridden(
        occurred_at=now,
        account_id=account_id,
        post_id=post_id,
        approver_id=str(uuid.uuid4()),
        approver_name="领导",
        reason="已核实",
        blocking_categories=("serious_expression_error",),
        content_hash=content_hash("", "正文"),
    )
    await send(kit.infra.kafka_bootstrap, [opened])
    # The same fact announced twice (two envelopes): the unique (account, rule, period) keeps one alert.
    await send(kit.infra.kafka_bootstrap, [overridden, overridden])

    deadline = time.monotonic() + 90  # a consumer group joins slowly on a busy machine
    alerts: list[Alert] = []
    while time.monotonic() < deadline:
        alerts = await kit.alerts(account_id)
        if alerts:
            break
        await asyncio.sleep(0.2)
    assert [(a.rule, a.period) for a in alerts] == [("override", post_id)]
    await asyncio.sleep(1.0)
    assert len(await kit.alerts(account_id)) == 1, "a redelivered fact raises nothing new"
