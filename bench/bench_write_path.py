"""The HTTP write path: submitting a post to the review (auth, input policy, machine check, row + outbox in
one transaction) against a bare FastAPI POST, both served by uvicorn on loopback sockets and driven by 50
concurrent clients from a child process. Reports requests per second, p50 and p99 latency, and the ratio.

The review runs on a fresh migrated database of the test infrastructure (environment URLs, Docker or the
embedded stack), with a real broker for its relay; tokens are signed by a local key the review trusts
(the JWKS given directly, as its tests do). Writes ``write_path.json`` into ``GOVMEDIA_BENCH_RESULTS``.

    python bench/bench_write_path.py [--clients 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
TEXT = "今天上午，区政务服务中心正常开放，市民可预约办理社保业务。请携带身份证件，按预约时段到窗口办理。"


def progress(msg: str) -> None:
    print(f"[write path] {msg}", flush=True)


class Post(BaseModel):
    account_id: str
    title: str
    body: str


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/posts", status_code=201)
    async def create(post: Post) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), **post.model_dump()}

    return app


async def load(
    url: str, headers: dict[str, str], body: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    """``clients`` concurrent loops posting for ``seconds``; rate and latency percentiles of 2xx answers."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        for _ in range(20):  # warm-up: connections, caches, the check engine
            await client.post("/v1/posts", json=body)
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.post("/v1/posts", json=body)
                if r.status_code == 201:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "failures": failures,
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


def _load_sync(
    url: str, headers: dict[str, str], body: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    return asyncio.run(load(url, headers, body, clients, seconds))


async def load_elsewhere(
    url: str, headers: dict[str, str], body: dict[str, Any], clients: int, seconds: float
) -> dict[str, Any]:
    """Drive the load from a child process, so the clients do not share the servers' event loop."""
    context = multiprocessing.get_context("spawn")

    def in_child() -> dict[str, Any]:
        with context.Pool(1) as pool:
            result: dict[str, Any] = pool.apply(_load_sync, (url, headers, body, clients, seconds))
            return result

    return await asyncio.to_thread(in_child)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from govmedia_common.auth import TokenVerifier
    from govmedia_common.events import AccountOpened, AccountSnapshot, AccountStatus, AttentionTier, Platform
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.keys import SigningKey, jwks, mint_token
    from govmedia_common.settings import KafkaSettings, ServiceSettings
    from govmedia_common.workdays import SHANGHAI
    from govmedia_platform.pytest_plugin import fresh_database, test_infrastructure
    from govmedia_platform.sockets import serving
    from govmedia_registry.identity import scopes_for_roles
    from govmedia_review.handlers import on_account_event
    from govmedia_review.main import create_app

    with test_infrastructure() as infra:
        await ensure_topics(KafkaSettings(bootstrap=infra.kafka_bootstrap), all_topics())
        url = await fresh_database(infra, "bench_write", "review")
        key = SigningKey.generate()
        verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
        settings = ServiceSettings(
            service_name="review",
            environment="test",
            database_url=url,
            kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
            run_consumers=False,
            log_json=False,
            log_level="WARNING",
        )
        app = create_app(settings, verifier=verifier)
        unit_id, account_id = str(uuid.uuid4()), str(uuid.uuid4())
        async with serving(app) as review_url, serving(bare_app()) as bare_url:
            now = datetime.now(SHANGHAI)
            snapshot = AccountSnapshot(
                account_id=account_id,
                name="路桥发布",
                platform=Platform.WECHAT,
                platform_account_id=None,
                unit_id=unit_id,
                unit_name="台州市路桥区人民政府办公室",
                region_code="331004",
                status=AccountStatus.ACTIVE,
                attention_tier=AttentionTier.ORDINARY,
                interaction_enabled=True,
                review_levels=2,
                certified=False,
                matrix_badge=None,
                outsourced=False,
            )
            event = AccountOpened(
                occurred_at=now,
                account_id=account_id,
                account=snapshot,
                filing_id=str(uuid.uuid4()),
                actor_id="bench",
                effective_on=now.date(),
            )
            async with app.state.runtime.sessions() as session, session.begin():
                await on_account_event(event, None, session)
            token = mint_token(
                key,
                subject=str(uuid.uuid4()),
                name="采编",
                region="331004",
                unit=unit_id,
                roles=["editor"],
                scopes=scopes_for_roles(["editor"]),
            )
            body = {"account_id": account_id, "title": "通知", "body": TEXT}
            progress(f"bare FastAPI POST, {args.clients} clients, {args.seconds:g}s")
            bare = await load_elsewhere(bare_url, {}, body, args.clients, args.seconds)
            progress(f"review submit (check + outbox), {args.clients} clients, {args.seconds:g}s")
            submit = await load_elsewhere(
                review_url, {"Authorization": f"Bearer {token}"}, body, args.clients, args.seconds
            )
    return {
        "bare": bare,
        "submit": submit,
        "ratio": round(submit["per_s"] / bare["per_s"], 3) if bare["per_s"] else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    started = time.perf_counter()
    out = asyncio.run(run(args))
    print(f"{'measure':<40}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name in ("bare", "submit"):
        r = out[name]
        print(f"{name:<40}{r['per_s']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}")
    print(
        f"submit / bare POST: {out['ratio']} (goal >= 0.4); "
        f"submit p99 {out['submit']['p99_ms']} ms (goal <= 50)"
    )
    doc = {
        "benchmark": "write_path",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "parameters": vars(args),
        **out,
        "goals": {"ratio": 0.4, "p99_ms": 50},
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "write_path.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    progress(f"wrote {RESULTS / 'write_path.json'}")


if __name__ == "__main__":
    main()
