"""Reposts must name a source, and the source must be an allowed one."""

import pytest

from govmedia_checks import Category, CheckEngine, Severity


def _reprint_findings(
    engine: CheckEngine, text: str, *, title: str = "", is_reprint: bool = False, source: str | None = None
) -> list[tuple[str, str, str]]:
    result = engine.check(text, title=title, is_reprint=is_reprint, source=source)
    return [(f.rule_id, f.field, f.excerpt) for f in result.findings if f.category is Category.REPRINT_SOURCE]


ALLOWED = [
    ("colon-full-width", "全文如下……\n来源：新华社"),
    ("colon-ascii", "正文内容。\n来源:人民日报"),
    ("channel-suffix", "正文。\n来源：央视新闻客户端"),
    ("transferred-from", "本文转自中国政府网"),
    ("reprinted-from", "本文转载自台州市应急管理局微信公众号"),
    ("manuscript-source", "稿件来源：浙江省人民政府办公厅"),
    ("local-organ", "信息来源：椒江区人力资源和社会保障局 编辑：王某"),
    ("gov-domain", "来源：www.gov.cn"),
    ("quoted-name", "来源：“学习强国”学习平台"),
    ("traditional", "來源：新華社"),
]


@pytest.mark.parametrize("text", [a[1] for a in ALLOWED], ids=[a[0] for a in ALLOWED])
def test_allowed_source_passes(engine: CheckEngine, text: str) -> None:
    assert _reprint_findings(engine, text, is_reprint=True) == []


NOT_ALLOWED = [
    ("network", "正文。\n来源：网络", "网络"),
    ("commercial-portal", "来源：某某科技有限公司", "某某科技有限公司"),
    ("self-media", "本文转自某某生活圈公众号", "某某生活圈公众号"),
    ("foreign-domain", "来源：www.example.com", "www.example.com"),
    ("netizen", "图片来源：网友投稿", "网友投稿"),
]


@pytest.mark.parametrize(("text", "excerpt"), [n[1:] for n in NOT_ALLOWED], ids=[n[0] for n in NOT_ALLOWED])
def test_source_not_on_the_list_is_blocked(engine: CheckEngine, text: str, excerpt: str) -> None:
    result = engine.check(text)
    findings = [f for f in result.findings if f.category is Category.REPRINT_SOURCE]
    assert [(f.rule_id, f.excerpt) for f in findings] == [("reprint.source_not_allowed", excerpt)]
    assert findings[0].severity is Severity.BLOCK
    assert text[findings[0].start : findings[0].end] == excerpt


def test_flagged_reprint_without_any_source_is_blocked(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "这是一篇转来的文章正文。", is_reprint=True) == [
        ("reprint.no_source", "body", "")
    ]


def test_original_title_line_declares_a_reprint(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "原标题：春耕备耕正当时\n正文内容。") == [
        ("reprint.no_source", "body", "原标题：")
    ]


def test_reprint_tag_in_title_declares_a_reprint(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "正文。", title="【转载】春耕备耕正当时") == [
        ("reprint.no_source", "title", "【转载】")
    ]


def test_empty_source_line_is_not_a_source(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "正文。\n来源：\n") == [("reprint.no_source", "body", "来源：")]


def test_source_argument_satisfies_a_flagged_reprint(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "正文。", is_reprint=True, source="人民日报") == []


def test_source_argument_not_on_the_list_is_blocked(engine: CheckEngine) -> None:
    assert _reprint_findings(engine, "正文。", is_reprint=True, source="某某自媒体") == [
        ("reprint.source_not_allowed", "source", "某某自媒体")
    ]


NOT_DECLARATIONS = [
    ("funding-source", "经费来源：财政专项资金"),
    ("welcome-to-reprint", "欢迎转载，转载请注明出处。"),
    ("running-smoothly", "设备运转自如，运行良好。"),
    ("data-source-prose", "这些数据来源于第三方机构。"),
]


@pytest.mark.parametrize("text", [n[1] for n in NOT_DECLARATIONS], ids=[n[0] for n in NOT_DECLARATIONS])
def test_prose_that_merely_mentions_sources_declares_nothing(engine: CheckEngine, text: str) -> None:
    assert _reprint_findings(engine, text) == []
