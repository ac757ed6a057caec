"""The formulas of the five indices, the composite and the verdict — the reference, pure Python, no I/O.

The service computes scores for whole periods set-based in SQL (:mod:`govmedia_scoring.engine.sql`); these
functions are the specification that SQL is tested against, and what the API uses to explain a score from
its stored inputs. docs/scoring.md gives every formula with its source and a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from govmedia_common.events.types import Platform
from govmedia_scoring.rules import ScoringRules

INDICES = ("diligence", "effect", "content", "cluster", "growth")


def ln1(x: float) -> float:
    """``ln(x + 1)``: the normalisation every 清博 index uses."""
    return math.log(x + 1.0)


# --------------------------------------------------------------------------------------------- effect


def wci_term(r: float, z: float, lk: float, re: float) -> float:
    """One term of 清博 WCI v14.2: reads 70 %, 在看 9 %, likes 6 %, shares 15 % (engagement ×10)."""
    return 0.70 * ln1(r) + 0.09 * ln1(10 * z) + 0.06 * ln1(10 * lk) + 0.15 * ln1(10 * re)


@dataclass(frozen=True)
class Wci:
    """清博 WCI v14.2 of one account and period, with its four first-level parts."""

    overall: float  # O, 整体传播力: per-day averages (weight 60 %)
    per_article: float  # A, 篇均传播力: per-article averages (20 %)
    lead: float  # H, 头条传播力: lead articles, per day (10 %)
    peak: float  # P, 峰值传播力: the best single article (10 %)
    value: float


def wci(
    *,
    n: int,
    d: int,
    r: float,
    z: float,
    lk: float,
    re: float,
    rt: float,
    zt: float,
    lt: float,
    ret: float,
    rmax: float,
    zmax: float,
    lmax: float,
    remax: float,
) -> Wci:
    """WCI = (0.6·O + 0.2·A + 0.1·H + 0.1·P)² × 1.2 × 10; no articles → 0.

    ``n`` articles in ``d`` days; ``r, z, lk, re`` totals; ``rt…`` totals of lead articles; ``rmax…`` maxima.
    """
    if n <= 0:
        return Wci(0.0, 0.0, 0.0, 0.0, 0.0)
    o = wci_term(r / d, z / d, lk / d, re / d)
    a = wci_term(r / n, z / n, lk / n, re / n)
    h = wci_term(rt / d, zt / d, lt / d, ret / d)
    p = wci_term(rmax, zmax, lmax, remax)
    return Wci(o, a, h, p, (0.6 * o + 0.2 * a + 0.1 * h + 0.1 * p) ** 2 * 1.2 * 10)


@dataclass(frozen=True)
class Bci:
    """清博 BCI (Weibo) of one account and period: activity W1, spread W2."""

    activity: float
    spread: float
    value: float


def bci(*, posts: int, reposts: float, comments: float, likes: float) -> Bci:
    """BCI = (0.2·W1 + 0.8·W2) × 160.

    W1 = ln(posts+1); W2 = 0.4·ln(reposts+1) + 0.4·ln(comments+1) + 0.2·ln(likes+1).
    """
    w1 = ln1(posts)
    w2 = 0.4 * ln1(reposts) + 0.4 * ln1(comments) + 0.2 * ln1(likes)
    return Bci(w1, w2, (0.2 * w1 + 0.8 * w2) * 160)


def feed_term(r: float, lk: float, c: float, s: float) -> float:
    """Term of the video/feed index: plays or reads 70 %, likes, comments, shares 10 % each (×10)."""
    return 0.70 * ln1(r) + 0.10 * ln1(10 * lk) + 0.10 * ln1(10 * c) + 0.10 * ln1(10 * s)


@dataclass(frozen=True)
class Feed:
    """The WCI-shaped index of Douyin, Toutiao, Kuaishou, Bilibili and apps (no lead article there)."""

    overall: float
    per_post: float
    peak: float
    value: float


def feed(
    *,
    n: int,
    d: int,
    r: float,
    lk: float,
    c: float,
    s: float,
    rmax: float,
    lmax: float,
    cmax: float,
    smax: float,
) -> Feed:
    """(0.6·O + 0.3·A + 0.1·P)² × 1.2 × 10 with :func:`feed_term`; no posts → 0."""
    if n <= 0:
        return Feed(0.0, 0.0, 0.0, 0.0)
    o = feed_term(r / d, lk / d, c / d, s / d)
    a = feed_term(r / n, lk / n, c / n, s / n)
    p = feed_term(rmax, lmax, cmax, smax)
    return Feed(o, a, p, (0.6 * o + 0.3 * a + 0.1 * p) ** 2 * 1.2 * 10)


def percentile_scores(raw: Sequence[float]) -> list[float]:
    """Map raw effect values of one peer group (platform, period) to 0–100 by mid-rank percentile.

    score = 100 · (peers below + ½ · other peers equal) / (peers − 1); a raw value of 0 (no reach) scores 0;
    a group of one scores 100 when it reached anyone.
    """
    n = len(raw)
    out = []
    for x in raw:
        if x <= 0:
            out.append(0.0)
        elif n == 1:
            out.append(100.0)
        else:
            below = sum(1 for y in raw if y < x)
            equal = sum(1 for y in raw if y == x) - 1
            out.append(100.0 * (below + 0.5 * equal) / (n - 1))
    return out


# --------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    """What one account did in one period: the aggregates every index is computed from."""

    platform: Platform
    high_attention: bool = False
    active_days: int = 1  # days of the period the account was open
    wci_days: int = 1  # 清博's d
    posts: int = 0
    original_posts: int = 0
    days_with_post: int = 0
    longest_gap: int = 0  # longest run of days without a post inside the period
    reads: float = 0
    watching: float = 0
    likes: float = 0
    shares: float = 0
    comments: float = 0
    lead_reads: float = 0
    lead_watching: float = 0
    lead_likes: float = 0
    lead_shares: float = 0
    max_reads: float = 0
    max_watching: float = 0
    max_likes: float = 0
    max_shares: float = 0
    max_comments: float = 0
    errors_serious: int = 0
    errors_ordinary: int = 0
    pushes_assigned: int = 0
    pushes_done: int = 0
    pushes_on_time: int = 0
    not_updated_alerts: int = 0
    interaction_off_alerts: int = 0
    serious_alerts: int = 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["platform"] = self.platform.value
        return d


def effect_raw(i: Inputs) -> tuple[float, dict[str, float]]:
    """The platform's raw effect value and its parts (WCI for WeChat, BCI for Weibo, the feed index else)."""
    if i.platform is Platform.WECHAT:
        w = wci(
            n=i.posts,
            d=i.wci_days,
            r=i.reads,
            z=i.watching,
            lk=i.likes,
            re=i.shares,
            rt=i.lead_reads,
            zt=i.lead_watching,
            lt=i.lead_likes,
            ret=i.lead_shares,
            rmax=i.max_reads,
            zmax=i.max_watching,
            lmax=i.max_likes,
            remax=i.max_shares,
        )
        return w.value, {"formula": 0.0, "O": w.overall, "A": w.per_article, "H": w.lead, "P": w.peak}
    if i.platform is Platform.WEIBO:
        b = bci(posts=i.posts, reposts=i.shares, comments=i.comments, likes=i.likes)
        return b.value, {"formula": 1.0, "W1": b.activity, "W2": b.spread}
    f = feed(
        n=i.posts,
        d=i.wci_days,
        r=i.reads,
        lk=i.likes,
        c=i.comments,
        s=i.shares,
        rmax=i.max_reads,
        lmax=i.max_likes,
        cmax=i.max_comments,
        smax=i.max_shares,
    )
    return f.value, {"formula": 2.0, "O": f.overall, "A": f.per_post, "P": f.peak}


FORMULA_NAMES = {0.0: "清博 WCI v14.2", 1.0: "清博 BCI", 2.0: "feed index (WCI-shaped)"}

# --------------------------------------------------------------------------------------------- indices


def diligence(i: Inputs, r: ScoringRules) -> tuple[float, dict[str, float]]:
    """勤勉: volume against the weekly target, share of days with a post, longest gap against the limit."""
    days = max(i.active_days, 1)
    expected = r.diligence_weekly_target_posts * days / 7
    volume = min(1.0, i.posts / expected)
    share = min(1.0, i.days_with_post / (r.diligence_day_share_target * days))
    limit = r.diligence_gap_limit_days_high_attention if i.high_attention else r.diligence_gap_limit_days
    gap = max(0.0, 1.0 - i.longest_gap / limit)
    wv, wd, wg = r.diligence_weight_volume, r.diligence_weight_days, r.diligence_weight_gap
    value = 100.0 * (wv * volume + wd * share + wg * gap) / (wv + wd + wg)
    return value, {
        "volume": volume,
        "days": share,
        "gap": gap,
        "expected_posts": expected,
        "gap_limit": limit,
    }


def content(i: Inputs, r: ScoringRules) -> tuple[float, dict[str, float]]:
    """内容: 100 − points per serious and ordinary error + credit pro rata to the share of original posts."""
    original = i.original_posts / i.posts if i.posts > 0 else 0.0
    penalty = (
        r.content_serious_error_points * i.errors_serious
        + r.content_ordinary_error_points * i.errors_ordinary
    )
    credit = r.content_original_credit * original
    value = min(100.0, max(0.0, 100.0 - penalty + credit))
    return value, {"penalty": penalty, "original_share": original, "credit": credit}


def cluster(i: Inputs, r: ScoringRules) -> tuple[float, dict[str, float]]:
    """集群: joint-push completion rate and on-time rate (协同完成率); no push due → the configured score."""
    if i.pushes_assigned <= 0:
        return r.cluster_without_pushes, {"completion": 1.0, "timeliness": 1.0}
    completion = i.pushes_done / i.pushes_assigned
    timeliness = i.pushes_on_time / i.pushes_assigned
    wc, wt = r.cluster_weight_completion, r.cluster_weight_timeliness
    return 100.0 * (wc * completion + wt * timeliness) / (wc + wt), {
        "completion": completion,
        "timeliness": timeliness,
    }


def base(diligence_: float, effect_: float, content_: float, cluster_: float, r: ScoringRules) -> float:
    """The composite without growth: what growth compares between periods."""
    w = r.weights()
    total = w["diligence"] + w["effect"] + w["content"] + w["cluster"]
    if total <= 0:
        return (diligence_ + effect_ + content_ + cluster_) / 4
    return (
        w["diligence"] * diligence_
        + w["effect"] * effect_
        + w["content"] * content_
        + w["cluster"] * cluster_
    ) / total


def growth(now: float, previous: float | None, year_ago: float | None, r: ScoringRules) -> float:
    """成长: 50 + ½ · weighted change of the base score (period on period, year on year); 50 = no change.

    A comparison whose period the account did not exist in is left out; with neither, 50.
    """
    parts = []
    if previous is not None:
        parts.append((r.growth_weight_period, now - previous))
    if year_ago is not None:
        parts.append((r.growth_weight_year, now - year_ago))
    total = sum(w for w, _ in parts)
    if total <= 0:
        return 50.0
    return 50.0 + 0.5 * sum(w * delta for w, delta in parts) / total


def composite(scores: dict[str, float], r: ScoringRules) -> float:
    """Weighted mean of the five indices with the region's weights."""
    w = r.weights()
    return sum(w[k] * scores[k] for k in INDICES) / sum(w.values())


@dataclass(frozen=True)
class Veto:
    """A veto-level violation that fails the period, and the rule behind it."""

    code: str
    rule: str
    count: int


VETO_RULES = {
    "not_updated": "a not-updated (内容不更新) violation in the period fails it",
    "interaction_off": "interaction switched off (互动功能关闭) fails the period",
    "serious_alert": "a serious alert (safety, leak, publication without review) fails the period",
    "serious_errors": "more than {limit} serious errors in the period fail it",
}
"""The rule behind each veto code; ``{limit}`` is the region's serious-error limit."""


def vetoes(i: Inputs, r: ScoringRules) -> list[Veto]:
    """一票否决: not updated, interaction off, a serious alert (safety, leak), too many serious errors."""
    found = {
        "not_updated": i.not_updated_alerts if r.veto_not_updated else 0,
        "interaction_off": i.interaction_off_alerts if r.veto_interaction_off else 0,
        "serious_alert": i.serious_alerts if r.veto_serious_alert else 0,
        "serious_errors": i.errors_serious if i.errors_serious > r.veto_serious_errors_max else 0,
    }
    return [
        Veto(code, VETO_RULES[code].replace("{limit}", str(r.veto_serious_errors_max)), count)
        for code, count in found.items()
        if count > 0
    ]


@dataclass
class Scored:
    """The scores of one account and period with everything that explains them."""

    diligence: float
    effect: float
    content: float
    cluster: float
    growth: float
    composite: float
    passed: bool
    effect_raw: float
    vetoes: list[Veto] = field(default_factory=list)
    parts: dict[str, dict[str, float]] = field(default_factory=dict)

    def indices(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in INDICES}


def score(
    i: Inputs,
    r: ScoringRules,
    *,
    effect: float,
    previous_base: float | None = None,
    year_ago_base: float | None = None,
) -> Scored:
    """All indices of one account and period, given its effect score (a peer-group mapping)."""
    dil, dil_parts = diligence(i, r)
    con, con_parts = content(i, r)
    clu, clu_parts = cluster(i, r)
    raw, eff_parts = effect_raw(i)
    now = base(dil, effect, con, clu, r)
    gro = growth(now, previous_base, year_ago_base, r)
    values = {"diligence": dil, "effect": effect, "content": con, "cluster": clu, "growth": gro}
    found = vetoes(i, r)
    return Scored(
        dil,
        effect,
        con,
        clu,
        gro,
        composite(values, r),
        not found,
        raw,
        found,
        {
            "diligence": dil_parts,
            "effect": {**eff_parts, "raw": raw},
            "content": con_parts,
            "cluster": clu_parts,
            "growth": {
                "base": now,
                **({"previous_base": previous_base} if previous_base is not None else {}),
                **({"year_ago_base": year_ago_base} if year_ago_base is not None else {}),
            },
        },
    )
