"""Latency from an observed post to its alert and to its notice, on the five services running together.

The registry, review, monitor, notify and scoring run in this process with their relays and consumers on the
test infrastructure (environment URLs, Docker or the embedded PostgreSQL and broker), exactly as in
``tests/e2e`` (the stories kit). A platform crawler posts, one at a time, a post that no review approved
(未审先发); the time is measured from the ingest request until the monitor's API lists the alert, and until
notify's API lists the case whose notice went to the unit. Polling every 10 ms bounds the resolution.
Writes ``latency.json`` (p50/p95 of both, in seconds) into ``GOVMEDIA_BENCH_RESULTS``.

    python bench/bench_latency.py [--posts 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", ROOT / "bench" / "results"))


def progress(msg: str) -> None:
    print(f"[latency] {msg}", flush=True)


def percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return {
        "p50_s": round(q[49], 3),
        "p95_s": round(q[94], 3),
        "max_s": round(max(values), 3),
        "n": len(values),
    }


async def run(posts: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.settings import KafkaSettings
    from govmedia_platform.pytest_plugin import test_infrastructure
    from tests.e2e.stories_boot import running_platform
    from tests.e2e.stories_kit import COUNTY

    with test_infrastructure() as infra:
        await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
        async with running_platform(infra, "bench_latency") as p:
            progress("five services up; opening an account through the registry")
            unit = await p.unit(COUNTY, "市场监管")
            account_id = await p.open_account(unit, "路桥市场监管")
            to_alert: list[float] = []
            to_notice: list[float] = []
            for n in range(posts):
                p.clock.advance(minutes=10)
                ppid = f"wx-latency-{n}"
                started = time.perf_counter()
                await p.observe(
                    account_id, ppid, f"未经审核{n}", f"今天发布未经审核的消息，编号{n}。", p.clock.now()
                )
                alert_id = None
                while alert_id is None:
                    found = [a for a in await p.alerts(account_id) if a["period"] == ppid]
                    if found:
                        alert_id = found[0]["id"]
                        to_alert.append(time.perf_counter() - started)
                    else:
                        await asyncio.sleep(0.01)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if any(c["alert_id"] == alert_id for c in await p.cases(account_id)):
                        to_notice.append(time.perf_counter() - started)
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise RuntimeError(f"no case for alert {alert_id} within 60 s")
            progress(f"{posts} posts measured")
    return {"alert": percentiles(to_alert), "notice": percentiles(to_notice)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()
    out = asyncio.run(run(args.posts))
    for name in ("alert", "notice"):
        r = out[name]
        print(f"observed post → {name:<7} p50 {r['p50_s']:.3f}s  p95 {r['p95_s']:.3f}s  (goal p95 <= 2 s)")
    doc = {
        "benchmark": "latency",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "parameters": vars(args),
        **out,
        "goals": {"p95_s": 2.0},
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    progress(f"wrote {RESULTS / 'latency.json'}")


if __name__ == "__main__":
    main()
