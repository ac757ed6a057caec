"""The accounts projection: any account event upserts its snapshot; stale events change nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from govmedia_common.envelope import wrap
from govmedia_common.events import AccountMerged, AccountSuspended
from govmedia_common.kafka import make_producer
from govmedia_common.settings import KafkaSettings
from govmedia_review.models import AccountView

from .conftest import START

if TYPE_CHECKING:
    from .conftest import ReviewKit

pytestmark = pytest.mark.integration


async def _status(review: ReviewKit, account_id: str) -> str | None:
    async with review.sessions() as session:
        row = await session.get(AccountView, account_id)
        return row.status if row else None


async def test_events_upsert_the_projection_and_stale_ones_are_ignored(review: ReviewKit) -> None:
    unit = review.unit("财政")
    account = await review.account(unit, at=START)
    suspended = AccountSuspended(
        occurred_at=START - timedelta(hours=1),
        account_id=account,
        account=review.snapshot(account, unit_id=unit.id, status="suspended"),
        filing_id=str(uuid.uuid4()),
        actor_id="system",
        reason="关停",
        effective_on=START.date(),
    )
    await review.apply(suspended)  # older than what the projection holds: ignored
    assert await _status(review, account) == "active"
    await review.submit(unit.editor, account)

    await review.apply(suspended.model_copy(update={"occurred_at": START + timedelta(hours=1)}))
    assert await _status(review, account) == "suspended"
    r = await unit.editor.http.post("/v1/posts", json={"account_id": account, "body": "停更后发文"})
    assert r.status_code == 409 and r.json()["code"] == "account-not-active"

    survivor, merged_away = (
        await review.account(unit, name="财政发布"),
        await review.account(unit, name="旧号"),
    )
    later = START + timedelta(hours=2)
    await review.apply(
        AccountMerged(
            occurred_at=later,
            account_id=survivor,
            account=review.snapshot(survivor, unit_id=unit.id),
            filing_id=str(uuid.uuid4()),
            actor_id="system",
            merged_account_ids=(merged_away,),
            merged_accounts=(review.snapshot(merged_away, unit_id=unit.id, status="merged"),),
            effective_on=later.date(),
        )
    )
    assert (await _status(review, survivor), await _status(review, merged_away)) == ("active", "merged")


async def test_an_account_opened_on_the_broker_reaches_the_projection(review_consuming: ReviewKit) -> None:
    review = review_consuming
    unit = review.unit("住建")
    account = str(uuid.uuid4())
    event = review.opened(account, unit_id=unit.id, at=START)
    env = wrap(event)
    producer = make_producer(KafkaSettings(bootstrap=review.infra.kafka_bootstrap), "test-registry")
    await producer.start()
    try:
        await producer.send_and_wait(
            event.topic, value=env.value(), key=event.aggregate_id.encode(), headers=env.headers()
        )
    finally:
        await producer.stop()
    deadline = time.monotonic() + 30
    while await _status(review, account) is None:
        assert time.monotonic() < deadline, "the consumer did not project the AccountOpened in time"
        await asyncio.sleep(0.2)
    assert await _status(review, account) == "active"
    post, _ = await review.submit(unit.editor, account)
    assert post["review_levels"] == 3
