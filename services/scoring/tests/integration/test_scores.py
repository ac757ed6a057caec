"""Aggregates from the input events, scores computed set-based in SQL, equal to the Python reference."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from govmedia_common.events.monitor import AlertClass
from govmedia_common.events.scoring import PeriodKind
from govmedia_common.events.types import AlertRule, AlertSeverity, Platform
from govmedia_common.workdays import SHANGHAI
from govmedia_scoring import indices as ix
from govmedia_scoring.rules import ScoringRules

pytestmark = pytest.mark.integration

WEEK = date(2026, 11, 9)  # a Monday
DAYS = [WEEK + timedelta(days=i) for i in range(7)]
DEADLINE = datetime(2026, 11, 11, 18, tzinfo=SHANGHAI)


async def seed_week(kit: Any) -> dict[str, str]:
    """Six accounts on three platforms with posts, metrics, errors, alerts and a joint push in one week."""
    acc = {
        "busy": kit.opened(name="路桥发布"),
        "quiet": kit.opened(name="路桥市场监管"),
        "vetoed": kit.opened(name="路桥生态环境", region="331002"),
        "weibo": kit.opened(platform=Platform.WEIBO, name="路桥发布微博"),
        "douyin": kit.opened(platform=Platform.DOUYIN, name="路桥发布抖音"),
        "new": kit.opened(on=DAYS[3], name="路桥新开"),
    }
    ids = {k: v.account_id for k, v in acc.items()}
    events: list[Any] = list(acc.values())
    busy_posts = []
    for day, hour in ((DAYS[0], 9), (DAYS[0], 15), (DAYS[2], 9), (DAYS[5], 9)):
        evs = kit.published(ids["busy"], day, hour=hour, original=hour == 9, ordinary=1 if hour == 15 else 0)
        busy_posts.append(evs[-1].platform_post_id)
        events += evs
    events += kit.published(ids["quiet"], DAYS[1], serious=1)
    events += kit.published(ids["vetoed"], DAYS[1])
    events += kit.published(ids["weibo"], DAYS[2]) + kit.published(ids["weibo"], DAYS[4])
    events += [kit.observed(ids["douyin"], DAYS[3], "dy-1")]
    events += kit.published(ids["new"], DAYS[4])
    # metrics: cumulative snapshots, the latest wins (an older one arriving later changes nothing)
    snap = kit.clock.now()
    events += [
        kit.metrics(
            ids["busy"], busy_posts[0], snap - timedelta(days=1), reads=900, watching=5, likes=8, shares=3
        ),
        kit.metrics(ids["busy"], busy_posts[0], snap, reads=1200, watching=9, likes=12, shares=4),
        kit.metrics(
            ids["busy"], busy_posts[0], snap - timedelta(days=2), reads=100, watching=1, likes=1, shares=1
        ),
        kit.metrics(ids["busy"], busy_posts[1], snap, reads=300, likes=2),
        kit.metrics(ids["busy"], busy_posts[2], snap, reads=2500, watching=30, likes=40, shares=25),
        kit.metrics(ids["busy"], None, snap, followers=15000),
        kit.metrics(ids["douyin"], "dy-1", snap, reads=8000, likes=300, comments=40, shares=60),
    ]
    weibo_published = [
        e for e in events if getattr(e, "account_id", None) == ids["weibo"] and hasattr(e, "platform_post_id")
    ]
    for e in weibo_published:
        events.append(kit.metrics(ids["weibo"], e.platform_post_id, snap, shares=40, comments=25, likes=90))
    events += [
        kit.alert(
            ids["vetoed"], DAYS[6], AlertRule.NOT_UPDATED, AlertSeverity.VIOLATION, AlertClass.NOT_UPDATED
        ),
        kit.alert(ids["quiet"], DAYS[2], AlertRule.CHECK_FAILED, AlertSeverity.MINOR, AlertClass.EXPRESSION),
    ]
    push = kit.campaign([ids["busy"], ids["quiet"]], DEADLINE)
    events += [push, kit.completed(push, ids["busy"], push.deadline - timedelta(hours=3))]
    # in several batches, as a consumer would see them
    for i in range(0, len(events), 7):
        await kit.apply(events[i : i + 7])
    return ids


async def test_sql_scores_equal_the_python_reference_formulas(scoring: Any) -> None:
    ids = await seed_week(scoring)
    accounts, changed = await scoring.compute(PeriodKind.WEEK, WEEK)
    assert (accounts, changed) == (6, 6)
    rows = await scoring.sql(
        "SELECT s.*, r.rules FROM scores s JOIN rules_snapshots r ON r.digest = s.rules_digest "
        "WHERE period_kind = 'week'"
    )
    by_id = {r.account_id: r for r in rows}
    # the inputs the aggregates produced for the busy account, by hand
    busy = by_id[ids["busy"]].inputs
    assert (busy["posts"], busy["original_posts"], busy["days_with_post"], busy["longest_gap"]) == (
        4,
        3,
        3,
        2,
    )
    assert (busy["reads"], busy["watching"], busy["max_reads"], busy["lead_reads"]) == (4000, 39, 2500, 3700)
    assert (busy["errors_ordinary"], busy["pushes_assigned"], busy["pushes_done"]) == (1, 1, 1)
    assert (
        by_id[ids["quiet"]].inputs["errors_serious"] == 1
        and by_id[ids["quiet"]].inputs["errors_ordinary"] == 1
    )
    assert by_id[ids["new"]].inputs["active_days"] == 4
    # the effect mapping within each platform, recomputed in Python
    raws: dict[str, list[float]] = {}
    for r in rows:
        raws.setdefault(r.platform, []).append(r.effect_raw)
    for r in rows:
        inputs = ix.Inputs(**{**r.inputs, "platform": Platform(r.inputs["platform"])})
        rules = ScoringRules.model_validate(r.rules)
        raw, _ = ix.effect_raw(inputs)
        assert raw == r.effect_raw
        peers = raws[r.platform]
        assert ix.percentile_scores(peers)[peers.index(r.effect_raw)] == r.effect
        ref = ix.score(
            inputs, rules, effect=r.effect, previous_base=r.previous_base, year_ago_base=r.year_ago_base
        )
        assert (ref.diligence, ref.content, ref.cluster, ref.growth, ref.composite) == (
            r.diligence, r.content, r.cluster, r.growth, r.composite
        )  # fmt: skip
        assert ref.passed == r.passed and [v.code for v in ref.vetoes] == list(r.veto_reasons)
    assert by_id[ids["vetoed"]].veto_reasons == ["not_updated"] and not by_id[ids["vetoed"]].passed
    assert by_id[ids["quiet"]].cluster == 0.0  # a push due and not done
    # recomputing with nothing new changes nothing and announces nothing more
    assert await scoring.compute(PeriodKind.WEEK, WEEK) == (6, 0)
    outbox = await scoring.sql("SELECT count(*) FROM outbox WHERE type = 'gov.scoring.scores.computed.v1'")
    assert outbox[0][0] == 6


async def test_the_api_explains_a_score_with_inputs_parts_weights_and_veto_rules(scoring: Any) -> None:
    ids = await seed_week(scoring)
    await scoring.compute(PeriodKind.WEEK, WEEK)
    office = scoring.client(region="331000")
    r = await office.get(
        f"/v1/accounts/{ids['busy']}/scores", params={"period_kind": "week", "period_start": WEEK.isoformat()}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["effect_formula"] == "清博 WCI v14.2"
    assert set(body["parts"]) == {"diligence", "effect", "content", "cluster", "growth"}
    assert body["parts"]["diligence"]["volume"] == pytest.approx(4 / 5)
    assert body["weights"]["content"] == 0.25 and body["rules"]["veto_serious_errors_max"] == 3
    vetoed = (
        await office.get(
            f"/v1/accounts/{ids['vetoed']}/scores",
            params={"period_kind": "week", "period_start": WEEK.isoformat()},
        )
    ).json()
    assert vetoed["vetoes"] == [
        {
            "code": "not_updated",
            "rule": "a not-updated (内容不更新) violation in the period fails it",
            "count": 1,
        }
    ]
    # a county office does not see a sibling county's account (椒江 331002 from 路桥 331004)
    luqiao = scoring.client(region="331004")
    r = await luqiao.get(
        f"/v1/accounts/{ids['vetoed']}/scores",
        params={"period_kind": "week", "period_start": WEEK.isoformat()},
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await luqiao.get(
        f"/v1/accounts/{ids['busy']}/scores", params={"period_kind": "week", "period_start": "2026-11-10"}
    )
    assert r.status_code == 422 and r.json()["code"] == "bad-period-start"
