"""Machine-check benchmark: `CheckEngine.check` against a plain substring scan with the same 10,000 terms.

Posts of about 1,000 characters are a deterministic random mix of the sentences of the clean notice corpus
(``libs/checks/tests/unit/data/clean_notices.json``). The lexicon is the starter set plus synthetic
sensitive terms (3–6 characters drawn from the corpus' own characters) up to 10,000 patterns in all. In
the same run and on one core it measures:

* ``engine``: ``CheckEngine.check`` — normalisation, one Aho-Corasick pass over every pattern, near misses
  of the ~500 protected formulations and of 60 leaders' names (a second automaton of ~160k enumerated slips
  plus verified anchors), personal numbers, links (urlextract), reprint sources;
* ``substring scan``: ``for term in terms: if term in text`` with the same 10,000 raw terms (no
  normalisation, no numbers, no links: strictly less work than the engine does);
* for context, normalisation alone and the engine with only the starter lexicon.

It also reports the near-miss check's false positives: serious findings on the two clean corpora (the notices
and the government texts full of protected formulations), which the unit tests hold at zero.

A benchmark, not a test: nothing is asserted. Prints a table and writes ``bench/results/checks.json``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govmedia_checks import (
    Category,
    CheckEngine,
    LeaderLexicon,
    LeaderName,
    LexiconSet,
    SensitiveLexicon,
    SensitiveTerm,
    Severity,
    load_starter_lexicons,
)
from govmedia_checks.normalize import Normalizer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "libs/checks/tests/unit/data/clean_notices.json"
GOV_TEXTS = ROOT / "libs/checks/tests/unit/data/clean_government_texts.json"
RESULTS = Path(os.environ.get("GOVMEDIA_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))

SEED = 20260101
POSTS = 400
POST_CHARS = 1_000
TERMS = 10_000
ENGINE_SECONDS = 4.0  # measure for at least this long
SCAN_POSTS = 120


def make_posts(rng: random.Random) -> list[str]:
    """~1,000-character posts assembled from the corpus sentences."""
    notices = json.loads(CORPUS.read_text("utf-8"))
    # A notice's last line has no terminator; give it a line break so it does not run into the next sentence.
    sentences = [
        s if s[-1] in "。！？；\n" else s + "\n"
        for n in notices
        for s in re.split(r"(?<=[。！？；\n])", n["text"])
        if len(s.strip()) > 4
    ]
    posts = []
    for _ in range(POSTS):
        parts: list[str] = []
        size = 0
        while size < POST_CHARS:
            s = rng.choice(sentences)
            parts.append(s)
            size += len(s)
        posts.append("".join(parts))
    return posts


def make_lexicons(rng: random.Random, posts: list[str]) -> tuple[LexiconSet, list[str]]:
    """The starter set padded with synthetic terms to TERMS patterns, and the same patterns as raw strings."""
    starter = load_starter_lexicons()
    existing = (
        [t.term for t in starter.sensitive.entries]
        + [t.term for t in starter.topics.entries]
        + [p.wrong for p in starter.expressions.entries]
    )
    alphabet = sorted({ch for p in posts for ch in p if "\u4e00" <= ch <= "\u9fff"})
    seen = set(existing)
    synthetic: list[SensitiveTerm] = []
    while len(existing) + len(synthetic) < TERMS:
        term = "".join(rng.choices(alphabet, k=rng.randint(3, 6)))
        if term in seen:
            continue
        seen.add(term)
        synthetic.append(SensitiveTerm(term=term, category=Category.ILLEGAL, severity=Severity.WARN))
    sensitive = SensitiveLexicon(
        name="bench-sensitive",
        version="1",
        entries=starter.sensitive.entries + tuple(synthetic),
    )
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    given = "建国明华伟强军平志勇杰涛斌辉红霞丽燕海波东晓峰宏毅俊文武新春秋立民忠诚"
    names = sorted({rng.choice(surnames) + "".join(rng.choices(given, k=2)) for _ in range(60)})
    leaders = LeaderLexicon(name="bench-leaders", version="1", entries=tuple(LeaderName(n) for n in names))
    lexicons = starter.replace(sensitive=sensitive, leaders=leaders)
    return lexicons, existing + [t.term for t in synthetic]


def rate(
    label: str, fn: Callable[[str], object], posts: list[str], *, seconds: float = 0, count: int = 0
) -> dict[str, Any]:
    """Run ``fn`` over the posts (round-robin) for ``seconds`` or ``count`` posts; posts/second."""
    for p in posts[:10]:  # warm-up
        fn(p)
    done = 0
    chars = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    while True:
        p = posts[done % len(posts)]
        fn(p)
        done += 1
        chars += len(p)
        elapsed = time.perf_counter() - started
        if (count and done >= count) or (seconds and elapsed >= seconds):
            break
    cpu = max(time.process_time() - cpu_started, 1e-9)
    print(f"  {label:<34} {done:>6} posts in {elapsed:6.2f} s ({cpu:.2f} s CPU)", flush=True)
    return {
        "posts": done,
        "seconds": round(elapsed, 3),
        "posts_per_second": round(done / elapsed, 1),
        # On a machine shared with other work, posts per CPU second is the engine's own cost.
        "posts_per_cpu_second": round(done / cpu, 1),
        "chars_per_second": round(chars / elapsed),
        "ms_per_post": round(1000 * elapsed / done, 3),
    }


def adversarial(engine: CheckEngine, length: int = 100_000) -> dict[str, Any]:
    """Seconds to check texts of one length made to cost a detector the most, and the slowest of them as a
    ratio to prose of the same length: what one post of the largest size the API takes can cost a core."""

    def fill(piece: str) -> str:
        return (piece * (length // len(piece) + 1))[:length]

    rng = random.Random(SEED)
    texts = {
        "dense_dots": fill("x.cn."),
        "dense_www": fill("www."),
        "one_long_run": "a" * (length - 5) + " x.cn",
        "digits_spaced": fill("1 "),
        "digits_dashed": fill("1-"),
        "nested_brackets": "(" * (length // 2 - 2) + "x.cn" + ")" * (length // 2 - 2),
        "random_ascii": "".join(chr(rng.randint(33, 126)) for _ in range(length)),
        "reprint_markers": fill("转载自"),
        "resident_ids": fill("110101199003074514 "),
    }
    prose = fill("今天，区政府召开会议，部署今年的防汛工作，要求各单位落实责任。")
    seconds: dict[str, float] = {}
    for name, text in {"prose": prose, **texts}.items():
        started = time.perf_counter()
        engine.check(text)
        seconds[name] = round(time.perf_counter() - started, 4)
        print(f"  {name:<34} {seconds[name]:8.3f} s", flush=True)
    worst = max(texts, key=seconds.__getitem__)
    return {
        "chars": length,
        "seconds": seconds,
        "worst": worst,
        "worst_vs_prose": round(seconds[worst] / max(seconds["prose"], 1e-6), 1),
    }


def main() -> int:
    rng = random.Random(SEED)
    posts = make_posts(rng)
    lexicons, terms = make_lexicons(rng, posts)
    print(
        f"{len(posts)} posts of ~{sum(map(len, posts)) // len(posts)} chars; {len(terms)} terms; "
        f"{len(lexicons.protected.entries)} protected forms, {len(lexicons.leaders.entries)} leaders' names",
        flush=True,
    )

    started = time.perf_counter()
    engine = CheckEngine(lexicons)
    compile_seconds = time.perf_counter() - started
    starter_engine = CheckEngine(load_starter_lexicons())
    starter_patterns = starter_engine.pattern_count
    normalizer = Normalizer()

    def scan(text: str) -> int:
        hits = 0
        for term in terms:
            if term in text:
                hits += 1
        return hits

    findings = sum(len(engine.check(p).findings) for p in posts)
    clean = json.loads(CORPUS.read_text("utf-8")) + json.loads(GOV_TEXTS.read_text("utf-8"))
    clean_chars = sum(len(t["text"]) + len(t["title"]) for t in clean)
    false_serious = sum(engine.check(t["text"], title=t["title"]).serious_error_count for t in clean) + sum(
        engine.check(p).serious_error_count for p in posts
    )
    scan_hits = sum(scan(p) for p in posts[:SCAN_POSTS])

    print("measuring (one core):", flush=True)
    rates = {
        "engine": rate("CheckEngine.check, 10k terms", engine.check, posts, seconds=ENGINE_SECONDS),
        "substring_scan": rate("substring scan, 10k terms", scan, posts, count=SCAN_POSTS),
        "normalise_only": rate("Normalizer.normalize", normalizer.normalize, posts, seconds=2.0),
        "engine_starter": rate(
            f"CheckEngine.check, starter ({starter_patterns})", starter_engine.check, posts, seconds=2.0
        ),
    }
    ratio = rates["engine"]["posts_per_second"] / rates["substring_scan"]["posts_per_second"]
    print("adversarial texts of 100,000 characters (one check each):", flush=True)
    hostile = adversarial(starter_engine)

    print()
    print(f"{'path':<34}{'posts/s':>10}{'posts/CPU s':>13}{'ms/post':>10}{'k chars/s':>12}")
    for name, r in rates.items():
        kchars = r["chars_per_second"] / 1000
        print(
            f"{name:<34}{r['posts_per_second']:>10.1f}{r['posts_per_cpu_second']:>13.1f}"
            f"{r['ms_per_post']:>10.3f}{kchars:>12.0f}"
        )
    print(f"\nengine / substring scan = {ratio:.1f}x   (engine compile: {compile_seconds:.2f} s)")
    print(f"findings in {len(posts)} posts: {findings}; substring hits in {SCAN_POSTS} posts: {scan_hits}")
    print(
        f"false serious findings: {false_serious} in {len(clean)} clean texts ({clean_chars} chars) "
        f"and {len(posts)} posts; {engine.protected_form_count} protected forms and names"
    )

    result = {
        "benchmark": "checks",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "parameters": {
            "seed": SEED,
            "posts": len(posts),
            "avg_post_chars": sum(map(len, posts)) // len(posts),
            "terms": len(terms),
            "protected_forms": len(lexicons.protected.entries),
            "leader_names": len(lexicons.leaders.entries),
            "lexicon_versions": engine.lexicon_versions,
        },
        "compile_seconds": round(compile_seconds, 3),
        "rates": rates,
        "engine_vs_substring_scan": round(ratio, 1),
        "adversarial": hostile,
        "findings_total": findings,
        "false_serious_findings": {
            "count": false_serious,
            "clean_texts": len(clean),
            "clean_chars": clean_chars,
            "posts": len(posts),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "checks.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
