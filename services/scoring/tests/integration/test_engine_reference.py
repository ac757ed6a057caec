"""The set-based SQL engine against a reference engine written with the Python formulas, on random data.

The reference computes every input from the raw daily rows itself (sums, maxima, days with a post, the
longest gap in the days the account was open), maps effect to percentiles per platform, scores the previous
and year-ago periods for growth, and resolves each region's rules — then demands the SQL's exact doubles.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from govmedia_common.events.scoring import PeriodKind
from govmedia_common.events.types import Platform
from govmedia_scoring import indices as ix
from govmedia_scoring.engine import sql
from govmedia_scoring.periods import Period
from govmedia_scoring.rules import region_path, resolve

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration

PERIOD = Period(PeriodKind.WEEK, date(2026, 11, 9))
# A week and a month find their longest gap from a bitmask of post days, a quarter with a window: the
# stride spreads the fourteen sampled days over the longer periods so their inner gaps are long too.
CASES = [
    (7, PERIOD, 1),
    (2026, PERIOD, 1),
    (11, Period(PeriodKind.MONTH, date(2026, 11, 1)), 3),
    (5, Period(PeriodKind.QUARTER, date(2026, 10, 1)), 7),
]
REGIONS = ("331004", "331002", "330102")
COUNTS = ("posts", "original_posts", "errors_serious", "errors_ordinary", "pushes_assigned", "pushes_done",
          "pushes_on_time", "not_updated_alerts", "interaction_off_alerts", "serious_alerts")  # fmt: skip
SUMS = ("reads", "watching", "likes", "shares", "comments", "lead_reads", "lead_watching", "lead_likes",
        "lead_shares")  # fmt: skip
MAXIMA = ("max_reads", "max_watching", "max_likes", "max_shares", "max_comments")


def random_world(
    rng: random.Random, period: Period = PERIOD, stride: int = 1
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    accounts, days = [], []
    for n in range(120):
        opened = rng.choice([None, None, date(2026, 11, 5), date(2026, 11, 11), date(2025, 6, 1)])
        acc = {
            "account_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "region_code": rng.choice(REGIONS),
            "platform": rng.choice(["wechat", "wechat", "weibo", "douyin", "app"]),
            "high_attention": rng.random() < 0.2,
            "opened_on": opened,
            "name": f"账号{n}",
        }
        accounts.append(acc)
        for offset in range(-7, 7):  # the previous period's end and this one's start
            day = period.start + timedelta(days=offset * stride)
            if rng.random() < 0.45:
                continue
            posts = rng.choice([0, 1, 1, 2, 3])
            row = {"account_id": acc["account_id"], "day": day, "posts": posts,
                   "original_posts": rng.randint(0, posts)}  # fmt: skip
            for c in SUMS:
                row[c] = rng.choice([0, rng.randint(0, 50), rng.randint(0, 20_000)]) if posts else 0
            for c in MAXIMA:
                row[c] = rng.randint(0, 9_000) if posts else 0
            assigned = rng.choice([0, 0, 0, 1, 2])
            done = rng.randint(0, assigned)
            row |= {
                "errors_serious": rng.choice([0, 0, 0, 1, 2]), "errors_ordinary": rng.choice([0, 0, 1, 3]),
                "pushes_assigned": assigned, "pushes_done": done, "pushes_on_time": rng.randint(0, done),
                "not_updated_alerts": int(rng.random() < 0.05),
                "interaction_off_alerts": int(rng.random() < 0.03),
                "serious_alerts": int(rng.random() < 0.02),
            }  # fmt: skip
            days.append(row)
    settings = {
        "330000": {"veto_serious_errors_max": rng.choice([2, 3]), "weight_effect": rng.choice([0.1, 0.2])},
        "331000": {"content_ordinary_error_points": rng.choice([2.0, 3.5])},
        "331004": {"diligence_weekly_target_posts": rng.choice([5.0, 7.5]), "cluster_without_pushes": 90.0},
    }
    return accounts, days, settings


def reference(
    accounts: list[dict[str, Any]],
    days: list[dict[str, Any]],
    settings: dict[str, dict[str, Any]],
    period: Period = PERIOD,
) -> tuple[dict[str, ix.Scored], dict[str, ix.Inputs]]:
    rules = {
        code: resolve((c, settings[c]) for c in region_path(code) if c in settings).rules for code in REGIONS
    }

    def inputs_of(period: Period) -> dict[str, ix.Inputs]:
        out = {}
        for a in accounts:
            opened = a["opened_on"]
            if opened is not None and opened > period.end:
                continue
            s = max(opened or period.start, period.start)
            rows = [
                r
                for r in days
                if r["account_id"] == a["account_id"] and period.start <= r["day"] <= period.end
            ]
            post_days = sorted(r["day"] for r in rows if r["posts"] > 0)
            active = (period.end - s).days + 1
            if not post_days:
                gap = active
            else:
                inner = [(b - x).days - 1 for x, b in pairwise(post_days)]
                gap = max([(post_days[0] - s).days, (period.end - post_days[-1]).days, *inner, 0])
            values: dict[str, Any] = {c: sum(r[c] for r in rows) for c in (*COUNTS, *SUMS)}
            values |= {c: max((r[c] for r in rows), default=0) for c in MAXIMA}
            out[a["account_id"]] = ix.Inputs(
                platform=Platform(a["platform"]), high_attention=a["high_attention"], active_days=active,
                wci_days=period.wci_days, days_with_post=len(post_days), longest_gap=gap, **values,
            )  # fmt: skip
        return out

    def scored(period: Period, prev: dict[str, float] | None = None, yoy: dict[str, float] | None = None
               ) -> dict[str, ix.Scored]:  # fmt: skip
        inputs = inputs_of(period)
        raw = {k: ix.effect_raw(i)[0] for k, i in inputs.items()}
        effect: dict[str, float] = {}
        for platform in {i.platform for i in inputs.values()}:
            keys = [k for k, i in inputs.items() if i.platform is platform]
            effect |= dict(zip(keys, ix.percentile_scores([raw[k] for k in keys]), strict=True))
        region = {a["account_id"]: a["region_code"] for a in accounts}
        return {
            k: ix.score(
                i,
                rules[region[k]],
                effect=effect[k],
                previous_base=(prev or {}).get(k),
                year_ago_base=(yoy or {}).get(k),
            )
            for k, i in inputs.items()
        }

    def bases(period: Period) -> dict[str, float]:
        return {k: s.parts["growth"]["base"] for k, s in scored(period).items()}

    return scored(period, bases(period.previous()), bases(period.year_ago())), inputs_of(period)


@pytest.mark.parametrize(("seed", "period", "stride"), CASES)
async def test_the_sql_engine_gives_the_reference_engine_exact_scores_on_random_data(
    scoring: ScoringKit, seed: int, period: Period, stride: int
) -> None:
    accounts, days, settings = random_world(random.Random(seed), period, stride)
    async with scoring.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO accounts (account_id, name, unit_id, unit_name, region_code, platform, status, "
                "high_attention, interaction_enabled, opened_on, as_of) "
                "VALUES (:account_id, :name, :account_id, "
                "'单位', :region_code, :platform, 'active', :high_attention, true, :opened_on, now())"
            ),
            accounts,
        )
        columns = ("account_id", "day", *COUNTS, *SUMS, *MAXIMA)
        await session.execute(
            text(
                f"INSERT INTO account_days ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            days,
        )
        for version, (code, section) in enumerate(settings.items(), start=1):
            await session.execute(
                text("INSERT INTO region_settings VALUES (:c, CAST(:s AS jsonb), :v, now())"),
                {"c": code, "s": json.dumps(section), "v": version},
            )
    await scoring.compute(period.kind, period.start)
    expected, inputs = reference(accounts, days, settings, period)
    stored = {r.account_id: r for r in await scoring.sql("SELECT * FROM scores")}
    assert set(stored) == set(expected)
    gap = sql.INPUT_VALUES.index("longest_gap")
    for k, ref in expected.items():
        got = stored[k]
        assert got.inputs[gap] == inputs[k].longest_gap, k  # clipped in diligence, so checked itself
        assert (got.diligence, got.effect, got.content, got.cluster, got.growth, got.composite) == (
            ref.diligence, ref.effect, ref.content, ref.cluster, ref.growth, ref.composite,
        ), k  # fmt: skip
        assert got.passed == ref.passed and list(got.veto_reasons) == [v.code for v in ref.vetoes]
    assert any(not s.passed for s in expected.values()) and any(s.passed for s in expected.values())
    assert len({round(s.growth, 6) for s in expected.values()}) > 10  # growth really moved
    assert len({i.longest_gap for i in inputs.values()}) > 3  # gaps of many lengths
