"""``bench/report.py``: every measure of the issue with its goal, the size it was measured on read from the
result itself, and the load average of the run it came from."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPORT = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def _report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", REPORT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _write(folder: Path, name: str, doc: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(doc))


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in [*report["ratios"], *report["extras"]]}


def test_every_measure_of_the_issue_is_listed_with_its_goal_even_when_not_measured(tmp_path: Path) -> None:
    report = _report().build(tmp_path)
    rows = _rows(report)
    goals = {
        "http_write_path_vs_bare_post": "≥ 0.4",
        "http_write_path_p99_ms": "≤ 50 ms",
        "check_engine_vs_plain_scan": "≥ 1",
        "relay_vs_raw_produce": "≥ 0.5",
        "consumer_vs_raw_consume": "≥ 0.3",
        "scoring_ingest_vs_raw_consume": "≥ 0.3",
        "monitor_ingest_vs_copy": "≥ 0.2",
        "observed_post_to_alert_p95_s": "≤ 2 s",
        "observed_post_to_notice_p95_s": "≤ 2 s",
    }
    for key, goal in goals.items():
        assert rows[key]["goal"] == goal
        assert rows[key]["value"] is None and rows[key]["met"] is None
    assert {"observed_post_to_alert_p50_s", "observed_post_to_notice_p50_s"} <= rows.keys()
    assert "not measured" in _report().markdown(report)


def test_sizes_are_read_from_the_results_never_assumed(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "scoring.json",
        {
            "at": "t1",
            "ingest": {"snapshots": 2000, "ratio": 0.2},
            "recompute": {"accounts": 123_456, "daily_aggregates": 7, "first": {"seconds": 9.0}},
        },
    )
    _write(tmp_path, "monitor.json", {"at": "t2", "parameters": {"accounts": 20_000}, "issue_size": False})
    rows = _rows(_report().build(tmp_path))
    assert rows["scoring_recompute_seconds"]["measured_on"].startswith("123,456 accounts")
    assert rows["scoring_recompute_seconds"]["met"] is True
    assert "smaller than the issue's size" in rows["monitor_first_sweep_seconds"]["measured_on"]
    markdown = _report().markdown(_report().build(tmp_path))
    assert "500k" not in markdown and "500,000" not in markdown


def test_the_write_path_p99_is_the_open_loop_latency_at_the_offered_load(tmp_path: Path) -> None:
    phase = {"clients": 50, "requests": 1000, "p50_ms": 5.0, "p95_ms": 9.0}
    _write(
        tmp_path,
        "write_path.json",
        {
            "at": "t",
            "parameters": {"clients": 50},
            "ratio": 0.25,
            "bare": {"saturation": {"per_s": 2000.0, "p99_ms": 40.0, "requests": 20000}},
            "submit": {
                "saturation": {"per_s": 500.0, "p99_ms": 900.0, "requests": 5000},
                "office": {**phase, "offered_per_s": 50.0, "p99_ms": 30.0},
            },
            "load_average": {"before": [1.5, 1.0, 1.0], "after": [2.5, 1.2, 1.0]},
        },
    )
    rows = _rows(_report().build(tmp_path))
    p99 = rows["http_write_path_p99_ms"]
    assert (p99["value"], p99["met"]) == (30.0, True)
    assert "open loop, Poisson 50.0 req/s offered" in p99["measured_on"]
    assert (rows["http_write_path_vs_bare_post"]["value"], rows["http_write_path_vs_bare_post"]["met"]) == (
        0.25,
        False,
    )
    assert p99["load_average_1min"] == "1.5–2.5"


def test_the_load_average_run_all_recorded_applies_only_to_the_file_that_run_wrote(tmp_path: Path) -> None:
    _write(tmp_path, "checks.json", {"at": "second run", "engine_vs_substring_scan": 20.0})
    _write(tmp_path, "bus.json", {"at": "first run", "ratios": {"relay_1 / raw_produce (goal >= 0.5)": 0.6}})
    summary = {
        "benchmarks": {
            "bench_checks": {
                "load_average": {"before": [7.0, 1, 1], "after": [8.0, 1, 1]},
                "results": {"checks.json": {"at": "first run"}},
            },
            "bench_bus": {
                "load_average": {"before": [3.0, 1, 1], "after": [3.0, 1, 1]},
                "results": {"bus.json": {"at": "first run"}},
            },
        }
    }
    _write(tmp_path, "summary.json", summary)
    rows = _rows(_report().build(tmp_path))
    assert rows["check_engine_vs_plain_scan"]["load_average_1min"] is None  # replaced by a later run
    assert rows["relay_vs_raw_produce"]["load_average_1min"] == "3.0"
    assert rows["relay_vs_raw_produce"]["met"] is True


def test_a_load_that_did_not_move_reads_as_one_number() -> None:
    report = _report()
    assert report._load_text([5.81, 5.84]) == "5.8"
    assert report._load_text([4.6, 10.57]) == "4.6–10.6"
    assert report._load_text([]) is None
