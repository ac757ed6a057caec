"""Links written so the reader (or the browser) still goes there, but the check did not see the address:
ideographic full stops or 点 for dots, invisible characters inside the host, letters of other scripts in the
host (an internationalised name, or a look-alike of an allowed domain), a Chinese host after a scheme.

Found by the outside-testing round (links and ads under the same normalisation): "www。baidu。com" and
"http://中国移动.com/x" passed with no finding; "evil\u200bnews.cn" and "fakeсnews.cn" (Cyrillic с) were
read as the allowed news.cn and passed; "www.gоv.cn" (Cyrillic о) was reported as the host "v.cn"; an
address with a fragment right after its host ("http://evil.com#www.gov.cn", "evil.com#/home") was no link at
all (urlextract finds none).
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
    ("text", "found"),
    [
        ("优惠见www。baidu。com。", ("link.domain_not_allowed", "www。baidu。com")),
        ("优惠见baidu｡com/abc", ("link.domain_not_allowed", "baidu｡com/abc")),
        ("优惠见www点baidu点com", ("link.domain_not_allowed", "www点baidu点com")),
        ("点击t。cn/A6xYz9领取", ("link.shortener", "t。cn/A6xYz9")),
        ("见http://中国移动.com/x查看", ("link.domain_not_allowed", "http://中国移动.com/x")),
        ("见https://例子.公司/页面", ("link.domain_not_allowed", "https://例子.公司/")),
        ("见www.bai\u200bdu.com", ("link.domain_not_allowed", "www.bai\u200bdu.com")),
        ("见evil\u200bnews.cn", ("link.domain_not_allowed", "evil\u200bnews.cn")),
        ("见fake\u0441news.cn", ("link.domain_not_allowed", "fake\u0441news.cn")),
        ("见www.g\u043ev.cn/x", ("link.domain_not_allowed", "www.g\u043ev.cn/x")),
        ("见http://\u0445inhuanet.com/a", ("link.domain_not_allowed", "http://\u0445inhuanet.com/a")),
        ("见https://www.go\u0301v.cn/x", ("link.domain_not_allowed", "https://www.go\u0301v.cn/x")),
        ("见http://evil.com#www.gov.cn", ("link.domain_not_allowed", "http://evil.com#www.gov.cn")),
        ("见evil.com#/home", ("link.domain_not_allowed", "evil.com#/home")),
    ],
    ids=[
        "ideographic-full-stops",
        "half-width-ideographic-full-stop",
        "dian-for-dot",
        "shortener-with-ideographic-full-stop",
        "chinese-host-after-scheme",
        "chinese-host-and-tld-after-scheme",
        "zero-width-inside-host",
        "zero-width-before-allowed-domain",
        "cyrillic-before-allowed-domain",
        "cyrillic-o-in-gov",
        "cyrillic-x-in-xinhuanet",
        "combining-mark-in-host",
        "fragment-after-the-host",
        "bare-host-and-fragment",
    ],
)
def test_an_address_written_around_the_check_is_still_a_link(
    engine: CheckEngine, text: str, found: tuple[str, str]
) -> None:
    assert _links(engine, text) == [found]


def test_the_message_names_the_host_as_written(engine: CheckEngine) -> None:
    (finding,) = [f for f in engine.check("见www.g\u043ev.cn/x").findings if f.rule_id.startswith("link.")]
    assert "www.g\u043ev.cn" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "政策原文见www。gov。cn。",  # an allowed site written with ideographic full stops is still allowed
        "见\u200bwww.gov.cn查询",  # an invisible character before an allowed address
        "详见http://www.gov.cn。下一步工作",
        "会议于3点30分开始，地点在A点。",  # 点 between digits or letters of prose is no dot
        "我们使用Word。下一步",
        "α粒子和β射线",
    ],
)
def test_ordinary_text_and_allowed_addresses_stay_quiet(engine: CheckEngine, text: str) -> None:
    assert _links(engine, text) == []
