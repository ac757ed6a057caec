"""A supervision service's write sent again (after a timeout) with its Idempotency-Key, over sockets.

What the outside round found: a connector's bulk of metric snapshots retried after a timeout was answered
``accepted 0, duplicates N`` where the first answer (which the client never read) said ``accepted N``,
though the effect was exactly once; the client could not tell its retry from a stale resend. A bulletin
published again answered 409 ``bulletin-exists``, a recompute ``changed 0``. The registry's and the
review's writes take an ``Idempotency-Key``: a retry with the key gets the first answer (replayed, marked
``Idempotent-Replayed: true``), the same key with another body is a 422 ``idempotency-key-reused``. The
monitor's ingests (single and bulk, every kind), notify's bulletins and scoring's recompute now do too,
with the shared implementation (govmedia_common.idempotency).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

Body = Callable[[str, int], dict[str, Any]]


def _post(account: str, n: int) -> dict[str, Any]:
    at = (NOW - timedelta(hours=1, minutes=n)).isoformat()
    return {"account_id": account, "platform_post_id": f"wx-{n}", "text": f"第{n}条", "published_at": at}


def _metric(account: str, n: int) -> dict[str, Any]:
    return {"account_id": account, "taken_at": (NOW - timedelta(minutes=n)).isoformat(), "reads": 10 + n}


def _message(account: str, n: int) -> dict[str, Any]:
    return {
        "account_id": account,
        "message_id": f"m-{n}",
        "received_at": (NOW - timedelta(hours=2)).isoformat(),
    }


def _reply(account: str, n: int) -> dict[str, Any]:
    return {
        "account_id": account,
        "message_id": f"m-{n}",
        "answered_at": (NOW - timedelta(hours=1)).isoformat(),
    }


def _interaction(account: str, n: int) -> dict[str, Any]:
    return {"account_id": account, "enabled": n % 2 == 0, "at": (NOW - timedelta(minutes=n)).isoformat()}


KINDS: list[tuple[str, Body]] = [
    ("/v1/observed-posts", _post),
    ("/v1/metrics", _metric),
    ("/v1/messages", _message),
    ("/v1/replies", _reply),
]


def _replayed(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code, again.text
    assert again.json() == first.json(), (first.json(), again.json())
    assert again.headers.get("idempotent-replayed") == "true", dict(again.headers)
    assert "idempotent-replayed" not in first.headers


def _reused(r: httpx.Response) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "idempotency-key-reused", r.json()


@pytest.mark.parametrize(("path", "body"), KINDS, ids=[k for k, _ in KINDS])
async def test_a_retried_ingest_with_its_key_gets_the_first_answer(
    supervision: Supervision, path: str, body: Body
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    if path == "/v1/replies":  # the messages they answer
        bulk = {"items": [_message(account, n) for n in range(3)]}
        assert (await connector.post("/v1/messages/bulk", json=bulk)).status_code == 200
    for url, payload in (
        (path, body(account, 0)),
        (f"{path}/bulk", {"items": [body(account, n) for n in (1, 2)]}),
    ):
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await connector.post(url, json=payload, headers=key)
        assert first.status_code == 200, first.text
        assert first.json()["duplicates"] == 0 and first.json()["accepted"] >= 1, first.json()
        _replayed(first, await connector.post(url, json=payload, headers=key))
        unkeyed = await connector.post(url, json=payload)  # without a key: the effect is once, and said so
        assert unkeyed.json()["accepted"] == 0 and unkeyed.json()["duplicates"] >= 1, unkeyed.json()
        other = {**payload, "items": payload["items"][:1]} if "items" in payload else body(account, 9)
        _reused(await connector.post(url, json=other, headers=key))


async def test_a_retried_interaction_switch_with_its_key_gets_the_first_answer(
    supervision: Supervision,
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await connector.post("/v1/interaction", json=_interaction(account, 1), headers=key)
    assert first.status_code == 200, first.text
    _replayed(first, await connector.post("/v1/interaction", json=_interaction(account, 1), headers=key))
    _reused(await connector.post("/v1/interaction", json=_interaction(account, 2), headers=key))


async def test_a_retried_bulletin_with_its_key_gets_the_first_201(supervision: Supervision) -> None:
    case = await supervision.notify_case()
    body = {"region_code": "331004", "period_kind": "week", "period_start": "2025-10-06"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await case.office.post("/v1/bulletins", json=body, headers=key)
    assert first.status_code == 201, first.text
    again = await case.office.post("/v1/bulletins", json=body, headers=key)
    _replayed(first, again)
    assert again.headers["location"] == first.headers["location"] == f"/v1/bulletins/{first.json()['id']}"
    unkeyed = await case.office.post("/v1/bulletins", json=body)
    assert unkeyed.status_code == 409 and unkeyed.json()["code"] == "bulletin-exists", unkeyed.text
    _reused(await case.office.post("/v1/bulletins", json={**body, "period_start": "2025-09-29"}, headers=key))


async def test_a_retried_recompute_with_its_key_gets_the_first_answer(supervision: Supervision) -> None:
    await supervision.account()
    admin = supervision.scoring_reader(region="330000", roles=("office_admin",))
    body = {"period_kind": "day", "period_start": (NOW.date() - timedelta(days=1)).isoformat()}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await admin.post("/v1/recompute", json=body, headers=key)
    assert first.status_code == 200, first.text
    _replayed(first, await admin.post("/v1/recompute", json=body, headers=key))
    _reused(
        await admin.post(
            "/v1/recompute", json={**body, "period_kind": "month", "period_start": "2025-10-01"}, headers=key
        )
    )
