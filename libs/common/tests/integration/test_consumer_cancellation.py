"""Cancelling a consumer stops it, even when the cancel lands just as a message's transaction completes.

On Python 3.11 ``asyncio.wait_for`` returns the inner result and drops the cancellation when both happen in
the same loop iteration (CPython gh-86296): a runner built on it could keep consuming after being cancelled.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.db import session_factory
from govmedia_common.envelope import wrap
from govmedia_common.events import AccountFiled

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


def _record(value: bytes, headers: list[tuple[str, bytes]], offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=AccountFiled.topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=None,
        value=value, checksum=None, serialized_key_size=0, serialized_value_size=len(value), headers=headers,
    )  # fmt: skip


async def test_a_cancel_landing_as_a_message_transaction_completes_is_not_swallowed(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("cancel", "CREATE TABLE handled (event_id text)")
    outer: asyncio.Task[str] | None = None

    async def handle(event: AccountFiled, ctx: MessageContext, session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO handled VALUES (:id)"), {"id": ctx.envelope.id})
        consumer = outer
        assert consumer is not None
        here = asyncio.current_task()
        if here is not None and here is not consumer:
            # The handler runs in a task of its own: cancel the consumer in the very iteration in which that
            # task (and with it the message's transaction) completes.
            here.add_done_callback(lambda _: consumer.cancel())
        else:
            asyncio.get_running_loop().call_soon(consumer.cancel)  # lands while the transaction commits

    runner = ConsumerRunner(
        service="test", group_id=f"test-cancel-{uuid.uuid4().hex[:8]}", handlers={AccountFiled: handle},
        sessions=session_factory(engine), kafka=kit.kafka, dlt_producer=await kit.producer(),
    )  # fmt: skip
    for offset in range(20):
        env = wrap(events.account_filed())
        outer = asyncio.create_task(runner.handle_record(_record(env.value(), env.headers(), offset)))
        await asyncio.wait({outer}, timeout=10)
        assert outer.done(), "handle_record did not finish"
        assert outer.cancelled(), f"cancellation swallowed: handle_record returned {outer.result()!r}"
