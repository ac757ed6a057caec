"""Rankings, the public leaderboard, distributions, the statistics form, the rules in force, bad input."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING

import pytest

from govmedia_common.events.scoring import PeriodKind

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration

WEEK = date(2026, 11, 9)
Q = {"period_kind": "week", "period_start": WEEK.isoformat()}


async def scored_week(kit: ScoringKit) -> dict[str, str]:
    ids, events = kit.week_events()
    await kit.apply(events)
    await kit.compute(PeriodKind.WEEK, WEEK)
    return ids


async def test_rankings_order_by_composite_within_region_level_and_platform(scoring: ScoringKit) -> None:
    ids = await scored_week(scoring)
    city = scoring.client(region="331000")
    r = await city.get("/v1/rankings", params=Q)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [x["composite"] for x in rows] == sorted((x["composite"] for x in rows), reverse=True)
    assert rows[0]["rank"] == 1 and {x["account_id"] for x in rows} == set(ids.values())
    wechat = (await city.get("/v1/rankings", params={**Q, "platform": "wechat"})).json()
    assert {x["platform"] for x in wechat} == {"wechat"} and len(wechat) == 4
    luqiao = (await scoring.client(region="331004").get("/v1/rankings", params=Q)).json()
    assert ids["vetoed"] not in {x["account_id"] for x in luqiao}  # 331002 is a sibling county
    assert (await city.get("/v1/rankings", params={**Q, "level": "city"})).json() == []
    r = await scoring.client(region="331004").get("/v1/rankings", params={**Q, "region": "331000"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_the_public_leaderboard_needs_no_sign_in_shows_closed_periods_and_no_raw_counts(
    scoring: ScoringKit,
) -> None:
    ids = await scored_week(scoring)
    anonymous = scoring.client(scoped=False)
    r = await anonymous.get("/v1/public/leaderboard", params={**Q, "region": "331000"})
    assert r.status_code == 200, r.text
    board = r.json()
    names = {e["account_name"] for e in board["entries"]}
    assert "路桥发布" in names and len(board["entries"]) == len(ids)
    entry = board["entries"][0]
    assert set(entry) == {
        "rank", "account_name", "unit_name", "platform", "region_code", "composite", "diligence", "effect",
        "content", "cluster", "growth", "passed", "veto_reasons",
    }  # fmt: skip
    regions = {r["region_code"]: r for r in board["regions"]}
    assert set(regions) == {"331004", "331002"}
    assert (regions["331002"]["accounts"], regions["331002"]["passed"]) == (1, 0)
    assert regions["331004"]["accounts"] == 5 and regions["331004"]["passed"] == 5
    # the running week is not public yet
    running = {"period_kind": "week", "period_start": "2026-11-16", "region": "331000"}
    r = await anonymous.get("/v1/public/leaderboard", params=running)
    assert r.status_code == 422 and r.json()["code"] == "period-not-closed"
    assert (await anonymous.get("/v1/rankings", params=Q)).status_code == 401


async def test_distribution_and_statistics_form_of_a_region_and_period(scoring: ScoringKit) -> None:
    ids = await scored_week(scoring)
    city = scoring.client(region="331000")
    r = await city.get("/v1/distribution", params=Q)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["accounts"] == 6 and d["passed"] == 5 and d["pass_rate"] == pytest.approx(5 / 6)
    assert sum(d["indices"]["composite"]["histogram"]) == 6
    assert d["indices"]["effect"]["max"] == 100.0 and set(d["by_platform"]) == {"wechat", "weibo", "douyin"}
    r = await city.get("/v1/statistics", params=Q)
    assert r.status_code == 200, r.text
    cols = r.json()["columns"]
    assert cols["total"]["accounts_open"] == 6 and cols["wechat"]["accounts_open"] == 4
    assert cols["weibo"]["posts"] == 2 and cols["other"]["posts"] == 1  # douyin is 其他政务新媒体
    assert cols["total"]["accounts_with_problems"] == 1 and cols["total"]["accounts_fixed"] == 0
    assert cols["total"]["scored"] == 6 and cols["total"]["passed"] == 5
    # the monitor resolves the not-updated alert: the problem counts as fixed
    alert_id = (await scoring.sql("SELECT alert_id FROM alerts WHERE account_id = :a", a=ids["vetoed"]))[0][0]
    from govmedia_common.events.monitor import AlertResolution, AlertResolved
    from govmedia_common.events.types import AlertRule

    await scoring.apply(
        [
            AlertResolved(
                occurred_at=scoring.clock.now(), alert_id=alert_id, account_id=ids["vetoed"],
                rule=AlertRule.NOT_UPDATED, period="2026-11-15", resolution=AlertResolution.RECHECKED,
            )
        ]
    )  # fmt: skip
    cols = (await city.get("/v1/statistics", params=Q)).json()["columns"]
    assert cols["total"]["accounts_fixed"] == 1
    # notify's case for it: a notice (即时通报), then closed rectified by the deadline
    import uuid

    from govmedia_common.events.notify import CaseClosed, CaseOutcome, NoticeIssued
    from govmedia_common.events.types import AlertSeverity

    case = str(uuid.uuid4())
    notice = NoticeIssued(
        occurred_at=scoring.clock.now().replace(day=15), account_id=ids["vetoed"], case_id=case,
        alert_id=alert_id, unit_id=str(uuid.uuid4()), region_code="331002", rule=AlertRule.NOT_UPDATED,
        severity=AlertSeverity.VIOLATION, rectify_by=date(2026, 11, 22),
    )  # fmt: skip
    closed = CaseClosed(
        occurred_at=scoring.clock.now(), account_id=ids["vetoed"], case_id=case,
        outcome=CaseOutcome.RECTIFIED, closed_on_time=True,
    )  # fmt: skip
    await scoring.apply([notice])
    cols = (await city.get("/v1/statistics", params=Q)).json()["columns"]
    assert (cols["total"]["notices"], cols["total"]["rectified_on_time"]) == (1, 0)
    await scoring.apply([closed, notice])  # a redelivered notice changes nothing
    cols = (await city.get("/v1/statistics", params=Q)).json()["columns"]
    assert (cols["total"]["notices"], cols["total"]["rectified_on_time"]) == (1, 1)


async def test_rules_in_force_show_inheritance_and_what_a_county_could_not_loosen(
    scoring: ScoringKit,
) -> None:
    await scoring.apply(
        [
            scoring.settings("330000", 1, {"veto_serious_errors_max": 2}),
            scoring.settings("331004", 3, {"veto_serious_errors_max": 5, "content_serious_error_points": 12}),
        ]
    )
    r = await scoring.client(region="331004").get("/v1/rules/331004")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["rules"]["veto_serious_errors_max"] == 2
        and body["sources"]["veto_serious_errors_max"] == "330000"
    )
    assert body["rules"]["content_serious_error_points"] == 12
    assert any("loosen" in n for n in body["notes"])
    # an older version of a region's settings arriving late changes nothing
    await scoring.apply([scoring.settings("331004", 2, {"veto_serious_errors_max": 0})])
    body = (await scoring.client(region="331004").get("/v1/rules/331004")).json()
    assert body["rules"]["content_serious_error_points"] == 12


async def test_recompute_needs_an_office_admin_and_refuses_bad_periods_with_problem_json(
    scoring: ScoringKit,
) -> None:
    staff = scoring.client(region="330000")
    admin = scoring.client(region="330000", roles=("office_admin",))
    body = {"period_kind": "week", "period_start": WEEK.isoformat()}
    assert (await staff.post("/v1/recompute", json=body)).status_code == 403
    r = await admin.post("/v1/recompute", json=body)
    assert r.status_code == 200 and r.json()["period_end"] == "2026-11-15"
    for bad in (
        {"period_kind": "week", "period_start": "2026-11-10"},
        {"period_kind": "fortnight", "period_start": "2026-11-09"},
        {"period_kind": "day", "period_start": "2027-01-01"},
        {"period_kind": "day", "period_start": "2026-11-09", "extra": 1},
        {"period_kind": "year", "period_start": "0001-01-01"},
    ):
        r = await admin.post("/v1/recompute", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await staff.get("/v1/rankings", params={"period_kind": "week", "period_start": "9999-99-99"})
    assert r.status_code == 422


async def test_metrics_export_the_score_gauges_of_the_latest_month(scoring: ScoringKit) -> None:
    _, events = scoring.week_events()
    await scoring.apply(events)
    await scoring.compute(PeriodKind.MONTH, date(2026, 11, 1))
    anonymous = scoring.client(scoped=False)
    wanted = 'govmedia_scoring_failed_accounts{region_code="331002",service="scoring"}'
    for _ in range(100):  # the gauges are refreshed in the background
        text = (await anonymous.get("/metrics")).text
        if wanted in text:
            break
        await asyncio.sleep(0.1)
    for name in (
        "govmedia_score_distribution",
        "govmedia_scores_failed",
        "govmedia_scoring_composite_mean",
        "govmedia_scoring_failed_accounts",
    ):
        assert name in text, name
    assert wanted + " 1.0" in text  # the not-updated account of 椒江 failed the month


async def test_a_region_no_registry_event_named_is_a_404_naming_it_on_every_report(
    scoring: ScoringKit,
) -> None:
    """The public leaderboard of region 339999 (no such region) answered 200 with an empty board."""
    await scored_week(scoring)  # accounts in 331004 and 331002: 331000 and 330000 are known from below
    anonymous = scoring.client(scoped=False)
    province = scoring.client(region="330000")
    r = await anonymous.get("/v1/public/leaderboard", params={**Q, "region": "339999"})
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unknown-region" and "339999" in r.json()["detail"]
    assert r.json()["region_code"] == "339999"
    for path, params in (
        ("/v1/rankings", {**Q, "region": "339999"}),
        ("/v1/distribution", {**Q, "region": "331099"}),  # a county of a known city, itself unknown
        ("/v1/statistics", {**Q, "region": "339900"}),
        ("/v1/rules/339999", {}),
    ):
        r = await province.get(path, params=params)
        assert r.status_code == 404 and r.json()["code"] == "unknown-region", (path, r.text)
    # regions the events did name still answer, however far above the accounts they are
    for region in ("331000", "330000"):
        r = await anonymous.get("/v1/public/leaderboard", params={**Q, "region": region})
        assert r.status_code == 200 and r.json()["entries"], (region, r.text)
    assert (await province.get("/v1/rankings", params={**Q, "region": "331004"})).status_code == 200
    assert (await province.get("/v1/rules/331000")).status_code == 200
    # the caller's own region is never unknown (the registry signed the caller in there)
    assert (await scoring.client(region="339900").get("/v1/rankings", params=Q)).json() == []
