"""Run every ``bench/bench_*.py`` as its own process and collect their JSON results.

Each benchmark prints its own progress and table, and writes one or more JSON files into ``bench/results``
(``GOVMEDIA_BENCH_RESULTS`` tells it where). The JSON files a benchmark wrote during its run are gathered,
with its exit status, duration and the load average before and after it, into ``bench/results/summary.json``
(``report.py`` shows that load beside each result). A failing benchmark does not stop the
others; the exit status is non-zero when any failed.

    python bench/run_all.py                 # all of them
    python bench/run_all.py bus checks      # only bench_bus.py and bench_checks.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
SUMMARY = RESULTS / "summary.json"


def discover(names: list[str]) -> list[Path]:
    found = sorted(BENCH_DIR.glob("bench_*.py"))
    if names:
        found = [p for p in found if p.stem.removeprefix("bench_") in names or p.stem in names]
    return found


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()}


def load_average() -> list[float]:
    """The machine's load average (1, 5, 15 minutes): 2 shared cores, so every result is read beside it."""
    return [round(x, 2) for x in os.getloadavg()]


def snapshot() -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in RESULTS.glob("*.json") if p != SUMMARY}


def run_one(script: Path, timeout: float) -> dict[str, Any]:
    """Run one benchmark (its output goes straight to the terminal); return what it produced."""
    print(f"\n=== {script.name} " + "=" * max(0, 60 - len(script.name)), flush=True)
    before = snapshot()
    env = dict(os.environ, GOVMEDIA_BENCH_RESULTS=str(RESULTS), PYTHONUNBUFFERED="1")
    started = time.monotonic()
    load_before = load_average()
    try:
        status: int | str = subprocess.run([sys.executable, str(script)], env=env, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        status = "timeout"
    seconds = round(time.monotonic() - started, 1)
    load_after = load_average()
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}", flush=True)
    results: dict[str, Any] = {}
    for path, mtime in snapshot().items():
        if before.get(path) == mtime:
            continue  # not written by this run
        try:
            results[path.name] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            results[path.name] = {"error": f"unreadable result: {exc}"}
    return {
        "status": status,
        "ok": status == 0,
        "seconds": seconds,
        "load_average": {"before": load_before, "after": load_after},
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="benchmarks to run (e.g. bus), all when omitted")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per benchmark")
    args = parser.parse_args()
    scripts = discover(args.names)
    if not scripts:
        print(f"no benchmark matches {args.names} in {BENCH_DIR}", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    runs = {script.stem: run_one(script, args.timeout) for script in scripts}
    summary = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "total_seconds": round(time.monotonic() - started, 1),
        "benchmarks": runs,
    }
    SUMMARY.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")

    print("\n=== summary " + "=" * 54)
    for name, run in runs.items():
        files = ", ".join(run["results"]) or "no results written"
        state = "ok" if run["ok"] else f"FAILED ({run['status']})"
        load = run["load_average"]["before"][0], run["load_average"]["after"][0]
        print(f"{name:<22}{state:<16}{run['seconds']:>7.1f}s  load {load[0]:>5.1f}->{load[1]:<5.1f} {files}")
    print(f"written to {SUMMARY}")
    subprocess.run(
        [sys.executable, str(BENCH_DIR / "report.py")], check=False
    )  # report.md/.json of all ratios
    return 0 if all(run["ok"] for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
