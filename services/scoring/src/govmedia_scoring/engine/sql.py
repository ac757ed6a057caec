"""The formulas of :mod:`govmedia_scoring.indices` as SQL, to score every account of a period in one pass.

Each expression mirrors its Python reference operation for operation (IEEE doubles both sides), so the
integration tests can demand equality, not closeness. Pure: this module only builds SQL text.
"""

from __future__ import annotations

from govmedia_scoring.rules import ScoringRules

F = "float8"


def _ln1(x: str) -> str:
    return f"ln(({x}) + 1.0)"


def wci_term(r: str, z: str, lk: str, re: str) -> str:
    return (
        f"(0.70::{F} * {_ln1(r)} + 0.09::{F} * {_ln1(f'10.0 * ({z})')} "
        f"+ 0.06::{F} * {_ln1(f'10.0 * ({lk})')} + 0.15::{F} * {_ln1(f'10.0 * ({re})')})"
    )


def feed_term(r: str, lk: str, c: str, s: str) -> str:
    return (
        f"(0.70::{F} * {_ln1(r)} + 0.10::{F} * {_ln1(f'10.0 * ({lk})')} "
        f"+ 0.10::{F} * {_ln1(f'10.0 * ({c})')} + 0.10::{F} * {_ln1(f'10.0 * ({s})')})"
    )


def wci() -> str:
    """WCI v14.2 over the columns of ``inputs`` (n = posts, d = wci_days)."""
    o = wci_term("reads / d", "watching / d", "likes / d", "shares / d")
    a = wci_term("reads / n", "watching / n", "likes / n", "shares / n")
    h = wci_term("lead_reads / d", "lead_watching / d", "lead_likes / d", "lead_shares / d")
    p = wci_term("max_reads", "max_watching", "max_likes", "max_shares")
    return (
        f"CASE WHEN posts <= 0 THEN 0.0::{F} "
        f"ELSE power(0.6::{F} * {o} + 0.2::{F} * {a} + 0.1::{F} * {h} + 0.1::{F} * {p}, 2) "
        f"* 1.2::{F} * 10 END"
    )


def bci() -> str:
    w1 = _ln1("n")
    w2 = f"(0.4::{F} * {_ln1('shares')} + 0.4::{F} * {_ln1('comments')} + 0.2::{F} * {_ln1('likes')})"
    return f"(0.2::{F} * {w1} + 0.8::{F} * {w2}) * 160"


def feed() -> str:
    o = feed_term("reads / d", "likes / d", "comments / d", "shares / d")
    a = feed_term("reads / n", "likes / n", "comments / n", "shares / n")
    p = feed_term("max_reads", "max_likes", "max_comments", "max_shares")
    return (
        f"CASE WHEN posts <= 0 THEN 0.0::{F} "
        f"ELSE power(0.6::{F} * {o} + 0.3::{F} * {a} + 0.1::{F} * {p}, 2) * 1.2::{F} * 10 END"
    )


RULE_COLUMNS = tuple(ScoringRules.model_fields)


def rule_column_type(name: str) -> str:
    annotation = ScoringRules.model_fields[name].annotation
    if annotation is bool:
        return "boolean"
    return "integer" if annotation is int else F


INPUT_COUNTS = (
    "posts",
    "original_posts",
    "errors_serious",
    "errors_ordinary",
    "pushes_assigned",
    "pushes_done",
    "pushes_on_time",
    "not_updated_alerts",
    "interaction_off_alerts",
    "serious_alerts",
)
INPUT_SUMS = (
    "reads",
    "watching",
    "likes",
    "shares",
    "comments",
    "lead_reads",
    "lead_watching",
    "lead_likes",
    "lead_shares",
)
INPUT_MAXIMA = ("max_reads", "max_watching", "max_likes", "max_shares", "max_comments")


def base_table(name: str) -> str:
    """SQL creating temp table ``name``: every account open in [:s, :e] with its inputs and four indices.

    Parameters: ``:s``, ``:e`` (dates), ``:wd`` (清博 d). Needs temp table ``tmp_rules`` (one row per region).
    """
    sums = ",\n".join(f"sum({c})::{F} AS {c}" for c in INPUT_SUMS)
    counts = ",\n".join(f"sum({c})::int AS {c}" for c in INPUT_COUNTS)
    maxima = ",\n".join(f"max({c})::{F} AS {c}" for c in INPUT_MAXIMA)
    picked = ",\n".join(f"COALESCE(agg.{c}, 0) AS {c}" for c in (*INPUT_COUNTS, *INPUT_SUMS, *INPUT_MAXIMA))
    rules = ", ".join(f"r.{c}" for c in RULE_COLUMNS)
    return f"""
CREATE TEMP TABLE {name} ON COMMIT DROP AS
WITH acc AS (
    SELECT a.account_id, a.region_code, a.platform, a.unit_id, a.high_attention,
           GREATEST(COALESCE(a.opened_on, CAST(:s AS date)), CAST(:s AS date)) AS s,
           LEAST(COALESCE(a.closed_on, CAST(:e AS date)), CAST(:e AS date)) AS e
    FROM accounts a
    WHERE a.status IN ('active', 'suspended', 'merged', 'deregistered')
      AND COALESCE(a.opened_on, CAST(:s AS date)) <= CAST(:e AS date)
      AND COALESCE(a.closed_on, CAST(:e AS date)) >= CAST(:s AS date)
), d AS (
    SELECT d.*, CASE WHEN d.posts > 0 THEN d.day - max(d.day) FILTER (WHERE d.posts > 0) OVER (
               PARTITION BY d.account_id ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - 1
           END AS inner_gap
    FROM account_days d JOIN acc ON acc.account_id = d.account_id AND d.day BETWEEN acc.s AND acc.e
), agg AS (
    SELECT account_id,
           count(*) FILTER (WHERE posts > 0) AS days_with_post,
           min(day) FILTER (WHERE posts > 0) AS first_day, max(day) FILTER (WHERE posts > 0) AS last_day,
           max(inner_gap) AS inner_gap,
           {sums},
           {counts},
           {maxima}
    FROM d GROUP BY account_id
), inputs AS (
    SELECT acc.account_id, acc.region_code, acc.platform, acc.unit_id, acc.high_attention,
           (acc.e - acc.s + 1) AS active_days, CAST(:wd AS integer) AS wci_days,
           COALESCE(agg.days_with_post, 0)::int AS days_with_post,
           CASE WHEN agg.first_day IS NULL THEN acc.e - acc.s + 1
                ELSE GREATEST(agg.first_day - acc.s, acc.e - agg.last_day, COALESCE(agg.inner_gap, 0)) END
               AS longest_gap,
           {picked},
           r.digest, {rules}
    FROM acc LEFT JOIN agg ON agg.account_id = acc.account_id
    JOIN tmp_rules r ON r.region_code = acc.region_code
), parts AS (
    SELECT i.*,
        CASE i.platform WHEN 'wechat' THEN {wci()} WHEN 'weibo' THEN {bci()} ELSE {feed()} END AS raw,
        (diligence_weekly_target_posts * GREATEST(active_days, 1)::{F}) / 7 AS expected,
        CASE WHEN high_attention THEN diligence_gap_limit_days_high_attention
             ELSE diligence_gap_limit_days END
            AS gap_limit,
        CASE WHEN posts > 0 THEN original_posts::{F} / posts ELSE 0.0::{F} END AS original_share
    FROM (SELECT inputs.*, posts::{F} AS n, wci_days::{F} AS d FROM inputs) i
), indices AS (
    SELECT p.*,
        100.0 * (diligence_weight_volume * LEAST(1.0::{F}, posts / expected)
                 + diligence_weight_days
                   * LEAST(1.0::{F}, days_with_post / (diligence_day_share_target * GREATEST(active_days, 1)))
                 + diligence_weight_gap * GREATEST(0.0::{F}, 1.0 - longest_gap::{F} / gap_limit))
            / (diligence_weight_volume + diligence_weight_days + diligence_weight_gap) AS diligence,
        LEAST(100.0::{F}, GREATEST(0.0::{F}, 100.0
            - (content_serious_error_points * errors_serious
               + content_ordinary_error_points * errors_ordinary)
            + content_original_credit * original_share)) AS content,
        CASE WHEN pushes_assigned <= 0 THEN cluster_without_pushes
             ELSE 100.0 * (cluster_weight_completion * (pushes_done::{F} / pushes_assigned)
                           + cluster_weight_timeliness * (pushes_on_time::{F} / pushes_assigned))
                  / (cluster_weight_completion + cluster_weight_timeliness) END AS cluster,
        CASE WHEN raw <= 0 THEN 0.0::{F}
             WHEN count(*) OVER (PARTITION BY platform) = 1 THEN 100.0::{F}
             ELSE 100.0::{F} * ((rank() OVER (PARTITION BY platform ORDER BY raw) - 1)::{F}
                           + 0.5::{F} * (count(*) OVER (PARTITION BY platform, raw) - 1)::{F})
                  / (count(*) OVER (PARTITION BY platform) - 1)::{F} END AS effect
    FROM parts p
)
SELECT indices.*,
    CASE WHEN weight_diligence + weight_effect + weight_content + weight_cluster <= 0
         THEN (diligence + effect + content + cluster) / 4
         ELSE (weight_diligence * diligence + weight_effect * effect + weight_content * content
               + weight_cluster * cluster)
              / (weight_diligence + weight_effect + weight_content + weight_cluster) END AS base
FROM indices
"""


def inputs_json() -> str:
    """``jsonb`` of the inputs of a row of the base table, keyed like :class:`indices.Inputs`."""
    keys = (
        "platform",
        "high_attention",
        "active_days",
        "wci_days",
        "days_with_post",
        "longest_gap",
        *INPUT_COUNTS,
        *INPUT_SUMS,
        *INPUT_MAXIMA,
    )
    return "jsonb_build_object(" + ", ".join(f"'{k}', c.{k}" for k in keys) + ")"


SCORES_UPSERT = f"""
WITH s AS (
    SELECT c.*, p.base AS previous_base, y.base AS year_ago_base,
        (CASE WHEN p.base IS NOT NULL THEN c.growth_weight_period ELSE 0.0::{F} END
         + CASE WHEN y.base IS NOT NULL THEN c.growth_weight_year ELSE 0.0::{F} END) AS gw,
        (CASE WHEN p.base IS NOT NULL THEN c.growth_weight_period * (c.base - p.base) ELSE 0.0::{F} END
         + CASE WHEN y.base IS NOT NULL THEN c.growth_weight_year * (c.base - y.base) ELSE 0.0::{F} END) AS gn
    FROM base_now c LEFT JOIN base_prev p USING (account_id) LEFT JOIN base_yoy y USING (account_id)
), g AS (
    SELECT s.*, CASE WHEN gw <= 0 THEN 50.0::{F} ELSE 50.0 + 0.5 * gn / gw END AS growth,
        array_remove(ARRAY[
            CASE WHEN veto_not_updated AND not_updated_alerts > 0 THEN 'not_updated' END,
            CASE WHEN veto_interaction_off AND interaction_off_alerts > 0 THEN 'interaction_off' END,
            CASE WHEN veto_serious_alert AND serious_alerts > 0 THEN 'serious_alert' END,
            CASE WHEN errors_serious > veto_serious_errors_max THEN 'serious_errors' END], NULL) AS vetoes
    FROM s
)
INSERT INTO scores AS t (account_id, period_kind, period_start, period_end, region_code, level, platform,
    unit_id,
    diligence, effect, content, cluster, growth, composite, base, effect_raw, passed, veto_reasons,
    previous_base, year_ago_base, inputs, rules_digest, computed_at)
SELECT c.account_id, :kind, CAST(:s AS date), CAST(:e AS date), c.region_code,
    CASE WHEN substr(c.region_code, 3) = '0000' THEN 'province'
         WHEN substr(c.region_code, 5) = '00' THEN 'city' ELSE 'county' END,
    c.platform, c.unit_id, c.diligence, c.effect, c.content, c.cluster, c.growth,
    (0 + weight_diligence * diligence + weight_effect * effect + weight_content * content
       + weight_cluster * cluster + weight_growth * growth)
    / (weight_diligence + weight_effect + weight_content + weight_cluster + weight_growth),
    c.base, c.raw, cardinality(c.vetoes) = 0, c.vetoes, c.previous_base, c.year_ago_base,
    {inputs_json()}, c.digest, CAST(:now AS timestamptz)
FROM g c
ON CONFLICT (account_id, period_kind, period_start) DO UPDATE SET
    region_code = excluded.region_code, level = excluded.level, platform = excluded.platform,
    unit_id = excluded.unit_id, diligence = excluded.diligence, effect = excluded.effect,
    content = excluded.content, cluster = excluded.cluster, growth = excluded.growth,
    composite = excluded.composite, base = excluded.base, effect_raw = excluded.effect_raw,
    passed = excluded.passed, veto_reasons = excluded.veto_reasons, previous_base = excluded.previous_base,
    year_ago_base = excluded.year_ago_base, inputs = excluded.inputs, rules_digest = excluded.rules_digest,
    computed_at = excluded.computed_at
WHERE (t.region_code, t.platform, t.unit_id, t.diligence, t.effect, t.content, t.cluster, t.growth,
       t.composite, t.passed, t.veto_reasons, t.inputs, t.rules_digest)
      IS DISTINCT FROM
      (excluded.region_code, excluded.platform, excluded.unit_id, excluded.diligence, excluded.effect,
       excluded.content, excluded.cluster, excluded.growth, excluded.composite, excluded.passed,
       excluded.veto_reasons, excluded.inputs, excluded.rules_digest)
RETURNING t.account_id, t.unit_id, t.region_code, t.platform, t.diligence, t.effect, t.content, t.cluster,
    t.growth, t.composite, t.passed, t.veto_reasons, t.rules_digest
"""
