"""Outbound links: every URL's host must be under an allowed domain; short links are always reported.

URLs are found by `urlextract`, a maintained extractor that recognises bare domains (``example.com.cn/x``,
``bit.ly/abc``) by the IANA list of top-level domains it ships (read from its package data; it downloads a
newer list only when asked to with ``update()``, which this code never calls, so a check never touches the
network). Two things make it fit Chinese prose and keep it fast:

* URLs are ASCII (internationalised names appear in punycode), so only runs of printable ASCII that could
  hold one (a scheme, or a dot before a letter) are handed to the extractor; a Chinese character ends a URL,
  as in "见www.gov.cn查询", and most posts have no such run at all;
* the extractor's answer per run is cached: the same portal address recurs in post after post.

The extractor grows every candidate (a dot before a letter) towards both ends of its run, so its work is
candidates × run length: quadratic in one long run dense with dots ("x.cn." × 20,000, one 100 kB token,
took minutes of a core). A run over a fixed budget of that work is split at ASCII punctuation no host
holds; a piece still over it is not searched link by link but reported whole (``link.unchecked_run``), so
a link hidden in such a run is never let through unseen.

Addresses in e-mail form (``li.me@163.com``) are not links; a bare name whose "top-level domain" is a common
file extension (``readme.md``, ``data.zip``) is a file, not a link.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, DomainAllowlist, Severity
from govmedia_checks.normalize import NormalizedText

__all__ = ["Link", "LinkChecker", "find_links", "url_shorteners"]

# A run of printable ASCII; those holding a scheme or a dot before a letter are the only places a URL can
# be. (Not one pattern "run holding a candidate": it backtracked over every long run without one,
# quadratic in its length.)
_RUN_RE = re.compile(r"[!-~]+")
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://")
_TRAILING = ".,;:!?)'\"]"
# Top-level domains that are also everyday file extensions: "readme.md" names a file, not a site.
_FILE_LIKE_TLDS = frozenset({"zip", "mov", "md", "py", "sh", "pl", "rs", "ps", "cs", "ai", "mp"})
# Work budget of one run handed to the extractor: candidates × characters (see the module's docstring).
# 200,000 is ~50 ms; a 1,300-character tracking link with five dots uses 7,000 of it.
WORK_BUDGET = 200_000
_CANDIDATE_RE = re.compile(r"\.[a-z]|://")
_SPLIT_RE = re.compile(r"[,;|!'\"()\[\]<>{}*\\^`]+")  # punctuation that ends a host


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found in the folded view (offsets are folded offsets) and its host."""

    start: int
    end: int
    host: str  # "" for a run too dense with address-like parts to search (``unchecked``)

    @property
    def unchecked(self) -> bool:
        return not self.host


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _extractor() -> object:
    from urlextract import URLExtract  # builds its TLD matcher on first use (~50 ms)

    return URLExtract(extract_email=False, cache_dns=False, extract_localhost=False)


def _host_of(url: str) -> tuple[str, bool]:
    """(host, written as a bare name without scheme, ``www.`` or path)."""
    rest = _SCHEME_RE.sub("", url)
    has_scheme = rest != url
    cut = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i != -1:
            cut = min(cut, i)
    host = rest[:cut]
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    bare = not has_scheme and cut == len(rest) and not host.startswith("www.")
    return host.rstrip("."), bare


@lru_cache(maxsize=4096)
def _links_in_run(run: str) -> tuple[tuple[int, int, str], ...]:
    with _lock:
        found = _extractor().find_urls(run, get_indices=True)  # type: ignore[attr-defined]
    out: list[tuple[int, int, str]] = []
    for url, (start, end) in found:
        url = str(url)
        if (start > 0 and run[start - 1] == "@") or (end < len(run) and run[end] == "@"):
            continue  # part of an e-mail address
        while end > start and run[end - 1] in _TRAILING:
            end -= 1
        host, bare = _host_of(run[start:end])
        if not host or (bare and host.rsplit(".", 1)[-1] in _FILE_LIKE_TLDS):
            continue
        out.append((start, end, host))
    return tuple(out)


def _work(run: str) -> int:
    return len(_CANDIDATE_RE.findall(run)) * len(run)


def _pieces(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    """The run ``folded[start:end]`` whole when the extractor can afford it, else its pieces between
    punctuation that no host holds (those holding no scheme and no dot before a letter are left out)."""
    if _work(folded[start:end]) <= WORK_BUDGET:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    at = start
    for m in _SPLIT_RE.finditer(folded, start, end):
        pieces.append((at, m.start()))
        at = m.end()
    pieces.append((at, end))
    return [(a, b) for a, b in pieces if _CANDIDATE_RE.search(folded, a, b)]


def find_links(folded: str) -> list[Link]:
    """All URLs: with a scheme, ``www.`` or a bare domain under a real top-level domain; and, host "", each
    run too dense with address-like parts to search link by link."""
    links: list[Link] = []
    if "." not in folded and "://" not in folded:
        return links  # every URL form has a dot or a scheme; most Chinese prose has neither
    for m in _RUN_RE.finditer(folded):
        if not _CANDIDATE_RE.search(folded, m.start(), m.end()):
            continue
        for start, end in _pieces(folded, m.start(), m.end()):
            run = folded[start:end]
            if _work(run) > WORK_BUDGET:
                links.append(Link(start, end, ""))
                continue
            for s, e, host in _links_in_run(run):
                links.append(Link(start + s, start + e, host))
    return links


@lru_cache(maxsize=1)
def url_shorteners() -> frozenset[str]:
    """Hosts of URL shortening services (shipped data): such a link's destination is unknown."""
    doc = json.loads(
        resources.files("govmedia_checks").joinpath("data", "url_shorteners.json").read_text("utf-8")
    )
    return frozenset(str(d).lower() for d in doc["domains"])


class LinkChecker:
    """Reports links whose host is not under an allowed domain."""

    def __init__(self, allowlist: DomainAllowlist) -> None:
        self._domains = tuple(e.domain for e in allowlist.entries)
        self._shorteners = url_shorteners()

    def is_shortener(self, host: str) -> bool:
        """True if ``host`` is a URL shortening service (or a subdomain of one)."""
        labels = host.lower().rstrip(".").split(".")
        return any(".".join(labels[i:]) in self._shorteners for i in range(len(labels) - 1))

    def allowed(self, host: str) -> bool:
        """True if ``host`` is an allowed domain or a subdomain of one."""
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self._domains)

    def find(self, norm: NormalizedText, field: Field, links: list[Link]) -> list[Finding]:
        """Findings for the links of one text (as returned by `find_links` on its folded view)."""
        findings: list[Finding] = []
        for link in links:
            start, end = norm.folded_span(link.start, link.end)
            if link.unchecked:
                findings.append(
                    Finding(
                        category=Category.ADS_LINKS,
                        severity=Severity.BLOCK,
                        start=start,
                        end=end,
                        excerpt=norm.original[start:end],
                        message=(
                            f"一段{end - start}个字符的连续文字中类似网址的部分过多，无法逐一核验链接 / "
                            "too many address-like parts in one unbroken run to check its links one by one"
                        ),
                        suggestion="用空格分开其中的网址，或删除这段文字",
                        rule_id="link.unchecked_run",
                        field=field,
                    )
                )
                continue
            if self.is_shortener(link.host):
                # Checked before the allowlist: a short link hides where it goes, whoever runs the service.
                findings.append(
                    Finding(
                        category=Category.ADS_LINKS,
                        severity=Severity.BLOCK,
                        start=start,
                        end=end,
                        excerpt=norm.original[start:end],
                        message=f"短链接，真实去向未知：{link.host} / short link, its destination is unknown",
                        suggestion="改用目标网页的完整链接（须为党政机关网站或权威媒体）",
                        rule_id="link.shortener",
                        field=field,
                    )
                )
                continue
            if self.allowed(link.host):
                continue
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
