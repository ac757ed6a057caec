"""The formulas against hand-computed examples (docs/scoring.md), and their properties with hypothesis."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govmedia_common.events.types import Platform
from govmedia_scoring import indices as ix
from govmedia_scoring.rules import DEFAULTS, ScoringRules


def sig4(x: float) -> float:
    """``x`` to four significant digits."""
    return float(f"{x:.4g}")


# ------------------------------------------------------------------ WCI and BCI, worked examples


def test_wci_v14_2_reproduces_the_worked_month_example_to_four_significant_digits() -> None:
    # A month (清博 d = 30): 40 articles, 120,000 reads, 1,500 在看, 2,400 likes, 3,000 shares; lead articles
    # 60,000 / 800 / 1,200 / 1,500; best article 10,000 / 150 / 300 / 400. Worked by hand in docs/scoring.md:
    # O = 7.803, A = 7.515, H = 7.116, P = 8.830; (0.6·O + 0.2·A + 0.1·H + 0.1·P)² × 12 = 726.2.
    w = ix.wci(
        n=40, d=30, r=120_000, z=1_500, lk=2_400, re=3_000, rt=60_000, zt=800, lt=1_200, ret=1_500,
        rmax=10_000, zmax=150, lmax=300, remax=400,
    )  # fmt: skip
    assert (sig4(w.overall), sig4(w.per_article), sig4(w.lead), sig4(w.peak)) == (7.803, 7.515, 7.116, 8.830)
    assert sig4(w.value) == 726.2


def test_wci_term_weights_reads_70_percent_and_engagement_times_ten() -> None:
    # term(4000, 50, 80, 100) = 0.70·ln 4001 + 0.09·ln 501 + 0.06·ln 801 + 0.15·ln 1001
    assert sig4(ix.wci_term(4000, 50, 80, 100)) == 7.803
    assert ix.wci_term(0, 0, 0, 0) == 0.0


def test_bci_reproduces_the_worked_month_example_to_four_significant_digits() -> None:
    # 90 posts, 4,500 reposts, 3,200 comments, 12,000 likes: W1 = ln 91 = 4.511,
    # W2 = 0.4·ln 4501 + 0.4·ln 3201 + 0.2·ln 12001 = 8.472; (0.2·W1 + 0.8·W2) × 160 = 1229.
    b = ix.bci(posts=90, reposts=4_500, comments=3_200, likes=12_000)
    assert (sig4(b.activity), sig4(b.spread), sig4(b.value)) == (4.511, 8.472, 1229)


def test_no_articles_means_no_wci_and_no_feed_index() -> None:
    zeros = dict(r=0, z=0, lk=0, re=0, rt=0, zt=0, lt=0, ret=0, rmax=0, zmax=0, lmax=0, remax=0)
    assert ix.wci(n=0, d=7, **zeros).value == 0.0
    assert ix.feed(n=0, d=7, r=0, lk=0, c=0, s=0, rmax=0, lmax=0, cmax=0, smax=0).value == 0.0


def test_feed_index_of_a_week_of_videos_matches_the_hand_computation() -> None:
    # 7 days, 5 videos, 7,000 plays, 70 likes, 14 comments, 35 shares, best 3,000 / 30 / 6 / 15.
    f = ix.feed(n=5, d=7, r=7_000, lk=70, c=14, s=35, rmax=3_000, lmax=30, cmax=6, smax=15)
    o = 0.70 * math.log(1001) + 0.10 * math.log(101) + 0.10 * math.log(21) + 0.10 * math.log(51)
    a = 0.70 * math.log(1401) + 0.10 * math.log(141) + 0.10 * math.log(29) + 0.10 * math.log(71)
    p = 0.70 * math.log(3001) + 0.10 * math.log(301) + 0.10 * math.log(61) + 0.10 * math.log(151)
    assert f.value == pytest.approx((0.6 * o + 0.3 * a + 0.1 * p) ** 2 * 12, rel=1e-12)
    assert sig4(f.value) == 462.0  # O = 5.995, A = 6.329, P = 7.088


def test_effect_maps_raw_values_to_mid_rank_percentiles_within_the_peer_group() -> None:
    # 0 reach scores 0; the best scores 100; ties share the middle of their ranks.
    assert ix.percentile_scores([0.0, 10.0, 20.0, 20.0, 40.0]) == [0.0, 25.0, 62.5, 62.5, 100.0]
    assert ix.percentile_scores([5.0]) == [100.0]
    assert ix.percentile_scores([0.0]) == [0.0]


# ------------------------------------------------------------------ the other indices, hand examples


def week(**kw: object) -> ix.Inputs:
    base = dict(platform=Platform.WECHAT, active_days=7, wci_days=7)
    return ix.Inputs(**{**base, **kw})  # type: ignore[arg-type]  # kw names Inputs fields, of several types


def test_diligence_of_a_week_with_three_posts_on_two_days_and_a_four_day_gap() -> None:
    # target 5/week → volume 3/5 = 0.6; days 2/(0.4·7) = 0.7143; gap 1 − 4/14 = 0.7143
    # 100 · (0.5·0.6 + 0.25·0.7143 + 0.25·0.7143) = 65.71
    value, parts = ix.diligence(week(posts=3, days_with_post=2, longest_gap=4), DEFAULTS)
    assert parts["volume"] == pytest.approx(0.6)
    assert parts["days"] == pytest.approx(2 / 2.8)
    assert parts["gap"] == pytest.approx(10 / 14)
    assert round(value, 2) == 65.71


def test_high_attention_accounts_are_held_to_the_seven_day_gap() -> None:
    ordinary, _ = ix.diligence(week(posts=5, days_with_post=3, longest_gap=7), DEFAULTS)
    high, parts = ix.diligence(week(posts=5, days_with_post=3, longest_gap=7, high_attention=True), DEFAULTS)
    assert parts["gap"] == 0.0 and high < ordinary


def test_content_loses_points_per_error_and_gains_for_original_posts() -> None:
    # 100 − 10·2 − 2·3 + 10·(6/10) = 80
    value, parts = ix.content(week(posts=10, original_posts=6, errors_serious=2, errors_ordinary=3), DEFAULTS)
    assert value == pytest.approx(80.0)
    assert parts["penalty"] == 26.0
    assert ix.content(week(posts=4, original_posts=4), DEFAULTS)[0] == 100.0  # capped at 100
    assert ix.content(week(errors_serious=20), DEFAULTS)[0] == 0.0  # floored at 0


def test_cluster_weighs_completion_and_timeliness() -> None:
    # 4 pushes due, 3 done, 2 on time: 100 · (0.6·0.75 + 0.4·0.5) = 65
    assert ix.cluster(week(pushes_assigned=4, pushes_done=3, pushes_on_time=2), DEFAULTS)[0] == pytest.approx(
        65.0
    )
    assert ix.cluster(week(), DEFAULTS)[0] == 100.0
    assert ix.cluster(week(), DEFAULTS.model_copy(update={"cluster_without_pushes": 80.0}))[0] == 80.0


def test_growth_is_fifty_without_change_and_moves_half_a_point_per_point_of_change() -> None:
    assert ix.growth(70.0, 70.0, 70.0, DEFAULTS) == 50.0
    assert ix.growth(70.0, None, None, DEFAULTS) == 50.0
    # +10 on the previous period, +20 on a year ago: 50 + 0.5·(0.5·10 + 0.5·20) = 57.5
    assert ix.growth(70.0, 60.0, 50.0, DEFAULTS) == 57.5
    assert ix.growth(70.0, 60.0, None, DEFAULTS) == 55.0


def test_composite_uses_the_region_weights() -> None:
    scores = {"diligence": 80.0, "effect": 60.0, "content": 90.0, "cluster": 100.0, "growth": 50.0}
    # 0.25·80 + 0.20·60 + 0.25·90 + 0.15·100 + 0.15·50 = 77
    assert ix.composite(scores, DEFAULTS) == pytest.approx(77.0)
    only_content = ScoringRules(
        weight_diligence=0, weight_effect=0, weight_content=1, weight_cluster=0, weight_growth=0
    )
    assert ix.composite(scores, only_content) == 90.0


def test_each_veto_names_its_rule() -> None:
    found = ix.vetoes(
        week(not_updated_alerts=1, interaction_off_alerts=1, serious_alerts=1, errors_serious=4), DEFAULTS
    )
    assert [v.code for v in found] == ["not_updated", "interaction_off", "serious_alert", "serious_errors"]
    assert "more than 3 serious errors" in found[-1].rule
    assert ix.vetoes(week(errors_serious=3), DEFAULTS) == []  # the limit itself still passes


# ------------------------------------------------------------------ properties


counts = st.integers(min_value=0, max_value=400)
metric = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def inputs(draw: st.DrawFn) -> ix.Inputs:
    days = draw(st.integers(min_value=1, max_value=366))
    posts = draw(counts)
    days_with = draw(st.integers(min_value=0, max_value=min(days, posts)))
    assigned = draw(st.integers(min_value=0, max_value=20))
    done = draw(st.integers(min_value=0, max_value=assigned))
    return ix.Inputs(
        platform=draw(st.sampled_from(list(Platform))),
        high_attention=draw(st.booleans()),
        active_days=days,
        wci_days=days,
        posts=posts,
        original_posts=draw(st.integers(min_value=0, max_value=posts)),
        days_with_post=days_with,
        longest_gap=days if days_with == 0 else draw(st.integers(min_value=0, max_value=days - days_with)),
        reads=draw(metric),
        watching=draw(metric),
        likes=draw(metric),
        shares=draw(metric),
        comments=draw(metric),
        max_reads=draw(metric),
        errors_serious=draw(st.integers(min_value=0, max_value=30)),
        errors_ordinary=draw(st.integers(min_value=0, max_value=60)),
        pushes_assigned=assigned,
        pushes_done=done,
        pushes_on_time=draw(st.integers(min_value=0, max_value=done)),
        not_updated_alerts=draw(st.integers(min_value=0, max_value=2)),
        interaction_off_alerts=draw(st.integers(min_value=0, max_value=2)),
        serious_alerts=draw(st.integers(min_value=0, max_value=2)),
    )


weights = st.floats(min_value=0.01, max_value=1.0)


@st.composite
def rules(draw: st.DrawFn) -> ScoringRules:
    return ScoringRules(
        diligence_weekly_target_posts=draw(st.floats(min_value=0.5, max_value=50)),
        diligence_day_share_target=draw(st.floats(min_value=0.05, max_value=1.0)),
        diligence_gap_limit_days=draw(st.integers(min_value=1, max_value=60)),
        content_serious_error_points=draw(st.floats(min_value=0, max_value=50)),
        content_ordinary_error_points=draw(st.floats(min_value=0, max_value=20)),
        weight_diligence=draw(weights),
        weight_effect=draw(weights),
        weight_content=draw(weights),
        weight_cluster=draw(weights),
        weight_growth=draw(weights),
        veto_serious_errors_max=draw(st.integers(min_value=0, max_value=10)),
    )


@settings(max_examples=300, deadline=None)
@given(inputs(), rules(), st.integers(min_value=1, max_value=20), st.booleans())
def test_more_posts_never_lower_diligence(
    i: ix.Inputs, r: ScoringRules, extra: int, on_a_new_day: bool
) -> None:
    before, _ = ix.diligence(i, r)
    if on_a_new_day and i.days_with_post < i.active_days:
        # a post on a day without one: one more day with a post, and no gap can grow
        more = replace(i, posts=i.posts + extra, days_with_post=i.days_with_post + 1)
    else:
        more = replace(i, posts=i.posts + extra)
    assert ix.diligence(more, r)[0] >= before


@settings(max_examples=300, deadline=None)
@given(inputs(), rules(), st.integers(min_value=1, max_value=10), st.booleans())
def test_more_errors_never_raise_content(i: ix.Inputs, r: ScoringRules, extra: int, serious: bool) -> None:
    more = (
        replace(i, errors_serious=i.errors_serious + extra)
        if serious
        else replace(i, errors_ordinary=i.errors_ordinary + extra)
    )
    assert ix.content(more, r)[0] <= ix.content(i, r)[0]


@settings(max_examples=300, deadline=None)
@given(inputs(), rules(), st.floats(min_value=0, max_value=100))
def test_a_veto_always_fails_the_period_and_no_veto_passes_it(
    i: ix.Inputs, r: ScoringRules, effect: float
) -> None:
    s = ix.score(i, r, effect=effect)
    assert s.passed == (not s.vetoes)
    if i.errors_serious > r.veto_serious_errors_max or i.not_updated_alerts or i.serious_alerts:
        assert not s.passed


@settings(max_examples=300, deadline=None)
@given(
    inputs(),
    rules(),
    st.floats(min_value=0, max_value=100),
    st.none() | st.floats(min_value=0, max_value=100),
    st.none() | st.floats(min_value=0, max_value=100),
)
def test_every_score_stays_within_0_and_100(
    i: ix.Inputs, r: ScoringRules, effect: float, prev: float | None, yoy: float | None
) -> None:
    s = ix.score(i, r, effect=effect, previous_base=prev, year_ago_base=yoy)
    for name, value in s.indices().items():
        assert 0.0 <= value <= 100.0, name
    assert 0.0 <= s.composite <= 100.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=30))
def test_effect_percentiles_stay_within_0_and_100_and_keep_the_order(raw: list[float]) -> None:
    mapped = ix.percentile_scores(raw)
    assert all(0.0 <= m <= 100.0 for m in mapped)
    for a, ma in zip(raw, mapped, strict=True):
        for b, mb in zip(raw, mapped, strict=True):
            if a < b:
                assert ma < mb or (a <= 0 and ma == 0.0)
