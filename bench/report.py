"""One report of every benchmark ratio: ``bench/results/report.md`` and ``bench/results/report.json``.

Reads the JSON each ``bench_*.py`` wrote into ``bench/results`` (it runs nothing itself; ``run_all.py`` calls
it at the end, and it can be run alone after any benchmark). Each line of the report is one measure the
issue asks for — a ratio of our path to a yardstick measured in the same run, or a latency — with its goal,
the measured value, whether the goal is met, what was measured (sizes, rates and clients read from the
result itself, never assumed), the load average of the machine during that run, and the result file it came
from. A measure whose benchmark has not run (or did not write its result) is listed as "not measured",
never left out, so the report always shows every measure of the issue.

The load average is read from the result (any ``load_average…`` entry a benchmark records) and from
``summary.json``, where ``run_all.py`` records it before and after each benchmark. The machine has 2 cores
shared with other work: a ratio is measured in one run so the load partly cancels, a latency does not.

    python bench/report.py              # write the report from bench/results/*.json
    python bench/report.py --print      # also print the Markdown

The measures themselves (value, goal, what each was measured on) are in ``report_measures.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling module, however this one is loaded
from report_measures import EXTRAS, MEASURES, Doc, Measure

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))

# ------------------------------------------------------------------------------------------- load average


def _load_values(doc: Any) -> list[float]:
    """Every 1-minute load average a result records (``load_average…`` entries, in any shape)."""
    found: list[float] = []

    def walk(node: Any, under_load: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, under_load or "load_average" in str(key))
        elif isinstance(node, list):
            if under_load and len(node) == 3 and all(isinstance(x, int | float) for x in node):
                found.append(float(node[0]))  # [1 min, 5 min, 15 min]
            else:
                for item in node:
                    walk(item, under_load)
        elif under_load and isinstance(node, int | float) and not isinstance(node, bool):
            found.append(float(node))

    walk(doc, False)
    return found


def _summary_loads(results: Path) -> dict[str, tuple[Any, list[float]]]:
    """Result file → (its ``at``, the load averages ``run_all.py`` recorded around the run that wrote it)."""
    try:
        summary = json.loads((results / "summary.json").read_text())
    except (OSError, ValueError):
        return {}
    loads: dict[str, tuple[Any, list[float]]] = {}
    for run in (summary.get("benchmarks") or {}).values():
        if not isinstance(run, dict):
            continue
        values = _load_values({"load_average": run.get("load_average")})
        for name, result in (run.get("results") or {}).items():
            loads[name] = (result.get("at") if isinstance(result, dict) else None, values)
    return loads


def _load_text(values: list[float]) -> str | None:
    if not values:
        return None
    low, high = f"{min(values):.1f}", f"{max(values):.1f}"
    return low if low == high else f"{low}–{high}"


# ------------------------------------------------------------------------------------------------ report


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


def _row(m: Measure, doc: Doc | None, load: str | None) -> dict[str, Any]:
    value = m.value(doc) if doc is not None else None
    met = None
    if value is not None and m.goal is not None:
        met = value >= m.goal if m.at_least else value <= m.goal
    goal = None
    if m.goal is not None:
        goal = f"{'≥' if m.at_least else '≤'} {m.goal:g}{'' if m.unit == '×' else ' ' + m.unit}"
    return {
        "key": m.key,
        "title": m.title,
        "goal": goal,
        "goal_value": m.goal,
        "at_least": m.at_least,
        "value": value,
        "unit": m.unit,
        "met": met,
        "measured_on": m.size(doc) if doc is not None else None,
        "load_average_1min": load,
        "source": m.source,
        "measured_at": (doc or {}).get("at"),
        "note": m.note,
    }


def build(results: Path = RESULTS) -> Doc:
    """The report as data: every measure with goal, value, verdict, size, load and source."""
    docs = _load(results)
    summary_loads = _summary_loads(results)
    loads: dict[str, str | None] = {}
    for name, doc in docs.items():
        values = _load_values(doc)
        at, around = summary_loads.get(name, (None, []))
        if at is not None and at == doc.get("at"):  # still the file that run wrote, not a later one
            values += around
        loads[name] = _load_text(values)
    rows = [_row(m, docs.get(m.source), loads.get(m.source)) for m in MEASURES]
    extras = [_row(m, docs.get(m.source), loads.get(m.source)) for m in EXTRAS]
    machine = next((d["machine"] for d in docs.values() if isinstance(d.get("machine"), dict)), None)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "ratios": rows,
        "extras": extras,
        "sources": sorted(docs),
        "load_average_1min": loads,
    }


def _fmt(value: float | None, unit: str = "×") -> str:
    if value is None:
        return "not measured"
    text = f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return text if unit == "×" else f"{text} {unit}"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| measure | goal | measured | met | measured on | load avg (1 min) | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(
            f"| {r['title']}{note} | {r['goal'] or '—'} | {_fmt(r['value'], r['unit'])} | {met} "
            f"| {r['measured_on'] or '—'} | {r['load_average_1min'] or 'not recorded'} | `{r['source']}` |"
        )
    return lines


WRITE_PATH_METHOD = (
    "Both apps are served by uvicorn (uvloop, httptools) and driven from a separate process over 50",
    "keep-alive connections by a minimal HTTP/1.1 client whose own CPU is recorded (`loadgen_cpu`).",
    "**Throughput** (the ratio) is a closed loop: each client posts again as soon as it is answered, so",
    "its latency is only the queue at saturation. **Latency** (the p99 goal) is an open loop: Poisson",
    "arrivals at a stated offered load, the same schedule for bare and submit, each latency counted from",
    "the request's scheduled arrival. The goal is judged at the office rate (by default 50 req/s over the",
    "50 clients, one post a second each, far above a real office; the rate used is in the table), and",
    "shown at half the submit path's saturation rate as well. Details: `bench/bench_write_path.py`.",
)


def markdown(report: Doc) -> str:
    machine = report["machine"]
    lines = [
        "# govmedia benchmark report",
        "",
        f"Generated {report['generated_at']} from `{', '.join(report['sources']) or 'no results'}`"
        + (f" on {machine['cpus']} CPUs, Python {machine['python']}." if machine else "."),
        "Each ratio divides our path by a yardstick measured in the same run on the same machine; the load",
        "average is the machine's 1-minute load during that benchmark (2 cores shared with other work: above",
        "2, every process waited for a core, and latencies suffer more than ratios).",
        "",
        *_table(report["ratios"]),
        "",
        "## Further measurements",
        "",
        *_table(report["extras"]),
        "",
        "## How the HTTP write path is measured",
        "",
        *WRITE_PATH_METHOD,
    ]
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
