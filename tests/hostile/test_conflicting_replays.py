"""An item sent again under its idempotency key with other content, replayed over real sockets.

What the outside round found: the monitor's ingest is idempotent on each item's natural key, and an item
whose key was known answered ``duplicates: 1`` whatever it carried. A metric snapshot of the same account,
post and ``taken_at`` with other counts, a message of the same id with another channel or time, the
interaction switch at the same instant in the other state — in the same bulk request or a later one — were
dropped while the answer told the client they were already stored. (A post seen again with other content is
a new version by design, and stays so.) Each is now refused naming the item; an exact replay stays a
duplicate.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

AT = (NOW - timedelta(hours=2)).isoformat()


def _conflict(r: httpx.Response, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc = r.json()
    assert doc["code"] == "conflicting-replay", doc
    assert [e["location"] for e in doc["errors"]] == [location], doc
    assert "other" in doc["errors"][0]["message"], doc


def _cases(account: str) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    key = uuid.uuid4().hex[:8]
    return {
        "metrics": (
            "metrics",
            {"account_id": account, "platform_post_id": f"wx-{key}", "taken_at": AT, "reads": 5, "likes": 1},
            {"reads": 9},
        ),
        "account metrics": (
            "metrics",
            {"account_id": account, "taken_at": AT, "followers": 1200},
            {"followers": None, "reads": 3},
        ),
        "messages": (
            "messages",
            {"account_id": account, "message_id": f"m-{key}", "channel": "comment", "received_at": AT},
            {"channel": "message"},
        ),
        "message time": (
            "messages",
            {"account_id": account, "message_id": f"m-{key}", "received_at": AT},
            {"received_at": (NOW - timedelta(hours=1)).isoformat()},
        ),
        "interaction": (
            "interaction",
            {"account_id": account, "enabled": False, "at": AT},
            {"enabled": True},
        ),
    }


CASES = ["metrics", "account metrics", "messages", "message time", "interaction"]


@pytest.mark.parametrize("case", CASES)
async def test_an_item_sent_again_with_other_content_is_refused_and_an_exact_replay_is_a_duplicate(
    supervision: Supervision, case: str
) -> None:
    account = await supervision.account()
    path, item, change = _cases(account)[case]
    other = {**item, **change}
    connector = supervision.connector()
    first = await connector.post(f"/v1/{path}", json=item)
    assert first.status_code == 200 and first.json()["accepted"] == 1, first.text
    _conflict(await connector.post(f"/v1/{path}", json=other), "body")
    again = await connector.post(f"/v1/{path}", json=item)
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}


@pytest.mark.parametrize("case", [c for c in CASES if c != "interaction"])  # the switch has no bulk
async def test_one_bulk_request_holding_an_item_twice_with_other_content_is_refused(
    supervision: Supervision, case: str
) -> None:
    account = await supervision.account()
    path, item, change = _cases(account)[case]
    connector = supervision.connector()
    r = await connector.post(f"/v1/{path}/bulk", json={"items": [item, {**item, **change}]})
    _conflict(r, "body.items.1")
    # nothing of the request was stored: the first item alone is new afterwards
    alone = await connector.post(f"/v1/{path}", json=item)
    assert alone.json()["accepted"] == 1, alone.text
    twice = await connector.post(f"/v1/{path}/bulk", json={"items": [item, item]})
    assert twice.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
