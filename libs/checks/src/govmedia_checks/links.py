"""Outbound links: every URL's host must be under an allowed domain (商业广告和链接)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, DomainAllowlist, Severity
from govmedia_checks.normalize import NormalizedText

__all__ = ["Link", "LinkChecker", "find_links"]

# Bare domains ("example.com/path") are only recognised with a known top-level domain: without one,
# "附件1.docx" or "v2.0" would be links. Hosts written with a scheme or "www." take any TLD. Hosts are
# ASCII (internationalised names appear in punycode); a CJK character ends the URL, as in "见www.gov.cn查询".
_TLDS = (
    "com|cn|net|org|gov|edu|info|io|top|xyz|vip|cc|tv|me|co|biz|site|shop|club|online|app|link|ltd|"
    "wang|asia|hk|tw|mo|uk|us|jp|kr|de|fr|ru|store|tech|ink|pro|work|live|fun|icu|cloud|mobi|name|ren|"
    "group|red|love|cyou|press|news|social|games|bet|win|porn|xxx|sex|cam|today|world|email|market"
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATH = r"(?:[/?#][a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?"
_PORT = r"(?::[0-9]{1,5})?"
_URL_RE = re.compile(
    rf"(?P<scheme>(?<![a-z0-9])(?:https?|ftp)://(?P<host>[a-z0-9.-]+){_PORT}{_PATH})"
    rf"|(?P<www>(?<![a-z0-9.@/-])(?P<whost>www\.(?:{_LABEL}\.)*{_LABEL}){_PORT}{_PATH})"
    rf"|(?P<bare>(?<![a-z0-9.@/-])(?P<bhost>(?:{_LABEL}\.)+(?:{_TLDS}))(?![a-z0-9@-]){_PORT}{_PATH})"
)
_TRAILING = ".,;:!?)'\"]"


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found in the folded view (offsets are folded offsets) and its host."""

    start: int
    end: int
    host: str


def find_links(folded: str) -> list[Link]:
    """All URLs, with scheme, ``www.`` or a bare domain with a known TLD."""
    links: list[Link] = []
    if "." not in folded and "://" not in folded:
        return links  # every URL form has a dot or a scheme; most Chinese prose has neither
    for m in _URL_RE.finditer(folded):
        host = m.group("host") or m.group("whost") or m.group("bhost") or ""
        end = m.end()
        # Sentence punctuation after a URL belongs to the sentence ("见 www.gov.cn。"), not the URL.
        while end > m.start() and folded[end - 1] in _TRAILING:
            end -= 1
        links.append(Link(m.start(), end, host.rstrip(".")))
    return links


class LinkChecker:
    """Reports links whose host is not under an allowed domain."""

    def __init__(self, allowlist: DomainAllowlist) -> None:
        self._domains = tuple(e.domain for e in allowlist.entries)

    def allowed(self, host: str) -> bool:
        """True if ``host`` is an allowed domain or a subdomain of one."""
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self._domains)

    def find(self, norm: NormalizedText, field: Field, links: list[Link]) -> list[Finding]:
        """Findings for the links of one text (as returned by `find_links` on its folded view)."""
        findings: list[Finding] = []
        for link in links:
            if self.allowed(link.host):
                continue
            start, end = norm.folded_span(link.start, link.end)
            findings.append(
                Finding(
                    category=Category.ADS_LINKS,
                    severity=Severity.BLOCK,
                    start=start,
                    end=end,
                    excerpt=norm.original[start:end],
                    message=f"外部链接域名不在允许范围：{link.host} / link to a domain that is not allowed",
                    suggestion="删除该链接，或改用党政机关网站、权威媒体的链接",
                    rule_id="link.domain_not_allowed",
                    field=field,
                )
            )
        return findings
