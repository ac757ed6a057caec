"""``POST /v1/sweeps`` for a past day, over real sockets to the monitor.

What the outside round found: a sweep judged every open alert of its rules by its ``as_of`` day, those
raised after that day too. An office admin (of any county) re-running the sweep of a day last month — to
catch up, or by a slip of the date — resolved as ``cleared`` every open 未更新 violation, in every region,
of an account that was not yet silent long enough on that day: ``AlertResolved`` went to notify and scoring
as if the accounts had posted again. The next daily sweep did not raise them again (an alert is one per
account, rule and period, resolved or not), so the violations were gone for good while the accounts stayed
silent. A sweep now judges only the alerts raised by the end of its day.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.hostile.supervision import ELSEWHERE, NOW, Supervision

pytestmark = pytest.mark.integration


async def test_a_sweep_of_a_past_day_leaves_the_violations_raised_since_open(
    supervision: Supervision,
) -> None:
    today = NOW.date()
    ours = await supervision.account(opened=today - timedelta(days=30))
    theirs = await supervision.account(region=ELSEWHERE, opened=today - timedelta(days=30))
    # the province's admin: a county admin's sweep judges its own county only (test_jobs_of_another_county)
    admin = supervision.monitor_reader(region="330000", roles=("office_admin",))
    swept = await admin.post("/v1/sweeps", json={"as_of": today.isoformat()})
    assert swept.status_code == 200, swept.text
    machine = supervision.client(
        supervision.monitor_url, supervision.token(region="330000", kind="client", scopes=("monitor:read",))
    )

    async def not_updated(account: str) -> list[dict[str, object]]:
        page = await machine.get("/v1/alerts", params={"account_id": account, "rule": "not_updated"})
        items: list[dict[str, object]] = page.json()["items"]
        return items

    [before] = await not_updated(ours)
    assert (before["state"], before["severity"]) == ("open", "violation"), before

    # the sweep of a day four weeks ago, when the accounts had been silent 2 days
    past = await admin.post("/v1/sweeps", json={"as_of": (today - timedelta(days=28)).isoformat()})
    assert past.status_code == 200, past.text
    assert past.json()["resolved"] == {}, past.json()
    for account in (ours, theirs):
        [alert] = await not_updated(account)
        assert alert["state"] == "open", alert

    # and today's sweep again changes nothing
    again = await admin.post("/v1/sweeps", json={"as_of": today.isoformat()})
    assert again.json()["raised"] == {} and again.json()["resolved"] == {}, again.json()
    assert [a["state"] for a in await not_updated(ours)] == ["open"]
