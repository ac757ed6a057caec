"""The formulas of :mod:`govmedia_scoring.indices` as SQL, to score every account of a period in one pass.

Each expression mirrors its Python reference operation for operation (IEEE doubles both sides), so the
integration tests can demand equality, not closeness. Pure: this module only builds SQL text.
"""

from __future__ import annotations

from govmedia_common.events.types import Platform
from govmedia_scoring.indices import Inputs
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


RULES_KEPT = (
    "weight_diligence",
    "weight_effect",
    "weight_content",
    "weight_cluster",
    "weight_growth",
    "growth_weight_period",
    "growth_weight_year",
    "veto_not_updated",
    "veto_interaction_off",
    "veto_serious_alert",
    "veto_serious_errors_max",
)


def base_query(p: str, *, slim: bool = False) -> str:
    """SELECT of every account open in a period with its inputs, parts and four indices (and ``base``).

    Parameters ``:{p}s``, ``:{p}e`` (dates) and ``:{p}wd`` (清博 d); reads temp table ``tmp_rules``. ``slim``
    keeps only ``account_id`` and ``base`` (what growth needs of the periods compared with).
    Activity is counted over the whole period; targets and gaps use the days the account was open.
    """
    s_, e_, wd = f"CAST(:{p}s AS date)", f"CAST(:{p}e AS date)", f"CAST(:{p}wd AS integer)"
    sums = ",\n".join(f"sum({c})::{F} AS {c}" for c in INPUT_SUMS)
    counts = ",\n".join(f"sum({c})::int AS {c}" for c in INPUT_COUNTS)
    maxima = ",\n".join(f"max({c})::{F} AS {c}" for c in INPUT_MAXIMA)
    picked = ",\n".join(f"COALESCE(agg.{c}, 0) AS {c}" for c in (*INPUT_COUNTS, *INPUT_SUMS, *INPUT_MAXIMA))
    rules = ", ".join(f"r.{c}" for c in RULE_COLUMNS)
    select = "account_id, base" if slim else "*"
    kept = ", ".join(
        ("account_id", "region_code", "platform", "unit_id", "digest", *INPUT_VALUES,
         *(col for _, _, col in PART_KEYS if col != "base"), *RULES_KEPT)
    )  # fmt: skip
    return f"""
WITH agg AS (
    SELECT account_id,
           count(*) FILTER (WHERE posts > 0) AS days_with_post,
           min(day) FILTER (WHERE posts > 0) AS first_day, max(day) FILTER (WHERE posts > 0) AS last_day,
           {sums},
           {counts},
           {maxima}
    FROM account_days WHERE day BETWEEN {s_} AND {e_} GROUP BY account_id
), gaps AS (
    -- days between consecutive days with a post; read in order from the partial index of post days
    SELECT account_id, max(gap) AS inner_gap FROM (
        SELECT account_id, day - lag(day) OVER (PARTITION BY account_id ORDER BY day) - 1 AS gap
        FROM account_days WHERE day BETWEEN {s_} AND {e_} AND posts > 0
    ) x GROUP BY account_id
), acc AS (
    SELECT a.account_id, a.region_code, a.platform, a.unit_id, a.high_attention,
           GREATEST(COALESCE(a.opened_on, {s_}), {s_}) AS s, LEAST(COALESCE(a.closed_on, {e_}), {e_}) AS e
    FROM accounts a
    WHERE a.status IN ('active', 'suspended', 'merged', 'deregistered')
      AND COALESCE(a.opened_on, {s_}) <= {e_} AND COALESCE(a.closed_on, {e_}) >= {s_}
), inputs AS (
    SELECT acc.account_id, acc.region_code, acc.platform, acc.unit_id, acc.high_attention,
           (acc.e - acc.s + 1) AS active_days, {wd} AS wci_days,
           COALESCE(agg.days_with_post, 0)::int AS days_with_post,
           CASE WHEN agg.first_day IS NULL THEN acc.e - acc.s + 1
                ELSE GREATEST(agg.first_day - acc.s, acc.e - agg.last_day, COALESCE(gaps.inner_gap, 0)) END
               AS longest_gap,
           {picked},
           r.digest, {rules}
    FROM acc LEFT JOIN agg ON agg.account_id = acc.account_id
    LEFT JOIN gaps ON gaps.account_id = acc.account_id
    JOIN tmp_rules r ON r.region_code = acc.region_code
), pre AS (
    SELECT i.*,
        CASE i.platform WHEN 'wechat' THEN {wci()} WHEN 'weibo' THEN {bci()} ELSE {feed()} END AS raw,
        (diligence_weekly_target_posts * GREATEST(active_days, 1)::{F}) / 7 AS expected,
        CASE WHEN high_attention THEN diligence_gap_limit_days_high_attention
             ELSE diligence_gap_limit_days END AS gap_limit,
        CASE WHEN posts > 0 THEN original_posts::{F} / posts ELSE 0.0::{F} END AS original_share,
        content_serious_error_points * errors_serious + content_ordinary_error_points * errors_ordinary
            AS penalty,
        CASE WHEN pushes_assigned <= 0 THEN 1.0::{F} ELSE pushes_done::{F} / pushes_assigned END
            AS completion,
        CASE WHEN pushes_assigned <= 0 THEN 1.0::{F} ELSE pushes_on_time::{F} / pushes_assigned END
            AS timeliness
    FROM (SELECT inputs.*, posts::{F} AS n, wci_days::{F} AS d FROM inputs) i
    OFFSET 0  -- keeps PostgreSQL from inlining: raw (sixteen logarithms) is computed once, not per use
), parts AS (
    SELECT pre.*,
        LEAST(1.0::{F}, posts / expected) AS volume,
        LEAST(1.0::{F}, days_with_post / (diligence_day_share_target * GREATEST(active_days, 1))) AS share,
        GREATEST(0.0::{F}, 1.0 - longest_gap::{F} / gap_limit) AS gap,
        content_original_credit * original_share AS credit
    FROM pre
    OFFSET 0
), three AS (
    -- the indices that need no peers, and only the columns needed further on: the window sort below
    -- then moves narrow rows (the rules alone are some thirty columns)
    SELECT {kept},
        100.0 * (diligence_weight_volume * volume + diligence_weight_days * share
                 + diligence_weight_gap * gap)
            / (diligence_weight_volume + diligence_weight_days + diligence_weight_gap) AS diligence,
        LEAST(100.0::{F}, GREATEST(0.0::{F}, 100.0 - penalty + credit)) AS content,
        CASE WHEN pushes_assigned <= 0 THEN cluster_without_pushes
             ELSE 100.0 * (cluster_weight_completion * completion + cluster_weight_timeliness * timeliness)
                  / (cluster_weight_completion + cluster_weight_timeliness) END AS cluster
    FROM parts
    OFFSET 0
), indices AS (
    SELECT three.*,
        CASE WHEN raw <= 0 THEN 0.0::{F}
             WHEN count(*) OVER (PARTITION BY platform) = 1 THEN 100.0::{F}
             ELSE 100.0::{F} * ((rank() OVER (PARTITION BY platform ORDER BY raw) - 1)::{F}
                           + 0.5::{F} * (count(*) OVER (PARTITION BY platform, raw) - 1)::{F})
                  / (count(*) OVER (PARTITION BY platform) - 1)::{F} END AS effect
    FROM three
)
SELECT {select} FROM (
    SELECT indices.*,
        CASE WHEN weight_diligence + weight_effect + weight_content + weight_cluster <= 0
             THEN (diligence + effect + content + cluster) / 4
             ELSE (weight_diligence * diligence + weight_effect * effect + weight_content * content
                   + weight_cluster * cluster)
                  / (weight_diligence + weight_effect + weight_content + weight_cluster) END AS base
    FROM indices
) b
"""


INPUT_KEYS = (
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
# Scores keep their inputs and parts as float8 arrays (small, no TOAST, cheap to compare); these are the
# positions. ``platform`` is a column of its own.
INPUT_VALUES = INPUT_KEYS[1:]
INTEGER_INPUTS = frozenset(("active_days", "wci_days", "days_with_post", "longest_gap", *INPUT_COUNTS))
PART_KEYS = (
    ("diligence", "volume", "volume"),
    ("diligence", "days", "share"),
    ("diligence", "gap", "gap"),
    ("diligence", "expected_posts", "expected"),
    ("diligence", "gap_limit", "gap_limit"),
    ("effect", "raw", "raw"),
    ("content", "penalty", "penalty"),
    ("content", "original_share", "original_share"),
    ("content", "credit", "credit"),
    ("cluster", "completion", "completion"),
    ("cluster", "timeliness", "timeliness"),
    ("growth", "base", "base"),
)

INPUTS_ARRAY = (
    "ARRAY[" + ", ".join(f"c.{k}::{F}" if k != "high_attention" else "c.high_attention::int::float8"
                         for k in INPUT_VALUES) + "]"
)  # fmt: skip
PARTS_ARRAY = "ARRAY[" + ", ".join(f"c.{col}::{F}" for _, _, col in PART_KEYS) + "]"


def inputs_of(platform: str, values: list[float]) -> dict[str, float | int | bool | str]:
    """The inputs of a stored score as a dict keyed like :class:`indices.Inputs`."""
    out: dict[str, float | int | bool | str] = {"platform": platform}
    for key, value in zip(INPUT_VALUES, values, strict=True):
        out[key] = bool(value) if key == "high_attention" else int(value) if key in INTEGER_INPUTS else value
    return out


def stored_inputs(platform: str, values: list[float]) -> Inputs:
    """The :class:`indices.Inputs` of a stored score."""
    fields = {k: v for k, v in inputs_of(platform, values).items() if k != "platform"}
    return Inputs(platform=Platform(platform), **fields)  # type: ignore[arg-type]


def parts_of(
    values: list[float], previous_base: float | None, year_ago_base: float | None
) -> dict[str, dict[str, float]]:
    """The parts of a stored score, by index."""
    out: dict[str, dict[str, float]] = {}
    for (index, key, _), value in zip(PART_KEYS, values, strict=True):
        out.setdefault(index, {})[key] = value
    if previous_base is not None:
        out["growth"]["previous_base"] = previous_base
    if year_ago_base is not None:
        out["growth"]["year_ago_base"] = year_ago_base
    return out


def _json(pairs: dict[str, str]) -> str:
    return "jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs.items()) + ")"


def _input_json(k: str, i: int) -> str:
    if k == "high_attention":
        return f"ev.inputs[{i}] = 1"
    return f"ev.inputs[{i}]::bigint" if k in INTEGER_INPUTS else f"ev.inputs[{i}]"


INPUTS_JSON = _json(
    {"platform": "ev.platform"} | {k: _input_json(k, i) for i, k in enumerate(INPUT_VALUES, start=1)}
)
PARTS_JSON = _json(
    {
        index: (
            ("jsonb_strip_nulls(" if index == "growth" else "(")
            + _json(
                {key: f"ev.parts[{i}]" for i, (ix_, key, _) in enumerate(PART_KEYS, start=1) if ix_ == index}
                | ({"previous_base": "ev.previous_base", "year_ago_base": "ev.year_ago_base"}
                   if index == "growth" else {})
            )
            + ")"
        )
        for index in dict.fromkeys(ix_ for ix_, _, _ in PART_KEYS)
    }
)  # fmt: skip


SCORE_COLUMNS = (
    "account_id, period_kind, period_start, period_end, region_code, level, platform, unit_id, diligence, "
    "effect, content, cluster, growth, composite, base, effect_raw, passed, veto_reasons, previous_base, "
    "year_ago_base, inputs, parts, rules_digest, computed_at"
)


def scored_table() -> str:
    """CREATE TEMP TABLE ``scored``: every account's score row for the period (nothing written yet).

    Parameters: ``:ns/:ne/:nwd`` (the period), ``:ps/:pe/:pwd`` (previous), ``:ys/:ye/:ywd`` (a year ago),
    ``:kind``, ``:now``. Reads temp table ``tmp_rules``. Streaming into a temp table (rather than one
    statement with data-modifying CTEs) keeps half a million wide rows out of in-memory tuplestores.
    """
    return f"""
CREATE TEMP TABLE scored ON COMMIT DROP AS
WITH now_ AS ({base_query("n")}),
prev AS ({base_query("p", slim=True)}),
yoy AS ({base_query("y", slim=True)}),
s AS (
    SELECT c.*, p.base AS previous_base, y.base AS year_ago_base,
        (CASE WHEN p.base IS NOT NULL THEN c.growth_weight_period ELSE 0.0::{F} END
         + CASE WHEN y.base IS NOT NULL THEN c.growth_weight_year ELSE 0.0::{F} END) AS gw,
        (CASE WHEN p.base IS NOT NULL THEN c.growth_weight_period * (c.base - p.base) ELSE 0.0::{F} END
         + CASE WHEN y.base IS NOT NULL THEN c.growth_weight_year * (c.base - y.base) ELSE 0.0::{F} END) AS gn
    FROM now_ c LEFT JOIN prev p USING (account_id) LEFT JOIN yoy y USING (account_id)
), g AS (
    SELECT s.*, CASE WHEN gw <= 0 THEN 50.0::{F} ELSE 50.0 + 0.5 * gn / gw END AS growth,
        array_remove(ARRAY[
            CASE WHEN veto_not_updated AND not_updated_alerts > 0 THEN 'not_updated' END,
            CASE WHEN veto_interaction_off AND interaction_off_alerts > 0 THEN 'interaction_off' END,
            CASE WHEN veto_serious_alert AND serious_alerts > 0 THEN 'serious_alert' END,
            CASE WHEN errors_serious > veto_serious_errors_max THEN 'serious_errors' END], NULL) AS vetoes
    FROM s
    OFFSET 0
)
SELECT c.account_id, CAST(:kind AS text) AS period_kind, CAST(:ns AS date) AS period_start,
    CAST(:ne AS date) AS period_end, c.region_code,
    CASE WHEN substr(c.region_code, 3) = '0000' THEN 'province'
         WHEN substr(c.region_code, 5) = '00' THEN 'city' ELSE 'county' END AS level,
    c.platform, c.unit_id, c.diligence, c.effect, c.content, c.cluster, c.growth,
    (0 + weight_diligence * diligence + weight_effect * effect + weight_content * content
       + weight_cluster * cluster + weight_growth * growth)
    / (weight_diligence + weight_effect + weight_content + weight_cluster + weight_growth) AS composite,
    c.base, c.raw AS effect_raw, cardinality(c.vetoes) = 0 AS passed, c.vetoes AS veto_reasons,
    c.previous_base, c.year_ago_base, {INPUTS_ARRAY} AS inputs, {PARTS_ARRAY} AS parts,
    c.digest AS rules_digest, CAST(:now AS timestamptz) AS computed_at
FROM g c
"""


UPSERT = f"""
WITH up AS (
    INSERT INTO scores AS t ({SCORE_COLUMNS})
    SELECT {SCORE_COLUMNS} FROM scored
    ON CONFLICT (account_id, period_kind, period_start) DO UPDATE SET
        region_code = excluded.region_code, level = excluded.level, platform = excluded.platform,
        unit_id = excluded.unit_id, diligence = excluded.diligence, effect = excluded.effect,
        content = excluded.content, cluster = excluded.cluster, growth = excluded.growth,
        composite = excluded.composite, base = excluded.base, effect_raw = excluded.effect_raw,
        passed = excluded.passed, veto_reasons = excluded.veto_reasons,
        previous_base = excluded.previous_base,
        year_ago_base = excluded.year_ago_base, inputs = excluded.inputs, parts = excluded.parts,
        rules_digest = excluded.rules_digest, computed_at = excluded.computed_at
    WHERE (t.region_code, t.platform, t.unit_id, t.diligence, t.effect, t.content, t.cluster, t.growth,
           t.composite, t.passed, t.veto_reasons, t.inputs, t.rules_digest)
          IS DISTINCT FROM
          (excluded.region_code, excluded.platform, excluded.unit_id, excluded.diligence, excluded.effect,
           excluded.content, excluded.cluster, excluded.growth, excluded.composite, excluded.passed,
           excluded.veto_reasons, excluded.inputs, excluded.rules_digest)
    RETURNING t.account_id
)
INSERT INTO changed SELECT account_id FROM up
"""
"""Write the scores whose values differ into ``scores``; their account ids go to temp table ``changed``."""


def outbox_insert(veto_rules: dict[str, str]) -> str:
    """INSERT the ``ScoresComputed`` outbox row of every changed score, payload and headers built in SQL.

    Parameters: ``:now_text`` (RFC 3339 of the instant), ``:headers`` (a real envelope's headers as JSON;
    ``ce_id`` and ``ce_subject`` are replaced per row), ``:type``, ``:topic``.
    """
    texts = {k: v.replace("'", "''") for k, v in veto_rules.items()}
    rule_text = (
        "CASE v "
        + " ".join(f"WHEN '{k}' THEN '{t}'" for k, t in texts.items() if k != "serious_errors")
        + f" ELSE replace('{texts['serious_errors']}', '{{limit}}', r.veto_serious_errors_max::text) END"
    )
    weights = _json({k: f"r.weight_{k}" for k in ("diligence", "effect", "content", "cluster", "growth")})
    return f"""
INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers)
SELECT ev.event_id, 'account', ev.account_id, CAST(:type AS text), CAST(:topic AS text),
    jsonb_build_object(
        'occurred_at', CAST(:now_text AS text), 'account_id', ev.account_id, 'unit_id', ev.unit_id,
        'region_code', ev.region_code, 'platform', ev.platform, 'period_kind', ev.period_kind,
        'period_start', ev.period_start, 'period_end', ev.period_end,
        'diligence', ev.diligence, 'effect', ev.effect, 'content', ev.content, 'cluster', ev.cluster,
        'growth', ev.growth, 'composite', ev.composite, 'weights', ev.weights, 'passed', ev.passed,
        'veto_reasons', to_jsonb(ev.veto_reasons), 'inputs', {INPUTS_JSON}, 'parts', {PARTS_JSON},
        'effect_raw', ev.effect_raw, 'veto_rules', ev.veto_rules, 'rules_digest', ev.rules_digest),
    CAST(:headers AS jsonb) || jsonb_build_object('ce_id', ev.event_id, 'ce_subject', ev.account_id)
FROM (
    SELECT gen_random_uuid()::text AS event_id, c.*, {weights} AS weights,
        (SELECT COALESCE(jsonb_object_agg(v, {rule_text}), '{{}}'::jsonb) FROM unnest(c.veto_reasons) AS v)
            AS veto_rules
    FROM scored c JOIN changed USING (account_id) JOIN tmp_rules r ON r.region_code = c.region_code
    OFFSET 0
) ev
"""
