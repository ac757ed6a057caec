"""The pipelined relay claims the next batch while the previous one is still being marked: it must never take
those rows again (they are acknowledged by the broker but not yet marked in the table)."""

from __future__ import annotations

import asyncio
import collections
import uuid
from typing import TYPE_CHECKING

import pytest

from govmedia_common.db import session_factory
from govmedia_common.outbox import OutboxRelay, add_event
from govmedia_common.outbox_claims import ClaimedRow

if TYPE_CHECKING:
    from ..conftest import EventFactory
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration

TOPIC = "gov.registry.accounts"


class SlowMarkingRelay(OutboxRelay):
    """A relay whose marks commit late, as on a busy database: the claim ahead runs meanwhile."""

    async def mark(self, rows: list[ClaimedRow], broker: str | None = None) -> None:
        await asyncio.sleep(0.3)
        await super().mark(rows, broker)


async def test_a_drain_sends_every_row_once_even_when_marks_commit_late(
    kit: PlumbingKit, events: EventFactory
) -> None:
    engine = await kit.database("pipeline")
    sessions = session_factory(engine)
    accounts = [str(uuid.uuid4()) for _ in range(5)]
    for _ in range(6):
        async with sessions() as session, session.begin():
            for account in accounts:
                await add_event(session, events.account_filed(account))
    relay = SlowMarkingRelay(sessions, await kit.producer(), service="test", batch_size=4, lease_seconds=30)

    published = await relay.drain(max_seconds=30)

    assert published == 30
    records = await kit.read_topic(TOPIC, lambda r: r.key.decode() in accounts, expect=31, within=5)
    ids = collections.Counter(dict(r.headers)["ce_id"] for r in records)
    assert len(ids) == 30 and max(ids.values()) == 1, f"sent twice: {[i for i, n in ids.items() if n > 1]}"
