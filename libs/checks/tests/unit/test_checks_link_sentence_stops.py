"""An ideographic full stop between two English words ends a sentence; it is a dot only where the words make
an address.

Found by the outside-testing round (false positives of the machine check): "Word。App" (a sentence ending
with a product name and the next beginning) was blocked as a link to word.app: the link view reads every 。
between ASCII letters as a dot, and app is a real top-level domain (the extractor's list is IANA's).
"""

import pytest

from govmedia_checks import CheckEngine


def _links(engine: CheckEngine, text: str) -> list[tuple[str, str]]:
    out = []
    for f in engine.check(text).findings:
        if f.rule_id.startswith("link."):
            assert text[f.start : f.end] == f.excerpt
            out.append((f.rule_id, f.excerpt))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "我们使用Word。App下载后即可使用。",
        "请打开Excel。Online版本同样可用。",
        "安装Windows。Store中可以找到。",
        "会上介绍了Python。Click这个库。",
        "见附件。Doc",
        "文件类型为Word。Doc格式。",
        "应用名称：Kimi。Chat功能已上线。",
        "请使用ＷＯＲＤ。Ａｐｐ",
        "乔布斯（Steve·Jobs）",  # a name written with a middle dot
        "John·Smith先生",
    ],
)
def test_a_sentence_ending_in_an_english_word_is_no_address(engine: CheckEngine, text: str) -> None:
    assert _links(engine, text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("优惠见www。baidu。com", "www。baidu。com"),
        ("优惠见baidu。com", "baidu。com"),
        ("优惠见Baidu。Com", "Baidu。Com"),
        ("优惠见Baidu。Cn", "Baidu。Cn"),
        ("优惠见evil。app", "evil。app"),
        ("优惠见EVIL。APP", "EVIL。APP"),
        ("优惠见Evil。App/x", "Evil。App/x"),
        ("优惠见www。Evil。App", "www。Evil。App"),
        ("优惠见www·baidu·com", "www·baidu·com"),  # middle dots as dots
        ("优惠见baidu・com", "baidu・com"),
        ("优惠见baidu•com/x", "baidu•com/x"),
        ("优惠见evil‧jobs", "evil‧jobs"),
    ],
)
def test_an_address_written_with_ideographic_full_stops_is_still_a_link(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    assert _links(engine, text) == [("link.domain_not_allowed", excerpt)]
