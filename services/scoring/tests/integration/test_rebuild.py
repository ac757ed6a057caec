"""Incremental scoring from the real broker, a settings change, and a rebuild by replaying the topics."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from govmedia_common.events.scoring import PeriodKind

if TYPE_CHECKING:
    from .conftest import ScoringKit, StartScoring

pytestmark = pytest.mark.integration

WEEK = date(2026, 11, 9)
PERIODS = [
    (PeriodKind.WEEK, WEEK),
    (PeriodKind.MONTH, date(2026, 11, 1)),
    (PeriodKind.DAY, date(2026, 11, 10)),
]


async def test_rebuild_from_the_topics_gives_the_incremental_scores_and_settings_change_only_their_region(
    start_scoring: StartScoring,
) -> None:
    generation = random.randint(1_000, 1_000_000_000)
    async with start_scoring(consumers=True, prefix="incremental", generation=generation) as a:
        ids, events = a.week_events()
        published = await a.publish(events)
        await a.handled(published, within=60)
        for kind, start in PERIODS:
            await a.compute(kind, start)
        mine = set(ids.values())
        before_all = await a.scores()
        before = {k: v for k, v in before_all.items() if k[0] in mine}
        assert len(before) == 6 * 3 - 1  # the account opened on Thursday has no score for Tuesday

        # 椒江 (331002) tightens its rules: ordinary errors cost 5 points, any serious error fails the period
        change = a.settings("331002", 1, {"content_ordinary_error_points": 5.0, "veto_serious_errors_max": 0})
        sid = await a.publish([change])
        await a.handled(sid, within=60)
        stale = await a.sql("SELECT count(*) FROM score_runs WHERE stale")
        assert stale[0][0] == len(PERIODS)  # the schedule would recompute every period
        admin = a.client(roles=("office_admin",))
        changed = 0
        for kind, start in PERIODS:
            r = await admin.post(
                "/v1/recompute", json={"period_kind": kind.value, "period_start": start.isoformat()}
            )
            assert r.status_code == 200, r.text
            changed += r.json()["changed"]
        after_all = await a.scores()
        after = {k: v for k, v in after_all.items() if k[0] in mine}
        moved = {k for k in after if after[k] != before[k]}
        # exactly the 331002 account's scores in the periods holding its erroneous post (Tuesday 10 Nov)
        assert moved == {(ids["vetoed"], kind.value, start) for kind, start in PERIODS}
        # and the recompute reports at least those (it counts every row it rewrote, e.g. a new rules digest
        # of other 331002 accounts)
        assert changed >= len({k for k in after_all if after_all[k] != before_all.get(k)}) >= len(moved)
        month = after[(ids["vetoed"], "month", date(2026, 11, 1))]
        assert "serious_errors" in month[-1] and month[-2] is False
        outbox = await a.sql("SELECT count(*) FROM outbox WHERE type = 'gov.scoring.scores.computed.v1'")
        assert outbox[0][0] >= len(before) + len(moved)
        days_a = await a.sql(
            "SELECT * FROM account_days WHERE account_id = ANY(CAST(:ids AS text[])) ORDER BY 1, 2",
            ids=list(mine),
        )

    # a fresh database and a new consumer generation (new groups): replay every topic from where a began
    async with start_scoring(consumers=True, prefix="rebuild", generation=generation + 1, replay=a) as b:
        await b.handled(published + sid, within=60)
        for kind, start in PERIODS:
            await b.compute(kind, start)
        rebuilt = {k: v for k, v in (await b.scores()).items() if k[0] in mine}
        assert rebuilt == after
        days_b = await b.sql(
            "SELECT * FROM account_days WHERE account_id = ANY(CAST(:ids AS text[])) ORDER BY 1, 2",
            ids=list(mine),
        )
        assert days_b == days_a


async def test_the_schedule_scores_the_running_periods_and_recomputes_the_stale_ones(
    start_scoring: StartScoring,
) -> None:
    generation = random.randint(1_000, 1_000_000_000)
    async with start_scoring(
        consumers=True, prefix="schedule", generation=generation, schedule_seconds=0.5
    ) as kit:
        ids, events = kit.week_events()
        await kit.apply(events)
        # today is Friday 20 November 2026: the running day, week, month, quarter and year, and yesterday
        await kit.wait_for("SELECT count(*) FROM score_runs", 6, within=60)
        runs = {(k, s) for k, s in await kit.sql("SELECT period_kind, period_start FROM score_runs")}
        assert ("week", date(2026, 11, 16)) in runs and ("day", date(2026, 11, 19)) in runs
        month = await kit.sql("SELECT count(*) FROM scores WHERE period_kind = 'month'")
        assert month[0][0] >= len(ids)
        # ten minutes later the running day is rescored, the running month (a long period) is not yet
        first = kit.clock.now()
        kit.clock.advance(timedelta(minutes=10))
        await kit.wait_for(
            "SELECT count(*) FROM score_runs WHERE period_kind = 'day' AND computed_at > :t",
            2,
            t=first,
            within=60,
        )
        computed = dict(
            await kit.sql("SELECT period_kind || ':' || period_start, computed_at FROM score_runs")
        )
        assert computed["month:2026-11-01"] == first and computed["year:2026-01-01"] == first
        await kit.apply([kit.settings("330000", 1, {"content_serious_error_points": 20.0})])
        await kit.wait_for("SELECT count(*) FROM score_runs WHERE stale", 0, within=60)
        digest = await kit.sql(
            "SELECT DISTINCT r.rules->>'content_serious_error_points' FROM scores s "
            "JOIN rules_snapshots r ON r.digest = s.rules_digest "
            "WHERE s.account_id = ANY(CAST(:ids AS text[])) AND s.period_kind = 'month'",
            ids=list(ids.values()),
        )
        assert [d[0] for d in digest] == ["20.0"]


async def test_a_settings_change_during_a_computation_leaves_the_period_stale(
    scoring: ScoringKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_scoring.engine import compute

    _, events = scoring.week_events()
    await scoring.apply(events)
    await scoring.compute(PeriodKind.WEEK, WEEK)
    original = compute._prepare_rules

    async def rules_then_a_change_commits(session: Any) -> Any:
        rules = await original(session)
        # the registry's change lands (its own transaction) after this run has read the old rules
        await scoring.apply([scoring.settings("330000", 1, {"content_serious_error_points": 15.0})])
        return rules

    monkeypatch.setattr(compute, "_prepare_rules", rules_then_a_change_commits)
    await scoring.compute(PeriodKind.WEEK, WEEK)
    stale = await scoring.sql("SELECT stale FROM score_runs WHERE period_kind = 'week'")
    assert stale[0][0] is True  # the schedule will compute it again with the new rules
    monkeypatch.setattr(compute, "_prepare_rules", original)
    await scoring.compute(PeriodKind.WEEK, WEEK)
    assert (await scoring.sql("SELECT stale FROM score_runs WHERE period_kind = 'week'"))[0][0] is False
