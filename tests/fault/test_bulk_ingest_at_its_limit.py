"""Every bulk ingest of the monitor at its documented limit (5,000 items, ``MAX_BULK``) in one request.

A connector catching up after an outage sends full batches. Each kind must take a full batch in its one
transaction: all stored once, and the same batch again is all duplicates.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from govmedia_monitor import handlers
from govmedia_monitor.schemas import MAX_BULK
from govmedia_platform.launcher import Infrastructure
from tests.fault.jobs_kit import client, quiet
from tests.hostile.consumer_kit import NOW, opened

pytestmark = pytest.mark.integration

POSTS = "/v1/observed-posts/bulk"
# A full batch of posts that match no approved post: 5,000 alerts (未审先发) and their events, written by one
# statement (one by one they took 25-56 s on a busy two-core machine; a client gave up). Over the 2,520 posts
# that one VALUES list of their 13 columns allowed.
POSTS_BATCH = MAX_BULK


def at(i: int) -> str:
    return (NOW - timedelta(days=3) + timedelta(seconds=i)).isoformat()


def batches(accounts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """A full batch of each kind, items spread over the accounts."""
    a = [accounts[i % len(accounts)] for i in range(MAX_BULK)]
    return {
        POSTS: [
            {"account_id": a[i], "platform_post_id": f"p{i}", "text": f"第{i}号通知", "published_at": at(i)}
            for i in range(POSTS_BATCH)
        ],
        "/v1/messages/bulk": [
            {"account_id": a[i], "message_id": f"m{i}", "received_at": at(i)} for i in range(MAX_BULK)
        ],
        "/v1/replies/bulk": [
            {"account_id": a[i], "message_id": f"m{i}", "answered_at": at(i + 60)} for i in range(MAX_BULK)
        ],
        "/v1/metrics/bulk": [
            {"account_id": a[i], "taken_at": at(i), "followers": i} for i in range(MAX_BULK)
        ],
    }


async def test_a_full_batch_of_every_kind_is_stored_once_in_one_request(
    infra: Infrastructure, kafka_topics: None
) -> None:
    accounts = [str(uuid.uuid4()) for _ in range(50)]
    async with quiet(infra, "monitor") as monitor:
        for account in accounts:
            async with monitor.sessions() as session, session.begin():
                await handlers.on_account_event(opened(account), None, session)
        answers: dict[str, tuple[Any, ...]] = {}
        async with client(monitor, scopes=["monitor:ingest"], roles=()) as http:
            for path, items in batches(accounts).items():  # messages before the replies to them
                first = await http.post(path, json={"items": items})
                answers[path] = (first.status_code, first.json().get("accepted"))
                again = await http.post(path, json={"items": items})
                answers[path] += (again.status_code, again.json().get("duplicates"))
    full = (200, MAX_BULK, 200, MAX_BULK)
    assert answers == dict.fromkeys(answers, full), answers
