"""An offset commit that never finishes must not stop the consumer.

aiokafka retries a commit for as long as the broker answers with a retriable error, and it calls the
rebalance listener (which commits what was handled) before it rejoins the group, while every poll waits for
the new assignment. After a broker restart, a commit into a group the new broker does not know kept one
consumer group of a service from ever rejoining: nothing of its topics was handled again. A commit is worth
little (a lost one means records come again, and the inbox drops them), so it is given a bounded time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition

from govmedia_common import consumer_pipeline
from govmedia_common.consumer import ConsumerRunner, MessageContext
from govmedia_common.events import AccountFiled
from govmedia_common.settings import KafkaSettings

TP = TopicPartition("gov.registry.accounts", 3)


class _StuckConsumer:
    """A consumer whose commit never returns (aiokafka retrying a retriable error forever)."""

    def __init__(self) -> None:
        self.commits = 0

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def commit(self, offsets: Any) -> None:
        self.commits += 1
        await asyncio.Event().wait()


async def _one(event: Any, ctx: MessageContext, session: Any) -> None:
    return None


def _runner() -> ConsumerRunner:
    return ConsumerRunner(
        service="test", group_id="g", handlers={AccountFiled: _one}, sessions=None,  # type: ignore[arg-type]  # no database: none is reached
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"), dlt_producer=None,
    )  # fmt: skip


async def test_a_revocation_whose_commit_never_finishes_lets_the_group_rejoin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumer_pipeline, "COMMIT_TIMEOUT_SECONDS", 0.2)
    runner = _runner()
    stuck = _StuckConsumer()
    runner.consumer = stuck
    runner._pending = {TP: 7}
    runner._commit_soon()  # a background commit under way, stuck as well
    await asyncio.wait_for(runner._on_revoke(), 5)  # the rebalance listener returns
    assert stuck.commits >= 1
    assert runner._committed == {}, "an offset whose commit did not finish is not taken as committed"
    await asyncio.wait_for(runner._settle_commits(), 5)
    runner._pending = {TP: 9}
    await asyncio.wait_for(runner.commit_pending(), 5)  # stopping the runner does not hang either
