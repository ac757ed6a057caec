"""Required free texts of notify and the monitor that show nothing, replayed over real sockets.

What the outside round found: a rectification report (整改报告) whose text was a zero-width space was
accepted (201), the case went to "submitted" and the office was told a report awaited it; the same for a
report returned with such a reason, and a monitor alert dismissed as a false positive with a reason that
shows nothing (the audit log keeps it as the reason). Spaces alone were refused already ("at least 1
character"); characters that show nothing were not: zero-width space, word joiner, BOM, the Hangul filler,
a bidi mark. Each such text is now a 422 naming the field, and nothing changes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

SHOWS_NOTHING = [
    "\u200b",  # zero-width space
    "\u200b \u3000\u200b",  # with an ordinary and an ideographic space
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u3164",  # Hangul filler
    "\u200f\u200e",  # bidi marks
]


def _refused(r: httpx.Response, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert [e["location"] for e in r.json()["errors"]] == [location], r.json()
    assert "shows nothing" in r.json()["errors"][0]["message"], r.json()


@pytest.mark.parametrize("blank", SHOWS_NOTHING, ids=lambda s: "+".join(f"U{ord(c):04X}" for c in s))
async def test_a_report_or_a_return_reason_that_shows_nothing_is_refused(
    supervision: Supervision, blank: str
) -> None:
    case = await supervision.notify_case()
    good = {"text": "账号已恢复更新，已明确专人负责。", "signed_by": "张局长", "sealed": True}
    r = await case.unit.post(f"/v1/cases/{case.id}/reports", json={**good, "text": blank})
    _refused(r, "body.text")
    assert (await case.unit.get(f"/v1/cases/{case.id}")).json()["state"] == "open"

    submitted = await case.unit.post(f"/v1/cases/{case.id}/reports", json=good)
    assert submitted.status_code == 201, submitted.text
    report_id = submitted.json()["reports"][-1]["id"]
    r = await case.office.post(f"/v1/cases/{case.id}/reports/{report_id}/return", json={"reason": blank})
    _refused(r, "body.reason")
    assert (await case.office.get(f"/v1/cases/{case.id}")).json()["state"] == "submitted"


@pytest.mark.parametrize("blank", SHOWS_NOTHING, ids=lambda s: "+".join(f"U{ord(c):04X}" for c in s))
async def test_an_alert_dismissed_with_a_reason_that_shows_nothing_is_refused(
    supervision: Supervision, blank: str
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
    r = await office.post(f"/v1/alerts/{alert['id']}/dismissal", json={"reason": blank})
    _refused(r, "body.reason")
    assert (await office.get(f"/v1/alerts/{alert['id']}")).json()["state"] == "open"
