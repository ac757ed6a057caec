"""Instants an integrating department sends the monitor that cannot be true, replayed over real sockets.

What the outside round found (the monitor's ingest took each with 200, and the rules then ran on it):

* an instant in the future (a post "published" in 2099, a year typed 2052 for 2025, a local time sent
  with ``+00:00``): the account's last post lay in the future, so the silence sweep never found it silent
  (未更新 could not be raised), and a switch-off "since 2099" counted no days; every ingest kind took it
  (posts, metric snapshots, messages, answers, the interaction switch), single and bulk;
* an answer given before its message was received: a negative response time;
* ``POST /v1/sweeps`` for a day that has not come: the sweep judged the accounts as of that day and
  raised 未更新 alerts for silences that had not happened (notify opens cases on them);
* ``POST /v1/hot-words/extraction`` for a day that has not come mined it from the posts in so far and
  announced its hot words (``HotWordsExtracted``).
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

AHEAD = NOW + timedelta(days=365)


def _items(kind: str, account_id: str, at: str) -> dict[str, Any]:
    key = uuid.uuid4().hex[:10]
    items: dict[str, dict[str, Any]] = {
        "observed-posts": {
            "account_id": account_id,
            "platform_post_id": f"wx-{key}",
            "text": "区政务服务中心国庆期间照常办理业务。",
            "published_at": at,
        },
        "metrics": {"account_id": account_id, "taken_at": at, "reads": 10},
        "messages": {"account_id": account_id, "message_id": f"m-{key}", "received_at": at},
        "interaction": {"account_id": account_id, "enabled": False, "at": at},
    }
    return items[kind]


INSTANT = {
    "observed-posts": "published_at",
    "metrics": "taken_at",
    "messages": "received_at",
    "interaction": "at",
}


def _refused_naming(r: httpx.Response, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc = r.json()
    assert doc["code"] == "instant-in-future", doc
    assert "future" in doc["detail"], doc
    assert [e["location"] for e in doc["errors"]] == [location], doc


@pytest.mark.parametrize("kind", sorted(INSTANT))
async def test_an_instant_in_the_future_is_refused_naming_the_field_single_and_bulk(
    supervision: Supervision, kind: str
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    reader = supervision.monitor_reader()
    field = INSTANT[kind]
    single = await connector.post(f"/v1/{kind}", json=_items(kind, account, AHEAD.isoformat()))
    _refused_naming(single, f"body.{field}")
    if kind != "interaction":  # the switch has no bulk endpoint
        good = _items(kind, account, (NOW - timedelta(hours=1)).isoformat())
        bulk = await connector.post(
            f"/v1/{kind}/bulk", json={"items": [good, _items(kind, account, AHEAD.isoformat())]}
        )
        _refused_naming(bulk, f"body.items.1.{field}")
    # nothing of it was stored: no last post, interaction still on
    view = (await reader.get(f"/v1/accounts/{account}")).json()
    assert view["last_post_at"] is None and view["interaction_enabled"] is True, view


async def test_a_local_time_sent_as_utc_hours_ahead_is_refused(supervision: Supervision) -> None:
    account = await supervision.account()
    # 16:00 Beijing time written with +00:00 (a spreadsheet's local time with the wrong zone): 8 h ahead
    wrong_zone = NOW.replace(hour=16, tzinfo=None).isoformat() + "+00:00"
    r = await supervision.connector().post(
        "/v1/observed-posts", json=_items("observed-posts", account, wrong_zone)
    )
    _refused_naming(r, "body.published_at")


async def test_an_instant_a_minute_ahead_of_the_service_clock_is_still_taken(
    supervision: Supervision,
) -> None:
    """Clocks of platforms and connectors differ from the service's by seconds or minutes."""
    account = await supervision.account()
    soon = (NOW + timedelta(minutes=1)).isoformat()
    connector = supervision.connector()
    for kind in sorted(INSTANT):
        r = await connector.post(f"/v1/{kind}", json=_items(kind, account, soon))
        assert r.status_code == 200 and r.json()["accepted"] == 1, (kind, r.text)


async def test_an_answer_before_its_message_was_received_is_refused(supervision: Supervision) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    message = _items("messages", account, (NOW - timedelta(hours=2)).isoformat())
    assert (await connector.post("/v1/messages", json=message)).status_code == 200
    before = {
        "account_id": account,
        "message_id": message["message_id"],
        "answered_at": (NOW - timedelta(hours=3)).isoformat(),
    }
    r = await connector.post("/v1/replies", json=before)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "answered-before-received", r.json()
    assert [e["location"] for e in r.json()["errors"]] == ["body.answered_at"], r.json()
    # in a bulk: the item is named by its index, and nothing of the request is stored
    fine = {**before, "answered_at": (NOW - timedelta(hours=1)).isoformat()}
    bulk = await connector.post("/v1/replies/bulk", json={"items": [fine, before]})
    assert bulk.status_code == 422, bulk.text
    assert [e["location"] for e in bulk.json()["errors"]] == ["body.items.1.answered_at"], bulk.json()
    # an answer after it is taken
    assert (await connector.post("/v1/replies", json=fine)).json()["accepted"] == 1


async def test_a_sweep_for_a_day_that_has_not_come_is_refused_and_raises_nothing(
    supervision: Supervision,
) -> None:
    account = await supervision.account(opened=NOW.date() - timedelta(days=3))
    admin = supervision.monitor_reader(roles=("office_admin",))
    ahead = NOW.date() + timedelta(days=60)
    r = await admin.post("/v1/sweeps", json={"as_of": ahead.isoformat()})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "as-of-in-future", r.json()
    assert [e["location"] for e in r.json()["errors"]] == ["body.as_of"], r.json()
    alerts = await admin.get("/v1/alerts", params={"account_id": account})
    assert alerts.json()["items"] == [], alerts.json()
    # today and past days still run
    assert (await admin.post("/v1/sweeps", json={"as_of": NOW.date().isoformat()})).status_code == 200
    assert (await admin.post("/v1/sweeps", json={})).status_code == 200


async def test_hot_words_of_a_day_that_has_not_come_are_not_mined(supervision: Supervision) -> None:
    admin = supervision.monitor_reader(roles=("office_admin",))
    ahead = NOW.date() + timedelta(days=1)
    r = await admin.post("/v1/hot-words/extraction", json={"day": ahead.isoformat()})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "day-in-future", r.json()
    assert [e["location"] for e in r.json()["errors"]] == ["body.day"], r.json()
    assert (
        await admin.post("/v1/hot-words/extraction", json={"day": NOW.date().isoformat()})
    ).status_code == 200
