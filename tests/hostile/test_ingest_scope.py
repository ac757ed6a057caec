"""Writes of one county reaching into another's, replayed over real sockets to the monitor.

What the outside round found: ``POST /v1/replies`` (single and bulk) checked only that the message was
known, not that its account lay in the caller's region. A connector of 路桥区 could mark a message to a
黄岩区 account answered — clearing that county's unanswered-message alert — and learn from the 200 that the
account and the message exist there, where every other ingest answers ``unknown-account`` alike for an
account elsewhere and one that does not exist.

Alert dismissal across counties (404, not 403), twice (409) and with a blank reason (422) held already and
stay as guards.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import ELSEWHERE, HOME, NOW, Supervision

pytestmark = pytest.mark.integration


async def test_a_connector_cannot_answer_a_message_of_another_county(supervision: Supervision) -> None:
    theirs = await supervision.account(region=ELSEWHERE)
    message_id = f"m-{uuid.uuid4().hex[:8]}"
    received = (NOW - timedelta(hours=3)).isoformat()
    their_connector = supervision.connector(region=ELSEWHERE)
    r = await their_connector.post(
        "/v1/messages", json={"account_id": theirs, "message_id": message_id, "received_at": received}
    )
    assert r.status_code == 200, r.text

    ours = supervision.connector(region=HOME)
    reply = {"account_id": theirs, "message_id": message_id, "answered_at": NOW.isoformat()}
    nowhere = {**reply, "account_id": str(uuid.uuid4()), "message_id": "m-none"}
    single = await ours.post("/v1/replies", json=reply)
    absent = await ours.post("/v1/replies", json=nowhere)
    bulk = await ours.post("/v1/replies/bulk", json={"items": [reply]})
    for r in (single, absent, bulk):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert r.json()["code"] == "unknown-account", r.json()
    # the same answer for an account elsewhere as for one that does not exist (the ids aside)
    assert single.json()["detail"].replace(theirs, "X") == absent.json()["detail"].replace(
        nowhere["account_id"], "X"
    )
    # the message is still unanswered: its own county's connector answers it
    assert (await their_connector.post("/v1/replies", json=reply)).json()["accepted"] == 1


async def test_dismissing_an_alert_of_another_county_is_a_404_twice_a_409_blank_reason_a_422(
    supervision: Supervision,
) -> None:
    account = await supervision.account()
    post = {
        "account_id": account,
        "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
        "text": "未经审核直接发布的内容。",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    assert (await supervision.connector().post("/v1/observed-posts", json=post)).status_code == 200
    office = supervision.monitor_reader(roles=("office_admin",))
    [alert] = (await office.get("/v1/alerts", params={"account_id": account})).json()["items"]
    path = f"/v1/alerts/{alert['id']}/dismissal"

    elsewhere = supervision.monitor_reader(region=ELSEWHERE, roles=("office_admin",))
    r = await elsewhere.post(path, json={"reason": "误报"})
    assert r.status_code == 404 and r.json()["code"] == "not-found", r.text
    assert (await elsewhere.get(f"/v1/alerts/{alert['id']}")).status_code == 404

    blank = await office.post(path, json={"reason": " \u3000 "})
    assert blank.status_code == 422, blank.text
    assert blank.json()["errors"][0]["location"] == "body.reason", blank.json()

    first = await office.post(path, json={"reason": "经核实为转载上级通知"})
    again = await office.post(path, json={"reason": "经核实为转载上级通知"})
    assert first.status_code == 200 and first.json()["resolution"] == "dismissed", first.text
    assert again.status_code == 409, again.text
