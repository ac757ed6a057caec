"""How many records a runner polls at once: set-based (batch) handlers get large polls, whose one
transaction spreads per-batch costs; per-message handlers keep smaller ones, because every message is a
statement or more inside the one transaction, which must end within ``handler_timeout``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govmedia_common.consumer import (
    MAX_POLL_RECORDS,
    PER_MESSAGE_POLL_RECORDS,
    ConsumerRunner,
    MessageContext,
    batch,
)
from govmedia_common.events import AccountFiled, AlertRaised
from govmedia_common.settings import KafkaSettings


async def _one(event: Any, ctx: MessageContext, session: Any) -> None:
    return None


@batch
async def _many(session: Any, items: Sequence[tuple[Any, MessageContext]]) -> None:
    return None


def _runner(handlers: dict[Any, Any], **kwargs: Any) -> ConsumerRunner:
    return ConsumerRunner(
        service="test", group_id="g", handlers=handlers, sessions=None,  # type: ignore[arg-type]  # no database: none is reached
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"), dlt_producer=None,
        **kwargs,
    )  # fmt: skip


def test_batch_handlers_get_large_polls_and_per_message_handlers_smaller_ones() -> None:
    assert MAX_POLL_RECORDS > PER_MESSAGE_POLL_RECORDS
    assert _runner({AccountFiled: _many, AlertRaised: _many}).max_poll_records == MAX_POLL_RECORDS
    assert _runner({AccountFiled: _one}).max_poll_records == PER_MESSAGE_POLL_RECORDS
    # one per-message handler among batch handlers: its messages share the batch's transaction too
    assert _runner({AccountFiled: _many, AlertRaised: _one}).max_poll_records == PER_MESSAGE_POLL_RECORDS
    assert _runner({AccountFiled: _one}, max_poll_records=123).max_poll_records == 123  # said explicitly
