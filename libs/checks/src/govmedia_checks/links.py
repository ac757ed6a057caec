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

The extractor reads a *link view* of the folded text, of the same length, in which what a reader or a
browser takes for part of an address is ASCII: an ideographic full stop, 点 or a middle dot between two
ASCII letters or digits is a dot (``www。baidu。com``, ``www点baidu点com``, ``www·baidu·com``), but a 。
or middle dot ending a sentence or joining a name before a capitalised word (``Word。App``,
``Steve·Jobs``); an invisible character, a combining mark or a
letter of another script (Cyrillic, Greek, accented Latin) inside a run is a letter (``evil\u200bnews.cn``,
``gоv.cn`` with a Cyrillic о); and a Chinese host after a scheme (``http://中国移动.com``,
``https://例子.公司``) is letters, its Chinese top-level domain a valid one; a ``#`` right after a host
(``evil.com#x``, which the extractor does not take for an address) is a slash. The host a finding names and
the allowlist judges is the host as written (invisible characters left out), so a look-alike of an allowed
domain is never allowed.

`govmedia_checks.addresses` rewrites defanged and spaced addresses in the link view before the extractor
reads it (``evil[.]com``, ``www . baidu . com``, ``hxxps://``; offsets kept through an index), and finds what
the extractor does not look for: any host after a web scheme (IP literals, hex and decimal IPs, names without
a top-level domain), a bare IPv4 address with a port or a path, and a host under an internationalised
top-level domain without a scheme (``evil.中国``, ``政务.公司``, ``пример.рф``) or a bare punycode name.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import unquote

from govmedia_checks.addresses import (
    apply_edits,
    ascii_tld,
    bare_ip_addresses,
    edits,
    idn_addresses,
    idn_tlds,
    may_hold_dots,
    scheme_addresses,
)
from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, DomainAllowlist, Severity
from govmedia_checks.normalize import COMBINING_MARKS, NormalizedText

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


# Invisible characters of the BMP (the astral tag characters are left to the lexicon view).
_BMP_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff"
)
_INVISIBLE_RE = re.compile(f"[{_BMP_INVISIBLE}]")
# Characters that continue an address in the link view: invisible ones, combining marks, letters of the
# scripts whose letters pass for Latin ones.
_FOREIGN_RE = re.compile(f"[{_BMP_INVISIBLE}{COMBINING_MARKS}\u00c0-\u024f\u0370-\u058f\u1e00-\u1eff]")
# 。 and 点 before an ASCII letter or digit (the one before is checked apart: anchored on the rare pair, the
# regex engine skips through Chinese prose fast).
# Middle dots (· ・ • ‧ ∙ ⋅) read as dots too: "www·baidu·com".
_MIDDLE_DOTS = "\u00b7\u30fb\u2022\u2027\u2219\u22c5"
_IDEO_DOT_RE = re.compile(f"[\u3002\u70b9{_MIDDLE_DOTS}][0-9a-z]")
_ASCII_ALNUM_RE = re.compile("[0-9a-z]")


# An English word that begins a sentence: a capital and small letters ("App", full-width "Ａｐｐ" too).
_CAPITALISED_RE = re.compile("[A-Z\uff21-\uff3a][a-z\uff41-\uff5a]+")
_LABEL_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz-")
# Top-level domains that make a host of any two words: a capitalised one after 。 is still an address.
_HOST_TLDS = frozenset({"com", "cn", "net", "org", "gov", "edu"})
# What continues an address after its last label, or precedes its first: a dot, a path, a port, a user.
_ADDRESS_MARKS = "./:#?@\u3002\u70b9\u00b7\u30fb\u2022\u2027\u2219\u22c5"


def _ideographic_dots(folded: str, original: str | None = None) -> list[int]:
    """Offsets of each 。 or 点 between two ASCII letters or digits, but a 。 that ends a sentence: one
    between two words only, the second capitalised as a sentence begins ("Word。App") and no ``com``, ``cn``
    … (told by ``original``, of the same length as ``folded``, which keeps the letters' case)."""
    dots: list[int] = []
    for m in _IDEO_DOT_RE.finditer(folded):
        at = m.start()
        if at == 0 or _ASCII_ALNUM_RE.match(folded, at - 1) is None:
            continue
        if folded[at] != "\u70b9" and original is not None and _ends_a_sentence(folded, original, at):
            continue
        dots.append(at)
    return dots


def _ends_a_sentence(folded: str, original: str, at: int) -> bool:
    """True if the 。 at ``at`` ends a sentence (see `_ideographic_dots`)."""
    word = _CAPITALISED_RE.match(original, at + 1)
    if word is None:
        return False
    end = word.end()
    if end < len(folded) and (folded[end] in _ADDRESS_MARKS or _ASCII_ALNUM_RE.match(folded, end)):
        return False  # the address goes on (or the word is no whole word: "Appx")
    if folded[at + 1 : end] in _HOST_TLDS:
        return False
    start = at - 1
    while start > 0 and folded[start - 1] in _LABEL_CHARS:
        start -= 1
    return start == 0 or folded[start - 1] not in _ADDRESS_MARKS


_DOTS_AS_WRITTEN = str.maketrans(dict.fromkeys("\u3002\u70b9" + _MIDDLE_DOTS, "."))
# A host after a scheme that holds other characters than ASCII: labels of word characters and hyphens.
_SCHEME_HOST_RE = re.compile(r"://([\w-]+(?:\.[\w-]+)+)")
_ASCII_LABEL_RE = re.compile("[0-9a-z-]+")
_FRAGMENT_RE = re.compile("[0-9a-z]#")


def _idn_tld_at(tail: str) -> str:
    """The longest internationalised top-level domain (IANA's: 中国, 公司, рф …) ``tail`` begins with."""
    tlds = idn_tlds()
    for n in range(min(len(tail), 24), 1, -1):
        if tail[:n] in tlds:
            return tail[:n]
    return ""


def _link_view(folded: str, original: str | None = None) -> str:
    """The folded text as the extractor reads it (same length; see the module's docstring)."""
    chars: list[str] | None = None
    for at in _ideographic_dots(folded, original):
        chars = chars or list(folded)
        chars[at] = "."
    if "://" in folded:
        for m in _SCHEME_HOST_RE.finditer(folded):
            host = m.group(1)
            if host.isascii():
                continue
            last = host.rfind(".")
            tail = host[last + 1 :]
            label = _ASCII_LABEL_RE.match(tail)
            if label is not None:
                end = last + 1 + label.end()
                tld = ""
            else:
                tld = _idn_tld_at(tail)  # read as a two-, three- or four-letter ASCII one in the view
                if not tld:
                    continue
                end = last + 1 + len(tld)
            chars = chars or list(folded)
            start = m.start(1)
            for k in range(start, start + end):
                if not chars[k].isascii():
                    chars[k] = "a"
            if tld:
                chars[start + last + 1 : start + end] = list(ascii_tld(len(tld)) or "a" * len(tld))
    if "#" in folded:  # urlextract finds no address with a fragment right after its host (evil.com#x)
        for m in _FRAGMENT_RE.finditer(folded):
            chars = chars or list(folded)
            chars[m.end() - 1] = "/"
    if _FOREIGN_RE.search(folded) is not None:
        chars = chars or list(folded)
        for m in _FOREIGN_RE.finditer(folded):
            chars[m.start()] = "a"
    return folded if chars is None else "".join(chars)


def _host_as_written(folded: str, start: int, end: int) -> str:
    """The host of ``folded[start:end]`` as written: invisible characters left out, 。 and 点 as dots."""
    written = _INVISIBLE_RE.sub("", folded[start:end].translate(_DOTS_AS_WRITTEN))
    return _host_of(written)[0]


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
    if "%" in host:
        host = unquote(host).lower()  # as a browser reads it: gov.cn%2eevil.com is gov.cn.evil.com
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
    searched_from = 0
    for url, (start, end) in found:
        url = str(url)
        if not (0 <= start < end <= len(run)) or run[start:end] != url:
            # urlextract reports offsets of a percent-encoded host decoded (gov.cn%2eevil.com), past the
            # text's end: find the address as written instead; one it cannot place is the whole run.
            at = run.find(url, searched_from)
            start, end = (at, at + len(url)) if at != -1 else (0, len(run))
        searched_from = max(searched_from, start)
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


def find_links(folded: str, original: str | None = None) -> list[Link]:
    """All URLs: with a scheme, ``www.`` or a bare domain under a real top-level domain, defanged or spaced
    ones, any host after a web scheme, IPv4 addresses with a port or a path; and, host "", each run too
    dense with address-like parts to search link by link. ``original`` (the text before folding, of the
    same length) tells a sentence's capital letter after 。 from an address."""
    links: list[Link] = []
    if original is not None and len(original) != len(folded):
        original = None
    if (
        "." not in folded
        and "://" not in folded
        and "dot" not in folded
        and "xn--" not in folded
        and not may_hold_dots(folded)
    ):
        return links  # every URL form has a dot or a scheme; most Chinese prose has neither
    view = _link_view(folded, original)
    written = folded
    index: list[int] | None = None
    changes = edits(view)
    if changes:
        view, written, index = apply_edits(view, folded, changes)
    found: list[tuple[int, int, str]] = []  # view offsets
    for m in _RUN_RE.finditer(view):
        if not _CANDIDATE_RE.search(view, m.start(), m.end()):
            continue
        for start, end in _pieces(view, m.start(), m.end()):
            run = view[start:end]
            if _work(run) > WORK_BUDGET:
                found.append((start, end, ""))
                continue
            for s, e, host in _links_in_run(run):
                if written[start + s : start + e] != run[s:e]:
                    host = _host_as_written(written, start + s, start + e)
                found.append((start + s, start + e, host))
    # What the extractor does not look for: any host after a scheme, an IP address with a port or a path, a
    # host under an internationalised top-level domain.
    extra = sorted((*scheme_addresses(view), *bare_ip_addresses(view), *idn_addresses(written)))
    if extra:
        # The extractor's addresses do not overlap: sorted, their ends rise too, so the one that starts last
        # before an extra address ends is the only one that can overlap it.
        base = sorted(found)
        starts = [s for s, _, _ in base]
        taken_to = -1  # where the last extra address added ends
        for start, end in extra:
            k = bisect.bisect_left(starts, end)
            if start < taken_to or (k > 0 and base[k - 1][1] > start):
                continue
            host = _host_as_written(written, start, end)
            if host:
                found.append((start, end, host))
                taken_to = end
    for start, end, host in found:
        if index is not None:
            start, end = index[start], index[end - 1] + 1
        links.append(Link(start, end, host))
    links.sort(key=lambda link: link.start)
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
        """True if ``host`` is an allowed domain or a subdomain of one (an internationalised name is compared
        in its punycode form as well, as a browser resolves it)."""
        host = host.lower().rstrip(".")
        names = [host]
        if not host.isascii():
            with contextlib.suppress(UnicodeError):
                names.append(host.encode("idna").decode("ascii"))
        return any(h == d or h.endswith("." + d) for h in names for d in self._domains)

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
