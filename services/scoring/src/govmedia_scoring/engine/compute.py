"""Compute (or recompute) every score of a period from the stored daily aggregates and the region settings.

A period is scored in a few set-based statements (:mod:`.sql`), all in the caller's transaction: the rules
in force for each region go into temp table ``tmp_rules``; one hash aggregate per period (this one, the
previous, a year ago) sums each account's daily rows into ``tmp_inputs_*`` (longest gaps from a bitmask
of post days); one statement computes the parts and indices into temp table ``scored``; one hash join
finds the scores that are new or differ from the stored ones (``changed``) and only those are upserted;
their ``ScoresComputed`` outbox rows are built in Python with orjson and written with one binary COPY.
Scores are thus a pure function of aggregates and settings: recomputing twice changes nothing, and
replaying the topics into a fresh database gives the same scores.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.envelope import wrap
from govmedia_common.events.scoring import PeriodKind, ScoresComputed
from govmedia_common.events.types import Platform
from govmedia_common.ids import time_ordered_prefix
from govmedia_common.outbox import EventTooLarge, max_event_bytes
from govmedia_common.tracing import current_traceparent
from govmedia_scoring import indices as ix
from govmedia_scoring import rules as r
from govmedia_scoring.aggregates import snapshots
from govmedia_scoring.engine import sql
from govmedia_scoring.periods import Period

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What one computation of a period did."""

    period: Period
    accounts: int
    changed: int
    seconds: dict[str, float] = field(default_factory=dict)  # per step: rules, inputs, score, upsert, …
    skipped: tuple[str, ...] = ()  # platforms whose inputs, rules and formulas hashed as last time


async def region_layers(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every region's own scoring section, by region code."""
    rows = await session.execute(text("SELECT region_code, settings FROM region_settings"))
    return {code: dict(doc or {}) for code, doc in rows}


async def resolve_regions(session: AsyncSession, codes: Sequence[str]) -> dict[str, r.Resolution]:
    """The rules in force for each region code (inheritance and tightening applied)."""
    layers = await region_layers(session)
    return {code: r.resolve((c, layers[c]) for c in r.region_path(code) if c in layers) for code in codes}


async def _prepare_rules(session: AsyncSession) -> dict[str, r.ScoringRules]:
    """Fill ``tmp_rules`` with the rules of every region that has accounts; record their snapshots."""
    codes = [c for (c,) in await session.execute(text("SELECT DISTINCT region_code FROM accounts"))]
    resolved = await resolve_regions(session, codes)
    columns = ", ".join(f"{c} {sql.rule_column_type(c)}" for c in sql.RULE_COLUMNS)
    await session.execute(text("DROP TABLE IF EXISTS tmp_rules"))
    await session.execute(
        text(
            "CREATE TEMP TABLE tmp_rules (region_code text PRIMARY KEY, digest text, "
            f"{columns}) ON COMMIT DROP"
        )
    )
    by_digest = {res.rules.digest(): res.rules for res in resolved.values()}
    if resolved:
        names = ("region_code", "digest", *sql.RULE_COLUMNS)
        await session.execute(
            text(f"INSERT INTO tmp_rules ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"),
            [
                {"region_code": code, "digest": res.rules.digest(), **res.rules.model_dump()}
                for code, res in resolved.items()
            ],
        )
        await session.execute(
            text(
                "INSERT INTO rules_snapshots (digest, rules) VALUES (:d, CAST(:j AS jsonb)) "
                "ON CONFLICT (digest) DO NOTHING"
            ),
            [{"d": d, "j": orjson.dumps(x.model_dump()).decode()} for d, x in by_digest.items()],
        )
    return by_digest


def scores_event(row: Any, period: Period, rules: r.ScoringRules, now: datetime) -> ScoresComputed:
    """The ``ScoresComputed`` event of one stored score (what the outbox rows built in SQL carry)."""
    inputs = sql.inputs_of(row.platform, row.inputs)
    found = ix.vetoes(sql.stored_inputs(row.platform, row.inputs), rules)
    return ScoresComputed(
        occurred_at=now,
        account_id=row.account_id,
        unit_id=row.unit_id,
        region_code=row.region_code,
        platform=Platform(row.platform),
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        diligence=row.diligence,
        effect=row.effect,
        content=row.content,
        cluster=row.cluster,
        growth=row.growth,
        composite=row.composite,
        weights=rules.weights(),
        passed=row.passed,
        veto_reasons=tuple(row.veto_reasons),
        inputs=inputs,
        parts=sql.parts_of(row.parts, row.previous_base, row.year_ago_base),
        effect_raw=row.effect_raw,
        veto_rules={v.code: v.rule for v in found},
        rules_digest=row.rules_digest,
    )


INPUT_WORKERS = 1  # parallel workers of the inputs' aggregation, beside the backend itself (two cores)
WORK_MEM = "1GB"  # per sort or hash: half a million accounts' aggregates and percentile windows in memory
OUTBOX_COLUMNS = ("id", "aggregatetype", "aggregateid", "type", "topic", "payload", "headers")


def _payloads(
    rows: Sequence[Any], period: Period, rules: dict[str, r.ScoringRules], now: datetime
) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """The outbox rows of the changed scores: ``ScoresComputed`` payloads built with orjson.

    Each payload is what ``wrap(scores_event(...)).data`` gives (a test holds them equal); headers are a
    real envelope's with ``ce_id`` and ``ce_subject`` set per row. Raises :class:`EventTooLarge` before
    anything is written when an event would exceed what the bus accepts.
    """
    template = wrap(
        ScoresComputed(
            occurred_at=now,
            account_id="00000000-0000-0000-0000-000000000000",
            unit_id="00000000-0000-0000-0000-000000000000",
            region_code="000000",
            platform=Platform.OTHER,
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            diligence=0,
            effect=0,
            content=0,
            cluster=0,
            growth=0,
            composite=0,
            weights={},
            passed=True,
            veto_reasons=(),
        ),
        traceparent=current_traceparent(),
    )
    fixed = {k: template.data[k] for k in ("occurred_at", "period_kind", "period_start", "period_end")}
    headers = {k: v.decode() for k, v in template.headers()}
    header_bytes = sum(len(k) + len(v) for k, v in template.headers())
    limit = max_event_bytes()
    weights = {digest: x.weights() for digest, x in rules.items()}
    veto_texts = {
        digest: {c: t.replace("{limit}", str(x.veto_serious_errors_max)) for c, t in ix.VETO_RULES.items()}
        for digest, x in rules.items()
    }
    groups = [
        (index, [(key, pos) for pos, (ix_, key, _) in enumerate(sql.PART_KEYS) if ix_ == index])
        for index in dict.fromkeys(ix_ for ix_, _, _ in sql.PART_KEYS)
    ]
    event_type, topic = ScoresComputed.event_type, ScoresComputed.topic
    id_prefix = time_ordered_prefix()
    for number, row in enumerate(rows, 1):
        (account_id, unit_id, region, platform, dil, eff, con, clu, gro, comp, passed, vetoes, high, ints,
         floats, parts, previous, year_ago, raw, digest) = row  # fmt: skip
        inputs: dict[str, Any] = dict(zip(sql.INT_INPUTS, ints, strict=True))
        inputs.update(zip(sql.FLOAT_INPUTS, floats, strict=True))
        inputs["platform"] = platform
        inputs["high_attention"] = high
        explained = {index: {key: parts[pos] for key, pos in keys} for index, keys in groups}
        if previous is not None:
            explained["growth"]["previous_base"] = previous
        if year_ago is not None:
            explained["growth"]["year_ago_base"] = year_ago
        texts = veto_texts[digest]
        payload = orjson.dumps(
            {
                **fixed,
                "account_id": account_id,
                "unit_id": unit_id,
                "region_code": region,
                "platform": platform,
                "diligence": dil,
                "effect": eff,
                "content": con,
                "cluster": clu,
                "growth": gro,
                "composite": comp,
                "weights": weights[digest],
                "passed": passed,
                "veto_reasons": vetoes,
                "inputs": inputs,
                "parts": explained,
                "effect_raw": raw,
                "veto_rules": {v: texts[v] for v in vetoes},
                "rules_digest": digest,
            }
        )
        event_id = f"{id_prefix}{number:012x}"
        size = len(payload) + header_bytes + 2 * 36 - len(headers["ce_id"]) - len(headers["ce_subject"])
        if size > limit:
            raise EventTooLarge(
                f"The {event_type} event of account {account_id} would be {size:,} bytes, more than the "
                f"{limit:,} the event bus accepts.",
                event_type=event_type,
                size=size,
                limit=limit,
            )
        headers["ce_id"], headers["ce_subject"] = event_id, account_id
        yield (
            event_id,
            "account",
            account_id,
            event_type,
            topic,
            payload.decode(),
            orjson.dumps(headers).decode(),
        )


async def _announce(
    session: AsyncSession, period: Period, rules: dict[str, r.ScoringRules], now: datetime
) -> int:
    """Write a ``ScoresComputed`` outbox row for every changed score: one fetch, one binary COPY."""
    conn = await session.connection()
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    rows = await raw.fetch(sql.ANNOUNCED)
    if rows:
        # a generator: rows are encoded while PostgreSQL parses the ones already sent (two cores busy)
        await raw.copy_records_to_table(
            "outbox", records=_payloads(rows, period, rules, now), columns=OUTBOX_COLUMNS
        )
    return len(rows)


def _period_lock(period: Period) -> int:
    """The advisory lock key of a period's computation (a stable signed 64-bit hash of its label)."""
    digest = hashlib.blake2b(f"scoring.compute:{period.label()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def compute_period(
    session: AsyncSession, period: Period, *, now: datetime, announce: bool = True
) -> RunResult:
    """Score every account open in ``period``; write changed scores and announce them (never commits)."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def step(name: str) -> None:
        nonlocal clock
        now_ = time.perf_counter()
        seconds[name] = round(now_ - clock, 3)
        clock = now_

    # Metric snapshots logged by the consumers go into their posts and days first (own transactions).
    await snapshots.fold_pending(session)
    step("fold")
    # One computation of a period at a time (a recompute clicked twice, or while the schedule runs it): the
    # next waits and then finds the scores as the first left them, instead of failing on the fingerprints.
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _period_lock(period)})
    await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    # One backend does the run, but for the inputs (below): elsewhere parallel workers would ship half a
    # million partial rows through a Gather, which costs more than it saves on two cores.
    await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # Which settings this run sees (read before the rules, so a change in between only causes a second run).
    settings_mark = (
        await session.execute(text("SELECT COALESCE(sum(version), 0) FROM region_settings"))
    ).scalar_one()
    rules = await _prepare_rules(session)
    step("rules")
    params: dict[str, Any] = {"kind": period.kind.value, "now": now}
    compared = (("n", period), ("p", period.previous()), ("y", period.year_ago()))
    for prefix, p in compared:
        params |= {f"{prefix}s": p.start, f"{prefix}e": p.end, f"{prefix}wd": p.wci_days}
    for table in ("scored", "changed", *(sql.INPUT_TABLE.format(p=prefix) for prefix, _ in compared)):
        await session.execute(text(f"DROP TABLE IF EXISTS {table}"))
    # The inputs aggregate every daily row of three periods (ten million for a month of 500,000 accounts)
    # while this process waits: one parallel worker takes half the rows on the other core, and the
    # partial aggregates it hands back are per account, so far fewer than the rows.
    await session.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {INPUT_WORKERS}"))
    for prefix, p in compared:
        await session.execute(
            text(sql.inputs_table(prefix, p.days)), {f"{prefix}s": p.start, f"{prefix}e": p.end}
        )
    await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # A platform whose every input hashes as at its last computation cannot have changed: skip it whole.
    fingerprints = {
        pl: fp for pl, fp in await session.execute(text(sql.FINGERPRINTS), {"seed": sql.formula_version()})
    }
    held = await session.execute(
        text(
            "SELECT platform, fingerprint FROM score_fingerprints "
            "WHERE period_kind = :k AND period_start = :s"
        ),
        {"k": period.kind.value, "s": period.start},
    )
    skipped = tuple(sorted(pl for pl, fp in held if fingerprints.get(pl) == fp))
    params["skip"] = list(skipped)
    step("inputs")
    await session.execute(text("CREATE TEMP TABLE changed (account_id text) ON COMMIT DROP"))
    await session.execute(text(sql.scored_table()), params)
    step("score")
    await session.execute(text(sql.CHANGED))
    await session.execute(text(sql.UPSERT))
    await session.execute(
        text("DELETE FROM score_fingerprints WHERE period_kind = :k AND period_start = :s"),
        {"k": period.kind.value, "s": period.start},
    )
    if fingerprints:
        await session.execute(
            text(
                "INSERT INTO score_fingerprints (period_kind, period_start, platform, fingerprint) "
                "SELECT :k, :s, * FROM unnest(CAST(:pl AS text[]), CAST(:fp AS bigint[]))"
            ),
            {
                "k": period.kind.value,
                "s": period.start,
                "pl": list(fingerprints),
                "fp": list(fingerprints.values()),
            },
        )
    step("upsert")
    if announce:
        await _announce(session, period, rules, now)
        step("announce")
    changed = (await session.execute(text("SELECT count(*) FROM changed"))).scalar_one()
    accounts = (
        await session.execute(
            text("SELECT count(*) FROM scores WHERE period_kind = :k AND period_start = :s"),
            {"k": period.kind.value, "s": period.start},
        )
    ).scalar_one()
    await session.execute(
        text(
            """
            INSERT INTO score_runs (period_kind, period_start, computed_at, accounts, changed, stale)
            VALUES (:k, :s, :now, :a, :c, (SELECT COALESCE(sum(version), 0) FROM region_settings) <> :mark)
            ON CONFLICT (period_kind, period_start) DO UPDATE SET computed_at = excluded.computed_at,
                accounts = excluded.accounts, changed = excluded.changed, stale = excluded.stale
            """
        ),
        {
            "k": period.kind.value,
            "s": period.start,
            "now": now,
            "a": accounts,
            "c": changed,
            "mark": settings_mark,
        },
    )
    for table in ("tmp_rules", "scored", "changed", *(sql.INPUT_TABLE.format(p=x) for x, _ in compared)):
        await session.execute(text(f"DROP TABLE IF EXISTS {table}"))
    log.info("period scored", extra={"period": period.label(), "accounts": accounts, "changed": changed})
    return RunResult(period, int(accounts), changed, seconds, skipped)


def due_periods(today: date) -> list[Period]:
    """What the schedule computes: for each kind, the running period and, on its first day, the one before."""
    out = []
    for kind in PeriodKind:
        current = Period.containing(kind, today)
        out.append(current)
        if current.start == today or kind is PeriodKind.DAY:
            out.append(current.previous())
    return sorted(set(out))


LONG_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)

_NEXT_START = """period_start + CASE period_kind WHEN 'day' THEN interval '1 day'
    WHEN 'week' THEN interval '7 days' WHEN 'month' THEN interval '1 month'
    WHEN 'quarter' THEN interval '3 months' ELSE interval '1 year' END"""


async def missed_periods(session: AsyncSession, today: date) -> set[Period]:
    """Closed periods the schedule has not scored since they closed: it scores a closed period on the first
    day of the next one, so a service not running that day (killed, crash-looping, a maintenance window)
    left the period with the scores of its last run while it ran; and the periods after the last one
    scored of a kind that it was down for entirely. Once scored, a period's run dates after its close and
    it is not missed any more (a turn killed half-way leaves the rest for the next turn)."""
    rows = await session.execute(
        text(
            f"SELECT period_kind, period_start FROM score_runs WHERE ({_NEXT_START}) <= :today "
            f"AND computed_at < (({_NEXT_START}) AT TIME ZONE 'Asia/Shanghai')"
        ),
        {"today": today},
    )
    missed = {Period(PeriodKind(k), s) for k, s in rows}
    latest = await session.execute(text("SELECT period_kind, max(period_start) FROM score_runs GROUP BY 1"))
    for kind, start in latest:
        current = Period.containing(PeriodKind(kind), today)
        period = Period.containing(current.kind, Period(current.kind, start).end + timedelta(days=1))
        while period < current and len(missed) < 1000:  # never scored: the service was down all of it
            missed.add(period)
            period = Period.containing(current.kind, period.end + timedelta(days=1))
    return missed


async def recently_computed(session: AsyncSession, periods: Sequence[Period], since: datetime) -> set[Period]:
    """Those of ``periods`` computed at or after ``since`` and not stale since."""
    rows = await session.execute(
        text(
            "SELECT period_kind, period_start FROM score_runs "
            "WHERE computed_at >= :since AND NOT stale AND period_kind = ANY(:kinds)"
        ),
        {"since": since, "kinds": sorted({p.kind.value for p in periods})},
    )
    found = {Period(PeriodKind(k), s) for k, s in rows}
    return found & set(periods)


async def stale_periods(session: AsyncSession) -> list[Period]:
    """Periods computed before the latest settings change: they must be recomputed."""
    rows = await session.execute(
        text(
            """
            SELECT period_kind, period_start FROM score_runs WHERE stale ORDER BY period_start, period_kind
            """
        )
    )
    return [Period(PeriodKind(k), s) for k, s in rows]
