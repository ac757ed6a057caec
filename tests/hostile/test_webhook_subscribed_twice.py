"""The same webhook address subscribed twice by one organisation, over a socket to notify.

What the outside round found: ``POST /v1/subscriptions`` made a new active subscription each time, so an
integrator whose deployment script registers its receiver at every start (or a form sent twice) had two,
three … subscriptions of one address, and every notice was delivered to it that many times, each with a
delivery id of its own (nothing for the receiver to tell them apart by). A second active subscription of
an address by the same organisation is now a 409 naming the one there is; after stopping it the address
can be subscribed anew, and an ``Idempotency-Key`` retry still replays the first answer.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration


def _office(supervision: Supervision) -> httpx.AsyncClient:
    return supervision.client(
        supervision.notify_url,
        supervision.token(
            roles=("office_staff",), scopes=("notify:read", "notify:write"), unit=str(uuid.uuid4())
        ),
    )


def _body(url: str, kinds: list[str] | None = None) -> dict[str, object]:
    return {"url": url, "event_kinds": kinds or ["notice", "reminder"], "secret": "s" * 32}


def _exists(r: httpx.Response, existing: str) -> None:
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "subscription-exists", r.json()
    assert r.json()["subscription_id"] == existing and existing in r.json()["detail"], r.json()


async def test_an_address_subscribed_again_is_a_409_naming_the_subscription_there_is(
    supervision: Supervision,
) -> None:
    office = _office(supervision)
    url = "https://93.184.216.34/govmedia/hook"
    first = await office.post("/v1/subscriptions", json=_body(url))
    assert first.status_code == 201, first.text
    existing = first.json()["id"]
    _exists(await office.post("/v1/subscriptions", json=_body(url)), existing)
    _exists(await office.post("/v1/subscriptions", json=_body(url, ["digest"])), existing)
    # the same address written with the host in capitals is the same address
    _exists(await office.post("/v1/subscriptions", json=_body(url.replace("https://", "HTTPS://"))), existing)
    # another address is another subscription; another organisation may subscribe the same address
    assert (await office.post("/v1/subscriptions", json=_body(url + "2"))).status_code == 201
    assert (await _office(supervision).post("/v1/subscriptions", json=_body(url))).status_code == 201
    # stopped, it can be subscribed anew
    assert (await office.delete(f"/v1/subscriptions/{existing}")).status_code == 204
    assert (await office.post("/v1/subscriptions", json=_body(url))).status_code == 201


async def test_three_subscriptions_of_an_address_at_once_make_one(supervision: Supervision) -> None:
    office = _office(supervision)
    url = "https://93.184.216.35/hook"
    answers = await asyncio.gather(*(office.post("/v1/subscriptions", json=_body(url)) for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409], [r.text for r in answers]
    listed = (await office.get("/v1/subscriptions")).json()
    assert [s["url"] for s in listed if s["url"] == url and s["active"]] == [url], listed


async def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
    supervision: Supervision,
) -> None:
    office = _office(supervision)
    url = "https://93.184.216.36/hook"
    key = {"Idempotency-Key": f"sub-{uuid.uuid4().hex}"}
    first = await office.post("/v1/subscriptions", json=_body(url), headers=key)
    again = await office.post("/v1/subscriptions", json=_body(url), headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
