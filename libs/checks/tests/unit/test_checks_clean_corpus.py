"""Ordinary government notices must pass the machine check without a single finding."""

import json
from pathlib import Path

import pytest

from govmedia_checks import CheckEngine

CORPUS = json.loads((Path(__file__).parent / "data" / "clean_notices.json").read_text("utf-8"))


def test_corpus_is_the_intended_size() -> None:
    assert len(CORPUS) >= 20
    assert all(200 <= len(n["text"]) <= 800 for n in CORPUS)


@pytest.mark.parametrize("notice", CORPUS, ids=[n["title"][:20] for n in CORPUS])
def test_clean_notice_has_zero_findings(engine: CheckEngine, notice: dict[str, str]) -> None:
    result = engine.check(notice["text"], title=notice["title"])
    assert [(f.rule_id, f.excerpt) for f in result.findings] == []


def test_corpus_exercises_the_near_misses() -> None:
    # The corpus is only evidence if it contains what a careless detector would flag.
    text = "\n".join(n["text"] for n in CORPUS)
    for near_miss in [
        "12345",
        "12366",
        "0576-8",
        "gov.cn",
        "@",
        "来源：",
        "截至目前",
        "反映问题",
        "弘扬",
        "垃圾分类",
    ]:
        assert near_miss in text, near_miss
