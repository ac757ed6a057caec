"""The measures of ``bench/report.py``: for each line of the report, where its value lives in a benchmark's
result, the goal it must reach and how to describe what it was measured on (read from the result itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]
Pick = Callable[[Doc], float | None]
Describe = Callable[[Doc], str | None]


@dataclass(frozen=True)
class Measure:
    """One line of the report: where its value lives, what it must reach, what it was measured on."""

    key: str
    title: str
    source: str  # result file name
    value: Pick
    goal: float | None  # None: reported without a goal of its own
    at_least: bool = True  # False: the value must stay at or below the goal
    unit: str = "×"
    size: Describe = lambda doc: None
    note: str = ""


def _get(doc: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _ratio_named(prefix: str) -> Pick:
    """A value of bus.json's ``ratios`` whose label starts with ``prefix`` (labels carry their goal)."""

    def pick(doc: Doc) -> float | None:
        for label, value in (doc.get("ratios") or {}).items():
            if label.startswith(prefix) and isinstance(value, int | float):
                return float(value)
        return None

    return pick


def _num(*path: str) -> Pick:
    def pick(doc: Doc) -> float | None:
        value = _get(doc, *path)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    return pick


def _first(*picks: Pick) -> Pick:
    def pick(doc: Doc) -> float | None:
        for p in picks:
            if (value := p(doc)) is not None:
                return value
        return None

    return pick


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


# ------------------------------------------------------------------------------------- what was measured


def _write_path_size(doc: Doc) -> str | None:
    clients = _get(doc, "parameters", "clients")
    bare, submit = _get(doc, "bare", "saturation", "requests"), _get(doc, "submit", "saturation", "requests")
    if bare is None:  # the older closed-loop-only result
        bare, submit = _get(doc, "bare", "requests"), _get(doc, "submit", "requests")
    return f"{_count(clients)} clients, closed loop; {_count(submit)} submits vs {_count(bare)} bare POSTs"


def _office_size_of(side: str) -> Describe:
    def describe(doc: Doc) -> str | None:
        office = _get(doc, side, "office")
        if not isinstance(office, dict):
            clients = _count(_get(doc, "parameters", "clients"))
            return f"{clients} clients, closed loop at saturation (queueing)"
        what = "submits" if side == "submit" else "bare POSTs"
        return (
            f"{_count(office.get('clients'))} clients, open loop, Poisson {office.get('offered_per_s')} "
            f"req/s offered; {_count(office.get('requests'))} {what}"
        )

    return describe


_office_size = _office_size_of("submit")


def _half_size(doc: Doc) -> str | None:
    half = _get(doc, "submit", "half_capacity")
    if not isinstance(half, dict):
        return None
    return (
        f"{_count(half.get('clients'))} clients, open loop, {half.get('offered_per_s')} req/s offered "
        "(half the submit path's saturation rate)"
    )


def _checks_size(doc: Doc) -> str | None:
    p = doc.get("parameters") or {}
    return (
        f"{_count(p.get('posts'))} posts of ~{_count(p.get('avg_post_chars'))} chars, "
        f"{_count(p.get('terms'))} terms"
    )


def _bus_size(*names: str) -> Describe:
    def describe(doc: Doc) -> str | None:
        parts = [f"{n} {_count(_get(doc, 'rates', n, 'items'))}" for n in names]
        return "events: " + ", ".join(parts)

    return describe


def _scoring_ingest_size(doc: Doc) -> str | None:
    return f"{_count(_get(doc, 'ingest', 'snapshots'))} metric snapshots"


def _scoring_recompute_size(doc: Doc) -> str | None:
    r = doc.get("recompute") or {}
    text = f"{_count(r.get('accounts'))} accounts, {_count(r.get('daily_aggregates'))} daily aggregates"
    if r.get("issue_size") is False:
        text += " (smaller than the issue's size)"
    return text


def _monitor_ingest_size(doc: Doc) -> str | None:
    rows = _get(doc, "results", "ingest", "rows") or _get(doc, "parameters", "metrics")
    return f"{_count(rows)} metric rows"


def _monitor_sweep_size(doc: Doc) -> str | None:
    accounts = _get(doc, "parameters", "accounts")
    text = f"{_count(accounts)} accounts"
    if doc.get("issue_size") is False:
        text += " (smaller than the issue's size)"
    return text


def _latency_size(doc: Doc) -> str | None:
    return f"{_count(_get(doc, 'alert', 'n'))} observed posts"


MEASURES: tuple[Measure, ...] = (
    Measure(
        "http_write_path_vs_bare_post",
        "HTTP write path (submit a post: auth, check, rows, audit, outbox) / bare FastAPI POST, "
        "requests per second at saturation",
        "write_path.json",
        _num("ratio"),
        0.4,
        size=_write_path_size,
    ),
    Measure(
        "http_write_path_vs_bare_post_by_cpu",
        "HTTP write path / bare FastAPI POST, server CPU per request (bare / submit)",
        "write_path.json",
        _num("cpu_ratio"),
        None,
        size=_write_path_size,
        note="the machine's load moves it much less than the requests-per-second ratio",
    ),
    Measure(
        "http_write_path_p99_ms",
        "HTTP write path p99 latency at 50 concurrent clients",
        "write_path.json",
        _first(_num("submit", "office", "p99_ms"), _num("submit", "p99_ms")),
        50.0,
        at_least=False,
        unit="ms",
        size=_office_size,
        note="open loop: latency at a stated offered load; closed-loop latency is only the queue",
    ),
    Measure(
        "http_write_path_p99_ms_half_capacity",
        "HTTP write path p99 latency at half its saturation rate",
        "write_path.json",
        _num("submit", "half_capacity", "p99_ms"),
        None,
        unit="ms",
        size=_half_size,
    ),
    Measure(
        "check_engine_vs_plain_scan",
        "Check engine / plain substring scan over the same lexicon (posts per second)",
        "checks.json",
        _num("engine_vs_substring_scan"),
        1.0,
        size=_checks_size,
        note="the engine must beat the naive scan it replaces",
    ),
    Measure(
        "check_adversarial_vs_prose",
        "Check of the costliest adversarial 100,000-character text / prose of the same length (seconds)",
        "checks.json",
        _num("adversarial", "worst_vs_prose"),
        None,
        size=lambda doc: f"worst: {_get(doc, 'adversarial', 'worst')}",
        note="one check each; before the link search's work budget, 'x.cn.' × 20,000 took minutes",
    ),
    Measure(
        "relay_vs_raw_produce",
        "Outbox relay (1 replica) / raw aiokafka produce of the same records (its keys, values, "
        "CloudEvents headers)",
        "bus.json",
        # Results written before the yardstick was decided (2026-12) carried the goal on the headerless one.
        _first(
            _ratio_named("relay_1 / raw produce of its own records"),
            _ratio_named("relay_1 / raw_produce (goal"),
        ),
        0.5,
        size=_bus_size("relay_1", "raw_produce_records"),
        note="like for like: the yardstick sends the very records the relay sends, without a database",
    ),
    Measure(
        "relay_records_vs_raw_produce",
        "Outbox relay (1 replica) over the same records written sixteen to an outbox row, as a bulk "
        "statement writes them / raw aiokafka produce of the records",
        "bus.json",
        _ratio_named("relay_1, 16 records to a row"),
        None,
        size=_bus_size("relay_records_1", "raw_produce_records"),
        note="the monitor's metric snapshots' events travel this way (docs/operations.md)",
    ),
    Measure(
        "consumer_vs_raw_consume",
        "Consumer runner with inbox / raw aiokafka consume + parse of the same records (its topic, "
        "CloudEvents headers, values)",
        "bus.json",
        _first(
            _ratio_named("consumer / raw consume+parse of its own records"),
            _ratio_named("consumer / raw_consume (goal"),
        ),
        0.3,
        size=_bus_size("consumer", "raw_consume_same"),
        note="like for like: the yardstick reads the very records the runner reads, and parses their values",
    ),
    Measure(
        "consumer_noop_vs_raw_consume",
        "Consumer runner with a no-op handler (inbox only) / raw aiokafka consume + parse of the same "
        "records",
        "bus.json",
        _ratio_named("consumer no-op / raw consume+parse of its own records"),
        None,
        size=_bus_size("consumer_noop", "raw_consume_same"),
        note="the runner's fixed cost per message: the ceiling of every consumer, scoring's ingest included",
    ),
    Measure(
        "relay_vs_raw_produce_headerless",
        "Outbox relay (1 replica) / raw aiokafka produce of 213-byte records without headers",
        "bus.json",
        _ratio_named("relay_1 / raw_produce, headerless"),
        None,
        size=_bus_size("relay_1", "raw_produce"),
        note="secondary: the issue's first yardstick; aiokafka sends it ~2.5x cheaper than the relay's "
        "records",
    ),
    Measure(
        "consumer_vs_raw_consume_headerless",
        "Consumer runner with inbox / raw aiokafka consume + parse of 213-byte records without headers",
        "bus.json",
        _ratio_named("consumer / raw_consume, headerless"),
        None,
        size=_bus_size("consumer", "raw_consume"),
        note="secondary: aiokafka alone needs about twice the CPU to decode a record with CloudEvents "
        "headers",
    ),
    Measure(
        "scoring_ingest_vs_raw_consume",
        "Scoring ingest (metric snapshots) / raw aiokafka consume + parse",
        "scoring.json",
        _num("ingest", "ratio"),
        0.3,
        size=_scoring_ingest_size,
    ),
    Measure(
        "monitor_ingest_vs_copy",
        "Monitor metrics ingest / PostgreSQL COPY",
        "monitor.json",
        _num("results", "ingest_vs_copy"),
        0.2,
        size=_monitor_ingest_size,
    ),
    Measure(
        "observed_post_to_alert_p50_s",
        "Latency from an observed post to its alert, p50",
        "latency.json",
        _num("alert", "p50_s"),
        None,
        unit="s",
        size=_latency_size,
    ),
    Measure(
        "observed_post_to_alert_p95_s",
        "Latency from an observed post to its alert, p95",
        "latency.json",
        _num("alert", "p95_s"),
        2.0,
        at_least=False,
        unit="s",
        size=_latency_size,
    ),
    Measure(
        "observed_post_to_notice_p50_s",
        "Latency from an observed post to its notice, p50",
        "latency.json",
        _num("notice", "p50_s"),
        None,
        unit="s",
        size=_latency_size,
    ),
    Measure(
        "observed_post_to_notice_p95_s",
        "Latency from an observed post to its notice, p95",
        "latency.json",
        _num("notice", "p95_s"),
        2.0,
        at_least=False,
        unit="s",
        size=_latency_size,
    ),
)

# Further measurements the benchmarks record, shown below (no ratio of the issue, or context for one).
EXTRAS: tuple[Measure, ...] = (
    Measure(
        "http_bare_p99_ms_office",
        "Bare FastAPI POST p99 at the same offered load as the write path's p99",
        "write_path.json",
        _num("bare", "office", "p99_ms"),
        None,
        unit="ms",
        size=_office_size_of("bare"),
    ),
    Measure(
        "http_write_path_p50_ms_office",
        "HTTP write path p50 at that offered load",
        "write_path.json",
        _first(_num("submit", "office", "p50_ms"), _num("submit", "p50_ms")),
        None,
        unit="ms",
        size=_office_size,
    ),
    Measure(
        "http_write_path_p95_ms_office",
        "HTTP write path p95 at that offered load",
        "write_path.json",
        _num("submit", "office", "p95_ms"),
        None,
        unit="ms",
        size=_office_size,
    ),
    Measure(
        "http_write_path_per_s",
        "HTTP write path requests per second at saturation",
        "write_path.json",
        _first(_num("submit", "saturation", "per_s"), _num("submit", "per_s")),
        None,
        unit="/s",
        size=_write_path_size,
    ),
    Measure(
        "http_bare_post_per_s",
        "Bare FastAPI POST requests per second at saturation",
        "write_path.json",
        _first(_num("bare", "saturation", "per_s"), _num("bare", "per_s")),
        None,
        unit="/s",
        size=_write_path_size,
    ),
    Measure(
        "http_write_path_server_cpu_ms",
        "HTTP write path: server process CPU per request at saturation (relay included)",
        "write_path.json",
        _num("submit", "saturation", "server_cpu_ms_per_request"),
        None,
        unit="ms",
    ),
    Measure(
        "http_bare_post_server_cpu_ms",
        "Bare FastAPI POST: server process CPU per request at saturation",
        "write_path.json",
        _num("bare", "saturation", "server_cpu_ms_per_request"),
        None,
        unit="ms",
    ),
    Measure(
        "http_loadgen_cpu_at_bare_saturation",
        "Load generator CPU (cores) while saturating the bare POST (near 1 it would limit the bare rate)",
        "write_path.json",
        _num("bare", "saturation", "loadgen_cpu"),
        None,
        unit="cores",
    ),
    Measure(
        "notify_cases_vs_one_row_transactions",
        "Notify: cases opened / one-row transactions",
        "notify.json",
        _num("results", "open_cases_vs_one_row_transactions"),
        None,
    ),
    Measure(
        "notify_deliveries_vs_raw_posts",
        "Notify: webhook deliveries / bare httpx POSTs",
        "notify.json",
        _num("results", "deliveries_vs_raw_posts"),
        None,
    ),
    Measure(
        "scoring_recompute_seconds",
        "Scoring: recompute of a month",
        "scoring.json",
        _num("recompute", "first", "seconds"),
        60.0,
        at_least=False,
        unit="s",
        size=_scoring_recompute_size,
    ),
    Measure(
        "scoring_recompute_postgres_cpu_seconds",
        "Scoring: CPU seconds of PostgreSQL in that recompute (what idle cores would need)",
        "scoring.json",
        _num("recompute", "first", "cpu_seconds", "postgres_backend"),
        None,
        unit="s",
        size=_scoring_recompute_size,
    ),
    Measure(
        "monitor_ingest_vs_copy_by_cpu",
        "Monitor metrics ingest / PostgreSQL COPY, CPU per row (COPY's / ours, process and backends)",
        "monitor.json",
        _num("results", "ingest_vs_copy_cpu"),
        None,
        size=_monitor_ingest_size,
        note="the machine's load moves it much less than the rate ratio",
    ),
    Measure(
        "monitor_ingest_vs_copy_per_5000",
        "Monitor metrics ingest / PostgreSQL COPY committed every 5,000 rows, as the ingest commits",
        "monitor.json",
        _num("results", "ingest_vs_copy_per_5000"),
        None,
        size=_monitor_ingest_size,
    ),
    Measure(
        "monitor_ingest_vs_copy_two_streams",
        "Monitor metrics ingest / PostgreSQL COPY, two streams of each at once (as several connectors send)",
        "monitor.json",
        _num("results", "ingest_vs_copy_two_streams"),
        None,
        size=_monitor_ingest_size,
    ),
    Measure(
        "monitor_first_sweep_seconds",
        "Monitor: first sweep",
        "monitor.json",
        _num("results", "sweep_first", "seconds"),
        10.0,
        at_least=False,
        unit="s",
        size=_monitor_sweep_size,
    ),
)
