"""The formulas of :mod:`govmedia_scoring.indices` as SQL, to score every account of a period in one pass.

Each expression mirrors its Python reference operation for operation (IEEE doubles both sides), so the
integration tests can demand equality, not closeness. Pure: this module only builds SQL text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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


BITMASK_MAX_DAYS = 62
"""Periods up to this long (day, week, month) find their longest gap from a bigint of post days (offsets
0..61 never touch the sign bit); longer ones (quarter, year) with a window over the index of post days."""

INPUT_TABLE = "tmp_inputs_{p}"


def _longest_run(inner: str, carried: Sequence[str], z: str) -> str:
    """SELECT of ``carried`` and ``inner_gap``: the longest run of 1-bits in ``z`` (a non-negative bigint).

    Binary descent: ``a_k`` marks where a run of at least 2^k ones starts (a_{k+1} = a_k & a_k >> 2^k);
    ``cur`` marks where a run of ``len`` ones starts, and each step tries to extend it by 2^k. Eleven narrow
    projections instead of a window over every day: no sort, no per-day row.
    """
    keep = ", ".join(carried)
    q = f"SELECT {keep}, {z} AS a0 FROM ({inner}) x"
    for k in range(1, 6):
        prev = ", ".join(f"a{j}" for j in range(k))
        q = f"SELECT {keep}, {prev}, a{k - 1} & (a{k - 1} >> {1 << (k - 1)}) AS a{k} FROM ({q} OFFSET 0) x"
    rest = ", ".join(f"a{j}" for j in range(5))
    q = (
        f"SELECT {keep}, {rest}, CASE WHEN a5 <> 0 THEN a5 ELSE -1 END AS cur, "
        f"CASE WHEN a5 <> 0 THEN 32 ELSE 0 END AS len FROM ({q} OFFSET 0) x"
    )
    for k in range(4, -1, -1):
        cand = f"(cur & (a{k} >> len))"
        rest = "".join(f"a{j}, " for j in range(k))
        q = (
            f"SELECT {keep}, {rest}CASE WHEN {cand} <> 0 THEN {cand} ELSE cur END AS cur, "
            f"len + CASE WHEN {cand} <> 0 THEN {1 << k} ELSE 0 END AS len FROM ({q} OFFSET 0) x"
        )
    return f"SELECT {keep}, len::int AS inner_gap FROM ({q} OFFSET 0) x"


def inputs_table(p: str, days: int) -> str:
    """CREATE TEMP TABLE ``tmp_inputs_{p}``: each account's aggregates of period ``p`` in one pass.

    One scan of the period's daily rows and one hash aggregate (sums as float8, exact below 2^53), with the
    longest gap *between* post days (``inner_gap``; the gaps at the edges need the account's open days and
    are taken in :func:`base_query`). Parameters ``:{p}s``, ``:{p}e``.
    """
    s_, e_ = f"CAST(:{p}s AS date)", f"CAST(:{p}e AS date)"
    sums = ", ".join(f"sum({c}::{F}) AS {c}" for c in INPUT_SUMS)
    counts = ", ".join(f"sum({c})::int AS {c}" for c in INPUT_COUNTS)
    maxima = ", ".join(f"max({c})::{F} AS {c}" for c in INPUT_MAXIMA)
    names = (
        "account_id",
        "days_with_post",
        "first_day",
        "last_day",
        *INPUT_COUNTS,
        *INPUT_SUMS,
        *INPUT_MAXIMA,
    )
    bits = (
        f"bit_or(1::bigint << (day - {s_})) FILTER (WHERE posts > 0) AS post_bits,"
        if days <= BITMASK_MAX_DAYS
        else ""
    )
    agg = f"""
        SELECT account_id, (count(*) FILTER (WHERE posts > 0))::int AS days_with_post,
               min(day) FILTER (WHERE posts > 0) AS first_day, max(day) FILTER (WHERE posts > 0) AS last_day,
               {bits} {counts}, {sums}, {maxima}
        FROM account_days WHERE day BETWEEN {s_} AND {e_} GROUP BY account_id"""
    if days <= BITMASK_MAX_DAYS:
        # the days without a post between the first and the last post day, as 1-bits from bit 0
        z = (
            f"CASE WHEN post_bits IS NULL THEN 0::bigint ELSE (~post_bits & ((1::bigint << (last_day - {s_}"
            f" + 1)) - 1)) >> (first_day - {s_}) END"
        )
        select = _longest_run(agg, names, z)
    else:
        select = f"""
        SELECT a.*, g.inner_gap FROM ({agg}) a LEFT JOIN (
            SELECT account_id, max(gap)::int AS inner_gap FROM (
                SELECT account_id, day - lag(day) OVER (PARTITION BY account_id ORDER BY day) - 1 AS gap
                FROM account_days WHERE day BETWEEN {s_} AND {e_} AND posts > 0
            ) x GROUP BY account_id
        ) g USING (account_id)"""
    return f"CREATE TEMP TABLE {INPUT_TABLE.format(p=p)} ON COMMIT DROP AS {select}"


def base_query(p: str, *, slim: bool = False) -> str:
    """SELECT of every account open in a period with its inputs, parts and four indices (and ``base``).

    Parameters ``:{p}s``, ``:{p}e`` (dates), ``:{p}wd`` (清博 d) and ``:skip`` (platforms left out whole);
    reads temp tables ``tmp_rules`` and
    ``tmp_inputs_{p}`` (:func:`inputs_table`). ``slim`` keeps only ``account_id`` and ``base`` (what growth
    needs of the periods compared with). Activity is counted over the whole period; targets and gaps use
    the days the account was open.
    """
    s_, e_, wd = f"CAST(:{p}s AS date)", f"CAST(:{p}e AS date)", f"CAST(:{p}wd AS integer)"
    picked = ",\n".join(f"COALESCE(agg.{c}, 0) AS {c}" for c in (*INPUT_COUNTS, *INPUT_SUMS, *INPUT_MAXIMA))
    rules = ", ".join(f"r.{c}" for c in RULE_COLUMNS)
    select = "account_id, base" if slim else "*"
    kept = ", ".join(
        ("account_id", "region_code", "platform", "unit_id", "digest", *INPUT_VALUES,
         *(col for _, _, col in PART_KEYS if col != "base"), *RULES_KEPT)
    )  # fmt: skip
    return f"""
WITH agg AS (
    SELECT * FROM {INPUT_TABLE.format(p=p)}
), acc AS (
    SELECT a.account_id, a.region_code, a.platform, a.unit_id, a.high_attention,
           GREATEST(COALESCE(a.opened_on, {s_}), {s_}) AS s, LEAST(COALESCE(a.closed_on, {e_}), {e_}) AS e
    FROM accounts a
    WHERE a.status IN ('active', 'suspended', 'merged', 'deregistered')
      AND COALESCE(a.opened_on, {s_}) <= {e_} AND COALESCE(a.closed_on, {e_}) >= {s_}
      AND a.platform <> ALL(CAST(:skip AS text[]))
), inputs AS (
    SELECT acc.account_id, acc.region_code, acc.platform, acc.unit_id, acc.high_attention,
           (acc.e - acc.s + 1) AS active_days, {wd} AS wci_days,
           COALESCE(agg.days_with_post, 0)::int AS days_with_post,
           CASE WHEN agg.first_day IS NULL THEN acc.e - acc.s + 1
                ELSE GREATEST(agg.first_day - acc.s, acc.e - agg.last_day, COALESCE(agg.inner_gap, 0)) END
               AS longest_gap,
           {picked},
           r.digest, {rules}
    FROM acc LEFT JOIN agg ON agg.account_id = acc.account_id
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


COMPARED = (
    "region_code, platform, unit_id, diligence, effect, content, cluster, growth, composite, passed, "
    "veto_reasons, inputs, rules_digest"
)

CHANGED = f"""
INSERT INTO changed
SELECT c.account_id FROM scored c
LEFT JOIN scores t ON t.account_id = c.account_id AND t.period_kind = c.period_kind
                  AND t.period_start = c.period_start
WHERE t.account_id IS NULL
   OR ({", ".join(f"t.{x}" for x in COMPARED.split(", "))})
      IS DISTINCT FROM ({", ".join(f"c.{x}" for x in COMPARED.split(", "))})
"""
"""Temp table ``changed``: the accounts whose score is new or differs from the stored one (one hash join)."""

UPSERT = f"""
INSERT INTO scores AS t ({SCORE_COLUMNS})
SELECT {SCORE_COLUMNS} FROM scored JOIN changed USING (account_id)
ON CONFLICT (account_id, period_kind, period_start) DO UPDATE SET
    region_code = excluded.region_code, level = excluded.level, platform = excluded.platform,
    unit_id = excluded.unit_id, diligence = excluded.diligence, effect = excluded.effect,
    content = excluded.content, cluster = excluded.cluster, growth = excluded.growth,
    composite = excluded.composite, base = excluded.base, effect_raw = excluded.effect_raw,
    passed = excluded.passed, veto_reasons = excluded.veto_reasons, previous_base = excluded.previous_base,
    year_ago_base = excluded.year_ago_base, inputs = excluded.inputs, parts = excluded.parts,
    rules_digest = excluded.rules_digest, computed_at = excluded.computed_at
"""
"""Write the changed scores (only they: an unchanged account costs a hash-join probe, not a write)."""

INT_INPUTS = tuple(k for k in INPUT_VALUES if k in INTEGER_INPUTS)
FLOAT_INPUTS = tuple(k for k in INPUT_VALUES if k not in INTEGER_INPUTS and k != "high_attention")


def _slice(keys: tuple[str, ...]) -> str:
    first, last = INPUT_VALUES.index(keys[0]) + 1, INPUT_VALUES.index(keys[-1]) + 1
    assert INPUT_VALUES[first - 1 : last] == keys, "inputs of one type must be contiguous"
    return f"{first}:{last}"


ANNOUNCED = f"""
SELECT c.account_id, c.unit_id, c.region_code, c.platform, c.diligence, c.effect, c.content, c.cluster,
    c.growth, c.composite, c.passed, c.veto_reasons, c.inputs[1] = 1 AS high_attention,
    CAST(c.inputs[{_slice(INT_INPUTS)}] AS bigint[]) AS ints, c.inputs[{_slice(FLOAT_INPUTS)}] AS floats,
    c.parts, c.previous_base, c.year_ago_base, c.effect_raw, c.rules_digest
FROM scored c JOIN changed USING (account_id)
"""
"""What the ``ScoresComputed`` event of each changed score is built from (integer inputs as integers)."""


FINGERPRINTS = """
SELECT a.platform,
       bit_xor(hash_record_extended(ROW(a.account_id, a.region_code, a.unit_id, a.status, a.high_attention,
                                        a.opened_on, a.closed_on, r.digest, n.*, p.*, y.*),
                                    CAST(:seed AS bigint))) AS fingerprint
FROM accounts a JOIN tmp_rules r ON r.region_code = a.region_code
LEFT JOIN tmp_inputs_n n ON n.account_id = a.account_id
LEFT JOIN tmp_inputs_p p ON p.account_id = a.account_id
LEFT JOIN tmp_inputs_y y ON y.account_id = a.account_id
GROUP BY a.platform
"""
"""Per platform, one hash of everything its scores depend on: each account's attributes, its aggregates of
the three periods and its rules digest (XOR of per-account hashes: no sort). ``:seed`` is
:func:`formula_version`, so new formulas never match old fingerprints."""


def formula_version() -> int:
    """A 63-bit number that changes whenever the SQL of the inputs or the scores changes."""
    text_ = "".join(inputs_table(p, d) for p in "npy" for d in (7, 90)) + scored_table()
    return int.from_bytes(hashlib.sha256(text_.encode()).digest()[:8], "big") >> 1
