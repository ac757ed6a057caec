"""A bare host under an internationalised top-level domain (中国, 公司, рф, 한국 …) with no scheme, and a
host written in punycode (xn--…), are links.

Found by the outside-testing round (misses of the machine check): "evil.中国", "政务.公司" and
"xn--fiqs8s" passed with no finding: the extractor reads ASCII runs only, and a Chinese host was looked for
after a scheme only. The top-level domains are IANA's list (the extractor's copy), decoded.
"""

import pytest

from govmedia_checks import CheckEngine


def _links(engine: CheckEngine, text: str) -> list[tuple[str, str, str]]:
    out = []
    for f in engine.check(text).findings:
        if f.rule_id.startswith("link."):
            assert text[f.start : f.end] == f.excerpt
            out.append((f.rule_id, f.excerpt, f.message))
    return out


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("见evil.中国", "evil.中国"),
        ("详见evil.中国/查询", "evil.中国/"),
        ("详见www.evil.中国查询", "www.evil.中国"),
        ("政务.公司", "政务.公司"),
        ("访问：例子.公司/abc", "例子.公司/abc"),
        ("请访问 例子.网络 。", "例子.网络"),
        ("见www.例子.中国/x", "www.例子.中国/x"),
        ("见ＥＶＩＬ．中国", "ＥＶＩＬ．中国"),
        ("见evil.中國", "evil.中國"),
        ("见пример.рф", "пример.рф"),
        ("见evil.рф/x", "evil.рф/x"),
        ("见evil.한국", "evil.한국"),
        ("见evil.みんな", "evil.みんな"),
        ("见xn--fiqs8s", "xn--fiqs8s"),
        ("见xn--55qx5d", "xn--55qx5d"),
        ("见http://пример.рф/x", "http://пример.рф/x"),
        ("见https://例子.みんな/", "https://例子.みんな/"),
        ("见http://中国移动/x", "http://中国移动/x"),
        ("见https://例子.移动", "https://例子.移动"),
    ],
)
def test_a_host_under_an_internationalised_tld_is_a_link(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    assert [(r, e) for r, e, _ in _links(engine, text)] == [("link.domain_not_allowed", excerpt)]


@pytest.mark.parametrize(
    "text",
    [
        "任务完成.中国人民继续前进",  # an ASCII full stop ending a sentence
        "1.中国经济稳中向好",
        "a.中国经济",  # a list item
        "ii.中国经济",
        "主要措施：a.中国经济稳中向好；b.中国制造",  # list items after other text
        "v2.0.中国版",
        "我们完成了任务.公司将继续",
        "第一.网络安全",
        "详见附件.在线填报",
        "中国.政务服务",
        "请在浏览器地址栏输入http://后再输入网址",
        "苹果公司（Apple Inc.中国区）负责人",  # an abbreviation's full stop
        "见No.中国科技期刊",
        "Microsoft Corp.中国研发中心",
        "etc.中国也在其列",
        "GDP.中国经济稳中向好",  # an ASCII full stop after an English word, then the next clause
        "发布了iPhone15.中国区售价",
        "WTO.中国加入二十多年",
    ],
)
def test_prose_around_a_full_stop_is_not_a_host(engine: CheckEngine, text: str) -> None:
    assert _links(engine, text) == []
