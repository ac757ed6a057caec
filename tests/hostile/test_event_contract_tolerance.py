"""What the event contract promises consumers must tolerate, tried on notify's alert consumer on the real
broker (docs/events.md, "What this asks of a consumer"):

* a newer producer's event with fields this build does not know (additive: the contract) is taken;
* an unknown ``ce_type`` on a shared topic (a ``.v2``, a new event) is skipped, not dead-lettered, and the
  partition moves on;
* the same records delivered twice (a redelivery, a replay of a whole batch) take effect once;
* the same ``ce_id`` with another body is dropped as the redelivery it claims to be (deduplicate on
  ``ce_id``).

They held when tried; they stay as guards.
"""

from __future__ import annotations

import uuid

import orjson
import pytest

from govmedia_common.envelope import wrap
from govmedia_common.events.monitor import AlertRaised
from govmedia_common.kafka import make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_platform.launcher import Infrastructure
from tests.hostile.consumer_kit import dead_letters, raised, running

pytestmark = pytest.mark.integration


async def send_raw(bootstrap: str, records: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    """(topic, key, value, headers) as given, in order."""
    producer = make_producer(KafkaSettings(bootstrap=bootstrap), "contract-tolerance-test")
    await producer.start()
    try:
        for topic, key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def record(
    event: AlertRaised, *, ce_type: str | None = None, ce_id: str | None = None, **extra: object
) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    env = wrap(event)
    headers = [
        (
            k,
            (
                ce_type.encode()
                if k == "ce_type" and ce_type
                else ce_id.encode()
                if k == "ce_id" and ce_id
                else v
            ),
        )
        for k, v in env.headers()
    ]
    return event.topic, env.subject.encode(), orjson.dumps({**env.data, **extra}), headers


async def test_notify_takes_additive_fields_skips_unknown_types_and_takes_each_event_once(
    infra: Infrastructure, kafka_topics: None
) -> None:
    account = str(uuid.uuid4())
    newer, unknown_v2, unknown_new, after, replayed, reused = (raised(account) for _ in range(6))
    records = [
        record(
            newer, escalation_hint={"level": 2}, channel_priority="high"
        ),  # fields of a later minor version
        record(unknown_v2, ce_type="gov.monitor.alert.raised.v2"),
        record(unknown_new, ce_type="gov.monitor.alert.snoozed.v1"),
        record(after),
        record(replayed),
    ]
    records.append(records[-1])  # the same record again
    reused_id = dict(records[0][3])["ce_id"].decode()
    records.append(record(reused, ce_id=reused_id))  # another body under an id already handled
    async with running(infra, "notify") as notify:
        await send_raw(infra.kafka_bootstrap, records)
        ids = [dict(r[3])["ce_id"].decode() for r in records]
        await notify.handled([ids[0], ids[3], ids[4]])
        cases = await notify.sql(
            "SELECT alert_id FROM cases WHERE account_id = :a ORDER BY alert_id", a=account
        )
        assert sorted(c[0] for c in cases) == sorted([newer.alert_id, after.alert_id, replayed.alert_id])
        # one notice per case (the fresh database knows no office of the region: the unit is the only
        # recipient): the replayed record and the reused id added nothing. Other tests' events on the
        # session's broker are not this run's (consumer_kit: groups of its own, from the topics' end).
        notices = await notify.sql(
            "SELECT count(*) FROM deliveries WHERE kind = 'notice' AND channel = 'inbox' "
            "AND payload->>'account_id' = :a",
            a=account,
        )
        assert notices == [(3,)], notices
        letters = await dead_letters(infra.kafka_bootstrap, newer.topic, ids)
        assert letters == {}, "an event the contract says to take or skip was dead-lettered"
