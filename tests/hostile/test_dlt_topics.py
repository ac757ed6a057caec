"""``govmedia dlt list|replay`` of a topic the broker does not have names it and the closest ones it has.

Found by the outside-testing round (the operator at 3 a.m. typing the topic from memory): ``govmedia dlt
list gov.monitor.alert`` answered "0 dead letter(s) of gov.monitor.alert", exit 0, while
gov.monitor.alerts.dlt held the messages the alert was about; ``dlt replay`` of a misspelt topic said
"replayed 0". Nothing said the topic does not exist.
"""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from govmedia_platform.cli import app
from govmedia_platform.launcher import Infrastructure

pytestmark = pytest.mark.integration


async def _dlt(infra: Infrastructure, *args: str) -> tuple[int, str]:
    command = ["dlt", *args, "--bootstrap", infra.kafka_bootstrap]
    result = await asyncio.to_thread(CliRunner().invoke, app, command)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("command", "typed", "meant"),
    [
        ("list", "gov.monitor.alert", "gov.monitor.alerts"),
        ("replay", "gov.monitr.alerts", "gov.monitor.alerts"),
        ("list", "gov.notify.case.dlt", "gov.notify.cases"),
    ],
)
async def test_a_topic_the_broker_does_not_have_is_named_with_the_closest_ones(
    infra: Infrastructure, kafka_topics: None, command: str, typed: str, meant: str
) -> None:
    code, output = await _dlt(infra, command, typed)
    assert code == 2, output
    assert f"no topic {typed.removesuffix('.dlt')!r}" in output and meant in output, output


async def test_a_topic_of_the_catalogue_lists_its_dead_letters(
    infra: Infrastructure, kafka_topics: None
) -> None:
    for topic in ("gov.monitor.alerts", "gov.monitor.alerts.dlt"):
        code, output = await _dlt(infra, "list", topic)
        assert code == 0 and "dead letter(s) of gov.monitor.alerts" in output, output


async def test_a_replay_of_a_group_or_id_no_dead_letter_has_says_which_there_are(
    infra: Infrastructure, unique_topic: str
) -> None:
    """The same class: 'dlt replay TOPIC --group govmedia.notify.alert' (the group misspelt) said
    'replayed 0 dead letter(s)' while the dead letters of govmedia.notify.alerts waited."""
    from aiokafka import AIOKafkaProducer

    from govmedia_common.kafka import ensure_topics
    from govmedia_common.settings import KafkaSettings

    await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), [unique_topic, f"{unique_topic}.dlt"])
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        headers = [
            ("dlt_consumer_group", b"govmedia.notify.alerts"),
            ("dlt_original_topic", unique_topic.encode()),
        ]
        await producer.send_and_wait(f"{unique_topic}.dlt", value=b"{}", key=b"k", headers=headers)
    finally:
        await producer.stop()
    code, output = await _dlt(infra, "replay", unique_topic, "--group", "govmedia.notify.alert")
    assert code == 2, output
    assert "govmedia.notify.alert'" in output and "govmedia.notify.alerts" in output, output
    code, output = await _dlt(infra, "replay", unique_topic, "--id", "no-such-event-id")
    assert code == 2 and "no-such-event-id" in output, output
