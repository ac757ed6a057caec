"""How long a consumer group member may stay silent before the coordinator gives its partitions to others
(``session_timeout_ms``) and how often it says it is alive (``heartbeat_interval_ms``): from the broker
settings (``GOVMEDIA_KAFKA_CONSUMER_*``), aiokafka's defaults unless set. A shorter session lets a group form
sooner (a join waits on the members the coordinator may still expect) and a restarted member's partitions
come back sooner; a member that stays silent longer than it (a blocked event loop) is replaced."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from govmedia_common import consumer
from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.events import AccountFiled
from govmedia_common.settings import KafkaSettings


async def _one(event: Any, ctx: MessageContext, session: Any) -> None:
    return None


async def test_the_runner_joins_with_the_session_timeout_and_heartbeat_of_its_broker_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given: dict[str, Any] = {}

    class Consumer:
        def __init__(self, **kwargs: Any) -> None:
            given.update(kwargs)

        async def start(self) -> None:
            return None

        def subscribe(self, topics: list[str], listener: Any) -> None:
            return None

    monkeypatch.setattr(consumer, "AIOKafkaConsumer", Consumer)
    kafka = KafkaSettings(
        bootstrap="127.0.0.1:1", consumer_session_timeout_ms=3_000, consumer_heartbeat_interval_ms=500
    )
    runner = ConsumerRunner(
        service="test", group_id="g", handlers={AccountFiled: _one}, sessions=None,  # type: ignore[arg-type]  # no database: none is reached
        kafka=kafka, dlt_producer=None,
    )  # fmt: skip
    await runner.start()
    assert (given["session_timeout_ms"], given["heartbeat_interval_ms"]) == (3_000, 500)


def test_the_defaults_are_aiokafkas_and_the_heartbeat_comes_well_within_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = KafkaSettings()
    assert (defaults.consumer_session_timeout_ms, defaults.consumer_heartbeat_interval_ms) == (10_000, 3_000)
    monkeypatch.setenv("GOVMEDIA_KAFKA_CONSUMER_SESSION_TIMEOUT_MS", "4000")
    monkeypatch.setenv("GOVMEDIA_KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS", "1000")
    assert KafkaSettings().consumer_session_timeout_ms == 4_000
    with pytest.raises(ValidationError, match="consumer_heartbeat_interval_ms"):
        KafkaSettings(consumer_session_timeout_ms=3_000, consumer_heartbeat_interval_ms=1_500)
