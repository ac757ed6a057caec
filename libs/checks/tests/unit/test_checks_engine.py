"""CheckEngine API: result shape, JSON, counts, title field, reuse and concurrent reads."""

import json
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given, settings
from hypothesis import strategies as st

from govmedia_checks import (
    Category,
    CheckEngine,
    CheckResult,
    LexiconSet,
    Severity,
    load_starter_lexicons,
)

MIXED = (
    "关于开展活动的通知\n"
    "我个人认为本次活动很有意义。联系人手机13812345678。"
    "中国人民共和国国务院办公室。详见 http://www.example.com/a 。"
    "来源：网络"
)


def test_result_carries_findings_counts_and_versions(engine: CheckEngine) -> None:
    result = engine.check(MIXED)
    assert isinstance(result, CheckResult)
    assert result.blocking
    assert result.serious_error_count == 2
    assert result.counts() == {
        "personal_opinion": {"warn": 1},
        "secrets_privacy": {"block": 1},
        "serious_expression_error": {"block": 2},
        "ads_links": {"block": 1},
        "reprint_source": {"block": 1},
    }
    assert result.lexicon_versions == engine.lexicon_versions
    assert [f.start for f in result.findings] == sorted(f.start for f in result.findings)
    for f in result.findings:
        assert MIXED[f.start : f.end] == f.excerpt
        assert f.message and f.suggestion and f.rule_id


def test_to_dict_is_json_ready(engine: CheckEngine) -> None:
    doc = json.loads(json.dumps(engine.check(MIXED).to_dict(), ensure_ascii=False))
    assert doc["blocking"] is True
    assert doc["serious_error_count"] == 2
    assert doc["exceeds_serious_error_limit"] is False
    assert doc["lexicon_versions"]["sensitive"] == "starter-sensitive@2026.2"
    assert doc["lexicon_versions"]["protected"] == "starter-protected@2026.1"
    first = doc["findings"][0]
    assert set(first) == {
        "category",
        "severity",
        "field",
        "start",
        "end",
        "excerpt",
        "message",
        "suggestion",
        "rule_id",
    }


def test_warnings_alone_do_not_block(engine: CheckEngine) -> None:
    result = engine.check("我觉得今天的活动很精彩。")
    assert [(f.category, f.severity) for f in result.findings] == [(Category.PERSONAL_OPINION, Severity.WARN)]
    assert not result.blocking


def test_clean_text_has_no_findings(engine: CheckEngine) -> None:
    result = engine.check("今天上午，区政务服务中心正常开放。")
    assert result.findings == []
    assert not result.blocking
    assert result.counts() == {}


def test_title_is_checked_and_findings_say_so(engine: CheckEngine) -> None:
    result = engine.check("正文没有问题。", title="限时抢购！国务院办公室最新通知")
    assert [(f.field, f.excerpt) for f in result.findings] == [
        ("title", "限时抢购"),
        ("title", "国务院办公室"),
    ]
    assert result.findings[0].start == 0


def test_engines_for_equal_lexicons_share_compiled_automata(starter: LexiconSet) -> None:
    a = CheckEngine(starter)
    b = CheckEngine(load_starter_lexicons())  # equal content, separately loaded
    assert a._compiled is b._compiled


def test_engine_serves_many_threads_at_once(engine: CheckEngine) -> None:
    texts = [MIXED, "賭 博 網 站", "身份证110101199003071233", "来源：人民日报", "按步就班"] * 40
    expected = [engine.check(t).to_dict() for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: engine.check(t).to_dict(), texts))
    assert got == expected


_ALPHABET = st.sampled_from(
    [
        *"赌博网站代开发票國務院办公室按步就班两学一做“”，。\n \u3000*·1３8０5x+-:：来源转载网络",
        *["13812345678", "110101199003071233", "www.example.com", "http://a.gov.cn/1", "原标题："],
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_every_finding_points_at_its_excerpt(text: str) -> None:
    engine = CheckEngine(load_starter_lexicons())
    for f in engine.check(text).findings:
        if f.field == "body":
            assert 0 <= f.start <= f.end <= len(text)
            assert text[f.start : f.end] == f.excerpt
