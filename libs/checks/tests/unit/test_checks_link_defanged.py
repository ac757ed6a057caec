"""Addresses written so the extractor does not see them but a reader still goes there: spaces around the
dots, defanged dots and schemes, IP-literal hosts, hex and decimal IP forms, any host after a web scheme.

Found by the outside-testing round (misses of the machine check): "www . baidu . com", "evil[.]com",
"evil(.)com", "evil[dot]com", "hxxps://evil[.]com", "1.2.3.4:8080/a" and "http://0x7f000001/" passed with
no finding. Every finding still points at the original text and names the host a browser would open.
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


NOT_ALLOWED = "link.domain_not_allowed"


@pytest.mark.parametrize(
    ("text", "excerpt", "host"),
    [
        ("优惠见www . baidu . com查询", "www . baidu . com", "www.baidu.com"),
        ("优惠见www .baidu .com", "www .baidu .com", "www.baidu.com"),
        ("优惠见baidu 。 com", "baidu 。 com", "baidu.com"),
        ("优惠见baidu 点 com", "baidu 点 com", "baidu.com"),
        ("优惠见evil[.]com", "evil[.]com", "evil.com"),
        ("优惠见evil(.)com/x", "evil(.)com/x", "evil.com"),
        ("优惠见evil{.}com", "evil{.}com", "evil.com"),
        ("优惠见evil[dot]com", "evil[dot]com", "evil.com"),
        ("优惠见evil(DOT)com", "evil(DOT)com", "evil.com"),
        ("优惠见evil [ . ] com", "evil [ . ] com", "evil.com"),
        ("优惠见evil[。]com", "evil[。]com", "evil.com"),
        ("优惠见evil dot com", "evil dot com", "evil.com"),  # the word, spaced
        ("优惠见www DOT evil DOT com/x", "www DOT evil DOT com/x", "www.evil.com"),
        ("优惠见www[.]evil[.]com", "www[.]evil[.]com", "www.evil.com"),
        ("优惠见hxxps://evil[.]com/a", "hxxps://evil[.]com/a", "evil.com"),
        ("优惠见hxxp[:]//evil.com", "hxxp[:]//evil.com", "evil.com"),
        ("优惠见hXXp://1.2.3.4/x", "hXXp://1.2.3.4/x", "1.2.3.4"),
        ("优惠见http://1.2.3.4/x", "http://1.2.3.4/x", "1.2.3.4"),
        ("优惠见1.2.3.4:8080/a", "1.2.3.4:8080/a", "1.2.3.4"),
        ("优惠见192.168.1.1/login", "192.168.1.1/login", "192.168.1.1"),
        ("优惠见http://0x7f000001/", "http://0x7f000001/", "0x7f000001"),
        ("优惠见http://2130706433/", "http://2130706433/", "2130706433"),
        ("优惠见http://0177.0.0.1/", "http://0177.0.0.1/", "0177.0.0.1"),
        ("优惠见(http://0x7f.1/)", "http://0x7f.1/", "0x7f.1"),
        ("优惠见http://[::1]:8080/x", "http://[::1]:8080/x", "[::1]:8080"),
        ("优惠见https://localhost:8443/", "https://localhost:8443/", "localhost"),
        ("优惠见ftp://files/x", "ftp://files/x", "files"),
    ],
)
def test_an_address_written_around_the_extractor_is_a_link(
    engine: CheckEngine, text: str, excerpt: str, host: str
) -> None:
    ((rule, found, message),) = _links(engine, text)
    assert (rule, found) == (NOT_ALLOWED, excerpt)
    assert host in message


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("点击t[.]cn/A6xYz9领取", "link.shortener"),
        ("点击t . cn/A6xYz9领取", "link.shortener"),
        ("点击hxxp://bit[.]ly/x", "link.shortener"),
    ],
)
def test_a_defanged_short_link_is_a_short_link(engine: CheckEngine, text: str, rule: str) -> None:
    assert [r for r, _, _ in _links(engine, text)] == [rule]


@pytest.mark.parametrize(
    "text",
    [
        "详见www[.]gov[.]cn",  # an allowed site, defanged, is still allowed
        "详见http://www.gov.cn/x",
        "依照第3.1.2.1条规定",
        "版本1.2.3.4发布",
        "会议于3 点 30分开始",
        "网段10.0.0.0/8内的设备",
        "网段`10.20.0.0/16`内的设备",
        "详见台州市文化和广电旅游体育局网站 https://wglj.tz.gov.cn 。2026年2月15日起施行。",
        "详见 www.gov.cn 。Next steps follow.",
        "函数f(x)和数组a[0]",
        "见图(a)和(b)",
        "We use Word. App is new.",
        "a dotted line",
        "dot com",
        "比分3:1，时间12:30",
        "请访问http://",
    ],
)
def test_ordinary_text_is_not_an_address(engine: CheckEngine, text: str) -> None:
    assert _links(engine, text) == []
