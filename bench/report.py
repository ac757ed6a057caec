"""One report of every benchmark ratio: ``bench/results/report.md`` and ``bench/results/report.json``.

Reads the JSON each ``bench_*.py`` wrote into ``bench/results`` (it runs nothing itself; ``run_all.py`` calls
it at the end, and it can be run alone after any benchmark). Each line of the report is one ratio of our
path to a yardstick measured in the same run, with its goal, the measured value, whether the goal is met,
and which result file it came from. A ratio whose benchmark has not run (or did not write its result) is
listed as "not measured", never left out, so the report always shows every ratio the issue asks for.

    python bench/report.py              # write the report from bench/results/*.json
    python bench/report.py --print      # also print the Markdown
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))

Doc = dict[str, Any]


@dataclass(frozen=True)
class Ratio:
    """One line of the report: where its value lives and what it must reach."""

    key: str
    title: str
    source: str  # result file name
    value: Callable[[Doc], float | None]
    goal: float
    at_least: bool = True  # False: the value must stay at or below the goal
    unit: str = "×"
    note: str = ""


def _get(doc: Doc, *path: str) -> Any:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _ratio_named(prefix: str) -> Callable[[Doc], float | None]:
    """A value of bus.json's ``ratios`` whose label starts with ``prefix`` (labels carry their goal)."""

    def pick(doc: Doc) -> float | None:
        for label, value in (doc.get("ratios") or {}).items():
            if label.startswith(prefix):
                return float(value)
        return None

    return pick


def _num(*path: str) -> Callable[[Doc], float | None]:
    def pick(doc: Doc) -> float | None:
        value = _get(doc, *path)
        return float(value) if isinstance(value, int | float) else None

    return pick


RATIOS: tuple[Ratio, ...] = (
    Ratio(
        "http_write_path_vs_bare_post",
        "HTTP write path (submit a post: check + outbox) / bare FastAPI POST, 50 clients",
        "write_path.json",
        _num("ratio"),
        0.4,
    ),
    Ratio(
        "http_write_path_p99_ms",
        "HTTP write path p99 latency at 50 concurrent clients",
        "write_path.json",
        _num("submit", "p99_ms"),
        50.0,
        at_least=False,
        unit="ms",
    ),
    Ratio(
        "check_engine_vs_plain_scan",
        "Check engine / plain substring scan over the same lexicon (posts per second)",
        "checks.json",
        _num("engine_vs_substring_scan"),
        1.0,
        note="the engine must beat the naive scan it replaces",
    ),
    Ratio(
        "relay_vs_raw_produce",
        "Outbox relay (1 replica) / raw aiokafka produce",
        "bus.json",
        _ratio_named("relay_1 / raw_produce"),
        0.5,
    ),
    Ratio(
        "consumer_vs_raw_consume",
        "Consumer runner with inbox / raw aiokafka consume + parse",
        "bus.json",
        _ratio_named("consumer / raw_consume"),
        0.3,
    ),
    Ratio(
        "scoring_ingest_vs_raw_consume",
        "Scoring ingest (metric snapshots) / raw aiokafka consume + parse",
        "scoring.json",
        _num("ingest", "ratio"),
        0.3,
    ),
    Ratio(
        "monitor_ingest_vs_copy",
        "Monitor metrics ingest / PostgreSQL COPY",
        "monitor.json",
        _num("results", "ingest_vs_copy"),
        0.2,
    ),
    Ratio(
        "observed_post_to_alert_p95_s",
        "Latency from an observed post to its alert, p95",
        "latency.json",
        _num("alert", "p95_s"),
        2.0,
        at_least=False,
        unit="s",
    ),
    Ratio(
        "observed_post_to_notice_p95_s",
        "Latency from an observed post to its notice, p95",
        "latency.json",
        _num("notice", "p95_s"),
        2.0,
        at_least=False,
        unit="s",
    ),
)

# Further measurements the benchmarks print, shown below the ratios (no goal given by the issue).
EXTRAS: tuple[tuple[str, str, Callable[[Doc], float | None]], ...] = (
    (
        "Notify: cases opened / one-row transactions",
        "notify.json",
        _num("results", "open_cases_vs_one_row_transactions"),
    ),
    (
        "Notify: webhook deliveries / bare httpx POSTs",
        "notify.json",
        _num("results", "deliveries_vs_raw_posts"),
    ),
    (
        "Scoring: recompute of a month, 500k accounts (s, goal ≤ 60)",
        "scoring.json",
        _num("recompute", "first", "seconds"),
    ),
    ("Monitor: first sweep (s, goal ≤ 10)", "monitor.json", _num("results", "sweep_first", "seconds")),
    ("HTTP write path p50 (ms)", "write_path.json", _num("submit", "p50_ms")),
    ("Observed post → alert p50 (s)", "latency.json", _num("alert", "p50_s")),
    ("Observed post → notice p50 (s)", "latency.json", _num("notice", "p50_s")),
)


def _load(results: Path) -> dict[str, Doc]:
    docs: dict[str, Doc] = {}
    for path in sorted(results.glob("*.json")):
        if path.name in {"report.json", "summary.json"}:
            continue
        try:
            loaded = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(loaded, dict):
            docs[path.name] = loaded
    return docs


def build(results: Path = RESULTS) -> Doc:
    """The report as data: every ratio with goal, value, verdict and source."""
    docs = _load(results)
    rows = []
    for r in RATIOS:
        doc = docs.get(r.source)
        value = r.value(doc) if doc is not None else None
        met = None if value is None else (value >= r.goal if r.at_least else value <= r.goal)
        rows.append(
            {
                "key": r.key,
                "title": r.title,
                "goal": f"{'≥' if r.at_least else '≤'} {r.goal:g}{'' if r.unit == '×' else ' ' + r.unit}",
                "goal_value": r.goal,
                "at_least": r.at_least,
                "value": value,
                "unit": r.unit,
                "met": met,
                "source": r.source,
                "measured_at": (doc or {}).get("at"),
                "note": r.note,
            }
        )
    extras = []
    for title, source, pick in EXTRAS:
        doc = docs.get(source)
        extras.append({"title": title, "value": pick(doc) if doc else None, "source": source})
    machine = next((d["machine"] for d in docs.values() if isinstance(d.get("machine"), dict)), None)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "ratios": rows,
        "extras": extras,
        "sources": sorted(docs),
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "not measured"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def markdown(report: Doc) -> str:
    lines = [
        "# govmedia benchmark report",
        "",
        f"Generated {report['generated_at']} from `{', '.join(report['sources']) or 'no results'}`"
        + (
            f" on {report['machine']['cpus']} CPUs, Python {report['machine']['python']}."
            if report["machine"]
            else "."
        ),
        "Each ratio divides our path by a yardstick measured in the same run on the same machine.",
        "",
        "| measure | goal | measured | met | source |",
        "|---|---|---|---|---|",
    ]
    for r in report["ratios"]:
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        lines.append(f"| {r['title']} | {r['goal']} | {_fmt(r['value'])} | {met} | `{r['source']}` |")
    lines += ["", "## Further measurements", "", "| measure | measured | source |", "|---|---|---|"]
    for e in report["extras"]:
        lines.append(f"| {e['title']} | {_fmt(e['value'])} | `{e['source']}` |")
    return "\n".join(lines) + "\n"


def write(results: Path = RESULTS) -> Doc:
    report = build(results)
    results.mkdir(parents=True, exist_ok=True)
    (results / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (results / "report.md").write_text(markdown(report))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--print", action="store_true", help="print the Markdown report")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="folder of the benchmarks' JSON results"
    )
    args = parser.parse_args()
    report = write(args.results)
    if args.print:
        print(markdown(report))
    print(f"wrote {args.results / 'report.md'} and {args.results / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
