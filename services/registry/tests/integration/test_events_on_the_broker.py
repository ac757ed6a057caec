"""The account events a whole life cycle publishes, read back from the real broker as an integrator would."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from govmedia_common.events import event_class
from services.registry.tests.integration.factory import Registry, Taizhou, decide, on, open_body, with_etag

pytestmark = pytest.mark.integration

TOPIC = "gov.registry.accounts"
APPROVED_3 = ["approved", "approved", "approved"]
EXPECTED = [
    "filed",
    "approved",
    "returned",
    "filed",
    *APPROVED_3,
    "announced",
    "opened",  # open, returned once
    "filed",
    *APPROVED_3,
    "announced",
    "changed",  # rename
    "filed",
    *APPROVED_3,
    "suspended",  # suspension: no announcement
    "filed",
    *APPROVED_3,
    "announced",
    "deregistered",  # deregistration after the stop-update notice
]


def _fresh_group_consumer(bootstrap: str) -> AIOKafkaConsumer:
    """A consumer in a group of its own that starts from the earliest record, as a new integrator would."""
    return AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"acceptance-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def _account_events(
    consumer: AIOKafkaConsumer, account_id: str, expect: int, within: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records keyed by ``account_id``, polled until ``expect`` arrived or ``within`` seconds passed."""
    found: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + within
    while len(found) < expect and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            found.extend(r for r in records if r.key == account_id.encode())
    return found


async def _life_cycle_events(
    registry: Registry, consumer: AIOKafkaConsumer, joining: asyncio.Task[None]
) -> tuple[str, list[ConsumerRecord[bytes, bytes]]]:
    """Open (returned once), rename, suspend, deregister one account; its id and records from the broker."""
    tz = await Taizhou.build(registry)
    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    account_id, fid = filing["account_id"], filing["id"]
    assert (await decide(hu.boss, fid, "approve")).status_code == 200
    assert (await decide(tz.county, fid, "return", "请补充安全责任人")).status_code == 200
    r = await with_etag(
        hu.filer,
        "POST",
        f"/v1/filings/{fid}/resubmit",
        f"/v1/filings/{fid}",
        json={"changes": {"operators": {"security_officer": "王五"}}},
    )
    assert r.status_code == 200, r.text
    await tz.apply_after(await tz.approve_all(hu, fid))

    registry.clock.set(on("2025-11-03"))
    change = await tz.file(
        hu,
        {
            "type": "change",
            "account_id": account_id,
            "event_date": "2025-11-03",
            "changes": {"name": "路桥区市场监管"},
            "reason": "名称规范",
        },
    )
    await tz.apply_after(await tz.approve_all(hu, change["id"]))
    registry.clock.set(on("2025-11-26"))
    suspend = await tz.file(
        hu,
        {
            "type": "suspend",
            "account_id": account_id,
            "event_date": "2025-11-26",
            "reason": "机构改革暂停运营",
        },
    )
    await tz.approve_all(hu, suspend["id"])
    notice = await with_etag(
        hu.filer,
        "POST",
        f"/v1/accounts/{account_id}/stop-update-notice",
        f"/v1/accounts/{account_id}",
        json={"published_on": "2025-11-26"},
    )
    assert notice.status_code == 200, notice.text
    deregister = await tz.file(
        hu,
        {
            "type": "deregister",
            "account_id": account_id,
            "event_date": "2025-11-26",
            "reason": "职能划转,账号注销",
        },
    )
    await tz.apply_after(await tz.approve_all(hu, deregister["id"]))
    assert (await tz.account(account_id))["status"] == "deregistered"

    await joining
    return account_id, await _account_events(consumer, account_id, len(EXPECTED))


async def test_a_full_life_cycle_publishes_valid_cloudevents_in_order_keyed_by_the_account(
    registry: Registry,
) -> None:
    consumer = _fresh_group_consumer(registry.app.state.runtime.settings.kafka.bootstrap)
    joining = asyncio.create_task(consumer.start())  # joining a group takes seconds: overlap it with the work
    try:
        account_id, records = await _life_cycle_events(registry, consumer, joining)
    finally:
        if not joining.done():
            joining.cancel()
        await asyncio.gather(joining, return_exceptions=True)
        await consumer.stop()

    types = [dict(r.headers)["ce_type"].decode() for r in records]
    assert [t.removeprefix("gov.registry.account.").removesuffix(".v1") for t in types] == EXPECTED
    assert len({r.partition for r in records}) == 1  # one key, one partition, in order
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    ids = set()
    for record, ce_type in zip(records, types, strict=True):
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == "/govmedia/registry"
        assert headers["ce_subject"] == account_id
        assert headers["content-type"] == "application/json"
        assert headers["traceparent"].startswith("00-")
        ids.add(headers["ce_id"])
        cls = event_class(ce_type)
        assert cls is not None, ce_type
        event = cls.model_validate(orjson.loads(record.value or b""))
        assert event.aggregate_id == account_id
        assert datetime.fromisoformat(headers["ce_time"]) == event.occurred_at  # type: ignore[attr-defined]  # every catalogue event has it, not Event
    assert len(ids) == len(records)  # every event has its own id

    opened = orjson.loads(records[EXPECTED.index("opened")].value or b"")
    assert (opened["account"]["status"], opened["actor_id"]) == ("active", "system")  # applied by apply-due
    last = orjson.loads(records[-1].value or b"")
    assert (last["account"]["status"], last["account"]["name"], last["stop_notice_on"]) == (
        "deregistered",
        "路桥区市场监管",
        "2025-11-26",
    )


async def _events_of(
    consumer: AIOKafkaConsumer, expected: dict[str, int], within: float = 30.0
) -> dict[str, list[ConsumerRecord[bytes, bytes]]]:
    """Records per account key, polled once for all keys until each has its expected count."""
    found: dict[str, list[ConsumerRecord[bytes, bytes]]] = {k: [] for k in expected}
    deadline = time.monotonic() + within
    while any(len(found[k]) < n for k, n in expected.items()) and time.monotonic() < deadline:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for r in records:
                key = (r.key or b"").decode()
                if key in found:
                    found[key].append(r)
    return found


def _types_and_valid(records: list[ConsumerRecord[bytes, bytes]]) -> list[str]:
    """The short event types of ``records``, each value validated against its catalogue class."""
    types = []
    for record in records:
        ce_type = dict(record.headers)["ce_type"].decode()
        cls = event_class(ce_type)
        assert cls is not None, ce_type
        cls.model_validate(orjson.loads(record.value or b""))
        types.append(ce_type.removeprefix("gov.registry.account.").removesuffix(".v1"))
    return types


async def test_rejection_withdrawal_and_merge_are_published_valid_and_keyed_by_their_account(
    registry: Registry,
) -> None:
    consumer = _fresh_group_consumer(registry.app.state.runtime.settings.kafka.bootstrap)
    joining = asyncio.create_task(consumer.start())
    try:
        tz = await Taizhou.build(registry)
        hu = await tz.host_unit()
        rejected = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
        assert (await decide(hu.boss, rejected["id"], "approve")).status_code == 200
        assert (await decide(tz.county, rejected["id"], "reject", "职能交叉，不予开设")).status_code == 200
        withdrawn = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
        r = await with_etag(
            hu.filer, "POST", f"/v1/filings/{withdrawn['id']}/withdraw", f"/v1/filings/{withdrawn['id']}"
        )
        assert r.status_code == 200, r.text
        target = await tz.active_account(hu, "路桥市场监管", "wechat")
        source = await tz.active_account(hu, "路桥市场监管", "weibo")
        registry.clock.set(on("2025-12-01"))
        merge = await tz.file(
            hu,
            {
                "type": "merge",
                "account_id": target["id"],
                "merged_account_ids": [source["id"]],
                "event_date": "2025-12-01",
                "reason": "整合同一单位的重复账号",
            },
        )
        await tz.apply_after(await tz.approve_all(hu, merge["id"]))
        assert (await tz.account(source["id"]))["status"] == "merged"
        await joining
        expected = {rejected["account_id"]: 3, withdrawn["account_id"]: 2, target["id"]: 11}
        got = await _events_of(consumer, expected)
        got_rejected, got_withdrawn, got_target = (got[k] for k in expected)
    finally:
        if not joining.done():
            joining.cancel()
        await asyncio.gather(joining, return_exceptions=True)
        await consumer.stop()

    assert _types_and_valid(got_rejected) == ["filed", "approved", "rejected"]
    assert _types_and_valid(got_withdrawn) == ["filed", "withdrawn"]
    # the target: opened, then the merge filed, approved at three levels, announced and applied
    assert _types_and_valid(got_target)[-6:] == ["filed", *APPROVED_3, "announced", "merged"]
    merged = orjson.loads(got_target[-1].value or b"")
    assert merged["merged_account_ids"] == [source["id"]]
    assert merged["merged_accounts"][0]["status"] == "merged"
