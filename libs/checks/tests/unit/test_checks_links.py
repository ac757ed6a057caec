"""Outbound links: only hosts under allowed domains pass."""

import pytest

from govmedia_checks import AllowedDomain, Category, CheckEngine, DomainAllowlist, Severity
from govmedia_checks.links import find_links

BLOCKED = [
    ("http", "详情请访问http://www.example.com/promo?id=1。", "http://www.example.com/promo?id=1"),
    ("https", "报名入口：https://shop.example.net/a/b", "https://shop.example.net/a/b"),
    ("www", "更多优惠见www.baidu.com。", "www.baidu.com"),
    ("bare-domain-path", "点击 example.com/path 领取", "example.com/path"),
    ("bare-domain-cjk-after", "访问abc.xyz立即下载", "abc.xyz"),
    ("full-width", "访问ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ"),
    ("upper-case", "访问HTTPS://WWW.EXAMPLE.COM", "HTTPS://WWW.EXAMPLE.COM"),
    ("lookalike-gov", "官方通知见http://gov.cn.example.com/notice", "http://gov.cn.example.com/notice"),
    ("suffix-not-label", "见http://fakegov.cn/x", "http://fakegov.cn/x"),
    ("ip-address", "登录http://10.1.2.3:8080/admin", "http://10.1.2.3:8080/admin"),
    ("bare-second-level", "访问example.com.cn/x查看详情", "example.com.cn/x"),
    ("bare-new-tld", "下载请到abc.shop", "abc.shop"),
]


@pytest.mark.parametrize(("text", "excerpt"), [b[1:] for b in BLOCKED], ids=[b[0] for b in BLOCKED])
def test_link_to_non_allowed_host_is_blocked(engine: CheckEngine, text: str, excerpt: str) -> None:
    findings = [f for f in engine.check(text).findings if f.rule_id == "link.domain_not_allowed"]
    assert [f.excerpt for f in findings] == [excerpt]
    assert findings[0].category is Category.ADS_LINKS
    assert findings[0].severity is Severity.BLOCK


ALLOWED = [
    ("gov-cn", "政策原文见https://www.gov.cn/zhengce/content/2026-01/05/content_7001234.htm。"),
    ("provincial-gov", "登录浙江政务服务网（zjzwfw.gov.cn）办理"),
    ("local-gov-http", "详见 http://www.tz.gov.cn/art/2026/3/1/art_1229019364_59123456.html"),
    ("xinhua", "新华网报道：http://www.news.cn/politics/2026-01/01/c_1.htm"),
    ("people", "人民网 http://politics.people.com.cn/n1/2026/0101/c1001-1.html"),
    ("email-is-not-link", "来信请发送至zhangsan@qq.com或li.me@163.com"),
    ("file-names", "附件1.docx、附件2.pdf、报名表.xlsx请下载填写"),
    ("version-and-decimals", "系统升级至v2.0版本，增长3.5个百分点"),
]


@pytest.mark.parametrize("text", [a[1] for a in ALLOWED], ids=[a[0] for a in ALLOWED])
def test_allowed_links_and_non_links_pass(engine: CheckEngine, text: str) -> None:
    assert engine.check(text).findings == []


def test_trailing_sentence_punctuation_is_not_part_of_the_link() -> None:
    (link,) = find_links("见http://example.com/a).")
    assert "见http://example.com/a)."[link.start : link.end] == "http://example.com/a"
    assert link.host == "example.com"


SHORT = [
    ("bitly", "详见bit.ly/3AbCdE。", "bit.ly/3AbCdE"),
    ("weibo", "点击t.cn/A6xYz9领取", "t.cn/A6xYz9"),
    ("with-scheme", "报名：https://tinyurl.com/y7k2", "https://tinyurl.com/y7k2"),
    ("douyin", "视频见https://v.douyin.com/iRNBho6", "https://v.douyin.com/iRNBho6"),
]


@pytest.mark.parametrize(("text", "excerpt"), [s[1:] for s in SHORT], ids=[s[0] for s in SHORT])
def test_short_links_are_always_findings(engine: CheckEngine, text: str, excerpt: str) -> None:
    findings = [f for f in engine.check(text).findings if f.category is Category.ADS_LINKS]
    assert [(f.rule_id, f.excerpt) for f in findings] == [("link.shortener", excerpt)]
    assert findings[0].severity is Severity.BLOCK


def test_a_shortener_is_reported_even_when_its_domain_is_allowed(engine: CheckEngine) -> None:
    allowed = DomainAllowlist(name="x", version="1", entries=(AllowedDomain("gov.cn"), AllowedDomain("t.cn")))
    strict = CheckEngine(engine.lexicons.replace(link_domains=allowed))
    assert [f.rule_id for f in strict.check("详见t.cn/A6xYz9").findings] == ["link.shortener"]


def test_link_detection_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # The extractor reads the TLD list shipped in its package; a check must never try to fetch one.
    import socket
    import urllib.request

    from govmedia_checks import links

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during a check")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    links._extractor.cache_clear()
    links._links_in_run.cache_clear()
    found = links.find_links("见bit.ly/x和example.com.cn/y")
    assert [lk.host for lk in found] == ["bit.ly", "example.com.cn"]


# Long texts made to cost the link search work quadratic in their length: one 100 kB run dense with dots,
# or one long run with no address in it (a pattern that backtracked over it).
ADVERSARIAL = {
    "dense-dots": ("x.cn." * 20_000)[:100_000],
    "dense-bare-domains": ("ab.cn" * 20_000)[:100_000],
    "dense-www": ("www." * 25_000)[:100_000],
    "one-long-run-then-a-link": "a" * 99_990 + " x.cn",
    "dense-with-a-hidden-link": "x.cn." * 2_000 + "evil.example.com/x" + ".x.cn" * 2_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_extractor_is_never_handed_more_than_its_work_budget(
    engine: CheckEngine, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_checks import links

    handed: list[str] = []
    search = links._links_in_run.__wrapped__

    def recording(run: str) -> tuple[tuple[int, int, str], ...]:
        handed.append(run)
        return search(run)

    monkeypatch.setattr(links, "_links_in_run", recording)
    findings = [f for f in engine.check(text).findings if f.category is Category.ADS_LINKS]
    assert findings, "a run holding address-like parts passed with no link finding"
    over = [len(run) for run in handed if links._work(run) > links.WORK_BUDGET]
    assert over == [], f"runs over the budget handed to the extractor: {over}"


def test_a_run_too_dense_to_search_is_reported_whole_so_a_link_hidden_in_it_is_not_let_through(
    engine: CheckEngine,
) -> None:
    text = "通知 " + ADVERSARIAL["dense-with-a-hidden-link"] + "。"
    findings = [f for f in engine.check(text).findings if f.rule_id == "link.unchecked_run"]
    assert len(findings) == 1
    f = findings[0]
    assert f.severity is Severity.BLOCK and f.category is Category.ADS_LINKS
    assert (f.start, f.end) == (3, len(text) - 1)
    assert f.excerpt == text[f.start : f.end]
    assert "evil.example.com" in f.excerpt


def test_a_dense_run_split_by_punctuation_is_searched_piece_by_piece() -> None:
    """Commas and semicolons end a host: a long list of addresses written without spaces is still read
    link by link, not reported as one unchecked run."""
    text = ",".join(f"site{i}.example.com" for i in range(3_000))
    found = find_links(text)
    assert len(found) == 3_000 and not any(link.unchecked for link in found)
    assert found[7].host == "site7.example.com"
