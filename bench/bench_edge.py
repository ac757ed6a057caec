"""The input policy's cost: small JSON POSTs through a bare FastAPI app with and without it (same run).

The yardstick is the same app without the policy, measured alternately in this process; the result is the
ratio (1.0 = free). Requests go in-process over ASGI so the network does not hide the difference. Writes
``edge.json`` into ``GOVMEDIA_BENCH_RESULTS`` (default ``bench/results``).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from govmedia_common.inputs import InputPolicy, install_input_policy
from govmedia_common.problems import install_problem_handlers

ROUNDS, REQUESTS = 7, 1500
BODY = {"name": "台州市路桥区市场监督管理局", "tags": ["市场监管", "食品安全", "质量"] * 5}
ESCAPED = {"name": "\u00e9\u4e2d", "tags": ["\u2028"] * 15}  # \\u escapes: the slow path (parse and walk)


class Doc(BaseModel):
    name: str
    tags: list[str] = []


def _app(policy: bool) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    if policy:
        install_input_policy(app, InputPolicy())

    @app.post("/docs")
    async def docs(doc: Doc) -> Doc:
        return doc

    return app


async def _rate(policy: bool, body: bytes) -> float:
    transport = httpx.ASGITransport(app=_app(policy))
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(100):
            await client.post("/docs", content=body, headers=headers)
        start = time.perf_counter()
        for _ in range(REQUESTS):
            await client.post("/docs", content=body, headers=headers)
        return REQUESTS / (time.perf_counter() - start)


async def measure() -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, doc in (("plain", BODY), ("escaped", ESCAPED)):
        body = json.dumps(doc, ensure_ascii=name == "escaped").encode()
        bare, edge = [], []
        for _ in range(ROUNDS):
            bare.append(await _rate(False, body))
            edge.append(await _rate(True, body))
        b, e = statistics.median(bare), statistics.median(edge)
        results[name] = {"bare_per_s": round(b), "with_policy_per_s": round(e), "ratio": round(e / b, 2)}
        print(f"{name:8} bare {b:7.0f}/s  with the input policy {e:7.0f}/s  ratio {e / b:.2f}")
    return results


if __name__ == "__main__":
    measured = asyncio.run(measure())
    out = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).parent / "results"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "edge.json").write_text(json.dumps(measured, indent=2))
