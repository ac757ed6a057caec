"""Aggregates from the input events, scores computed set-based in SQL, equal to the Python reference."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import orjson
import pytest

from govmedia_common.events.scoring import PeriodKind
from govmedia_common.workdays import SHANGHAI
from govmedia_scoring import indices as ix
from govmedia_scoring.engine import sql
from govmedia_scoring.rules import ScoringRules

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration

WEEK = date(2026, 11, 9)  # a Monday
DAYS = [WEEK + timedelta(days=i) for i in range(7)]
DEADLINE = datetime(2026, 11, 11, 18, tzinfo=SHANGHAI)


async def seed_week(kit: ScoringKit) -> dict[str, str]:
    ids, events = kit.week_events()
    # in several batches, as a consumer would see them
    for i in range(0, len(events), 7):
        await kit.apply(events[i : i + 7])
    return ids


async def test_sql_scores_equal_the_python_reference_formulas(scoring: ScoringKit) -> None:
    ids = await seed_week(scoring)
    accounts, changed = await scoring.compute(PeriodKind.WEEK, WEEK)
    assert (accounts, changed) == (6, 6)
    rows = await scoring.sql(
        "SELECT s.*, r.rules FROM scores s JOIN rules_snapshots r ON r.digest = s.rules_digest "
        "WHERE period_kind = 'week'"
    )
    by_id = {r.account_id: r for r in rows}
    inputs_of = {r.account_id: sql.inputs_of(r.platform, r.inputs) for r in rows}
    # the inputs the aggregates produced for the busy account, by hand
    busy = inputs_of[ids["busy"]]
    assert (busy["posts"], busy["original_posts"], busy["days_with_post"], busy["longest_gap"]) == (
        4,
        3,
        3,
        2,
    )
    assert (busy["reads"], busy["watching"], busy["max_reads"], busy["lead_reads"]) == (4000, 39, 2500, 3700)
    assert (busy["errors_ordinary"], busy["pushes_assigned"], busy["pushes_done"]) == (1, 1, 1)
    assert inputs_of[ids["quiet"]]["errors_serious"] == 1 and inputs_of[ids["quiet"]]["errors_ordinary"] == 1
    assert inputs_of[ids["new"]]["active_days"] == 4
    # the effect mapping within each platform, recomputed in Python
    raws: dict[str, list[float]] = {}
    for r in rows:
        raws.setdefault(r.platform, []).append(r.effect_raw)
    for r in rows:
        inputs = sql.stored_inputs(r.platform, r.inputs)
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


async def test_the_api_explains_a_score_with_inputs_parts_weights_and_veto_rules(scoring: ScoringKit) -> None:
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


async def test_the_outbox_rows_written_set_based_are_the_scores_computed_events_python_would_write(
    scoring: ScoringKit,
) -> None:
    from govmedia_common.envelope import from_record
    from govmedia_common.events.scoring import ScoresComputed
    from govmedia_scoring.engine.compute import scores_event
    from govmedia_scoring.periods import Period

    ids = await seed_week(scoring)
    await scoring.compute(PeriodKind.WEEK, WEEK)
    rows = await scoring.sql(
        "SELECT o.payload, o.headers, o.aggregateid, o.topic, s.*, r.rules FROM outbox o "
        "JOIN scores s ON s.account_id = o.aggregateid AND s.period_kind = 'week' "
        "JOIN rules_snapshots r ON r.digest = s.rules_digest WHERE o.type = :t",
        t=ScoresComputed.event_type,
    )
    assert {r.aggregateid for r in rows} == set(ids.values())
    for r in rows:
        env = from_record([(k, v.encode()) for k, v in r.headers.items()], orjson.dumps(r.payload))
        assert env.type == ScoresComputed.event_type and env.subject == r.aggregateid and env.id != ""
        event = env.event()
        assert isinstance(event, ScoresComputed) and r.topic == ScoresComputed.topic
        expected = scores_event(
            r, Period(PeriodKind.WEEK, WEEK), ScoringRules.model_validate(r.rules), event.occurred_at
        )
        assert event == expected
    vetoed = next(r for r in rows if r.aggregateid == ids["vetoed"])
    assert vetoed.payload["veto_rules"] == {"not_updated": ix.VETO_RULES["not_updated"]}
    assert vetoed.payload["passed"] is False and vetoed.payload["parts"]["diligence"]["gap_limit"] == 14


async def test_a_scores_event_too_large_for_the_bus_refuses_the_computation_and_writes_nothing(
    scoring: ScoringKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_common.outbox import EventTooLarge

    await seed_week(scoring)
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "1500")
    with pytest.raises(EventTooLarge):
        await scoring.compute(PeriodKind.WEEK, WEEK)
    assert (await scoring.sql("SELECT count(*) FROM scores"))[0][0] == 0
    outbox = await scoring.sql("SELECT count(*) FROM outbox WHERE type = 'gov.scoring.scores.computed.v1'")
    assert outbox[0][0] == 0
    monkeypatch.setenv("GOVMEDIA_OUTBOX_MAX_EVENT_BYTES", "900000")
    assert (await scoring.compute(PeriodKind.WEEK, WEEK))[1] == 6  # the same run fits the default


async def test_a_recompute_skips_only_the_platforms_whose_inputs_rules_and_formulas_hash_as_before(
    scoring: ScoringKit,
) -> None:
    from sqlalchemy import text

    from govmedia_scoring.engine.compute import RunResult, compute_period
    from govmedia_scoring.periods import Period

    async def run() -> RunResult:
        async with scoring.sessions() as session, session.begin():
            return await compute_period(session, Period(PeriodKind.WEEK, WEEK), now=scoring.clock.now())

    ids = await seed_week(scoring)
    assert (await run()).skipped == ()
    again = await run()
    assert again.skipped == ("douyin", "wechat", "weibo") and again.changed == 0
    # a later snapshot of one weibo post: only weibo is computed again, and its score moves
    weibo_post = (
        await scoring.sql(
            "SELECT platform_post_id FROM posts WHERE account_id = :a AND day IS NOT NULL LIMIT 1",
            a=ids["weibo"],
        )
    )[0][0]
    raw = "SELECT effect_raw FROM scores WHERE account_id = :a"
    before = await scoring.sql(raw, a=ids["weibo"])
    later = scoring.clock.now() + timedelta(hours=2)
    await scoring.apply([scoring.metrics(ids["weibo"], weibo_post, later, shares=400, comments=90, likes=9)])
    third = await run()
    assert third.skipped == ("douyin", "wechat") and third.changed == 1
    assert await scoring.sql(raw, a=ids["weibo"]) != before
    # skipping never left a score behind: computing every platform afresh changes nothing
    async with scoring.sessions() as session, session.begin():
        await session.execute(text("DELETE FROM score_fingerprints"))
    fresh = await run()
    assert fresh.skipped == () and fresh.changed == 0
