"""Jobs on demand, run by a county office admin: they act on, and count, the caller's own regions only.

What the outside round found: an office admin of any county could run the monitor's sweep and hot-word
mining, notify's sweep, scoring's recompute and the registry's apply-due; each ran for every region of
the province and answered with the province's counts (alerts raised in the next county, its hot-word
regions, its office's digest sent, its scores recomputed). Now the sweeps and the mining run for the
caller's subtree and count only it; the jobs that act on every region at once (scoring's recompute, the
registry's apply-due) are a province's, a 403 ``insufficient-level`` naming the role and level it takes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.hostile.harness import PROBLEM_JSON, Served
from tests.hostile.supervision import ELSEWHERE, HOME, NOW, Supervision

pytestmark = pytest.mark.integration

PROVINCE = "330000"


def _province_required(r: object) -> None:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc = r.json()
    assert doc["code"] == "insufficient-level", doc
    assert doc["required_role"] == "office_admin" and doc["required_region_level"] == "province", doc
    assert "330000" in doc["detail"] and ELSEWHERE in doc["detail"], doc


async def test_a_county_admins_monitor_sweep_judges_and_counts_its_own_accounts_only(
    supervision: Supervision,
) -> None:
    today = NOW.date()
    ours = await supervision.account(region=HOME, opened=today - timedelta(days=40))
    theirs = await supervision.account(region=ELSEWHERE, opened=today - timedelta(days=40))
    neighbour = supervision.monitor_reader(region=ELSEWHERE, roles=("office_admin",))
    swept = await neighbour.post("/v1/sweeps", json={"as_of": today.isoformat()})
    assert swept.status_code == 200, swept.text
    assert swept.json()["raised"] == {"not_updated": 1}, swept.json()  # its own silent account, not ours
    home = supervision.monitor_reader(region=HOME, roles=("office_admin",))
    ours_alerts = (await home.get("/v1/alerts", params={"account_id": ours})).json()["items"]
    assert ours_alerts == [], ours_alerts  # the next county's sweep did not judge our account
    theirs_alerts = (await neighbour.get("/v1/alerts", params={"account_id": theirs})).json()["items"]
    assert [a["rule"] for a in theirs_alerts] == ["not_updated"], theirs_alerts
    mine = await home.post("/v1/sweeps", json={"as_of": today.isoformat()})
    assert mine.json()["raised"] == {"not_updated": 1}, mine.json()
    # Our sweep leaves the next county's open alert alone (it does not resolve what it did not judge).
    again = (await neighbour.get("/v1/alerts", params={"account_id": theirs})).json()["items"]
    assert [a["state"] for a in again] == ["open"], again


async def test_a_county_admins_hot_word_mining_mines_and_counts_its_own_regions_only(
    supervision: Supervision,
) -> None:
    account = await supervision.account(region=HOME)
    connector = supervision.connector(HOME)
    for i, text in enumerate(("医保缴费即将截止，请尽快完成医保缴费。", "台风即将登陆，启动防汛应急响应。")):
        post = {
            "account_id": account,
            "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
            "text": text,
            "published_at": (NOW - timedelta(hours=i + 1)).isoformat(),
        }
        assert (await connector.post("/v1/observed-posts", json=post)).status_code == 200
    neighbour = supervision.monitor_reader(region=ELSEWHERE, roles=("office_admin",))
    mined = await neighbour.post("/v1/hot-words/extraction", json={})
    assert mined.status_code == 200, mined.text
    assert all(code.startswith(ELSEWHERE) for code in mined.json()), mined.json()  # not 331004, 331000, 33
    home = supervision.monitor_reader(region=HOME, roles=("office_admin",))
    words = await home.get("/v1/hot-words", params={"region_code": HOME})
    assert words.json()["terms"] == [], words.json()  # nothing mined for us by the next county
    ours = await home.post("/v1/hot-words/extraction", json={})
    assert ours.status_code == 200 and set(ours.json()) == {HOME}, ours.json()


async def test_a_county_admins_notify_sweep_acts_on_and_counts_its_own_cases_and_offices_only(
    supervision: Supervision,
) -> None:
    case = await supervision.notify_case(region=HOME)  # an office of HOME whose daily digest is due
    neighbour = supervision.notify_user(region=ELSEWHERE, roles=("office_staff", "office_admin"))
    swept = await neighbour.post("/v1/sweeps", json={"as_of": NOW.isoformat()})
    assert swept.status_code == 200, swept.text
    body = swept.json()
    assert (body["reminders"], body["escalations"], body["digests"], body["listed"], body["purged"]) == (
        0,
        0,
        0,
        [],
        0,
    ), body
    ours = await case.office.post("/v1/sweeps", json={"as_of": NOW.isoformat()})
    assert ours.status_code == 200 and ours.json()["digests"] == 1, ours.text  # still ours to send


async def test_scoring_recompute_is_a_province_admins(supervision: Supervision) -> None:
    body = {"period_kind": "day", "period_start": (NOW.date() - timedelta(days=1)).isoformat()}
    county = supervision.scoring_reader(region=ELSEWHERE, roles=("office_admin",))
    _province_required(await county.post("/v1/recompute", json=body))
    province = supervision.scoring_reader(region=PROVINCE, roles=("office_admin",))
    r = await province.post("/v1/recompute", json=body)
    assert r.status_code == 200, r.text


async def test_the_registrys_apply_due_is_a_province_admins(served_registry: Served) -> None:
    setup = served_registry.setup
    office = await setup.unit(ELSEWHERE, "台州市黄岩区人民政府办公室", "黄岩区府办", kind="competent_office")
    _, _, county = await setup.person(["office_admin"], region_code=ELSEWHERE, unit_id=office)
    _province_required(await setup.call("POST", "/v1/admin/apply-due", county))
    r = await setup.call("POST", "/v1/admin/apply-due", await setup.admin())
    assert r.status_code == 200, r.text
