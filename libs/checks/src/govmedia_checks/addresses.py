"""Addresses written around the link extractor, and the forms it does not look for.

* Defanged and spaced dots: ``evil[.]com``, ``evil(.)com``, ``evil{dot}com``, ``evil [ . ] com``,
  ``evil dot com``, ``www . baidu . com``, ``www .baidu .com``, ``baidu 。 com``, ``baidu 点 com`` read
  as one dot when a letter follows. A space only *after* a dot is left alone ("Word. App" is two English
  sentences), and so is a 。 with a space on one side only ("见https://x.gov.cn 。2026年" ends a sentence).
* Defanged schemes: ``hxxp://``, ``hXXps://``, ``h**p://``, ``fxp://``, ``http[:]//`` read as the scheme.
* Any host after a web scheme is an address, whatever it looks like: an IP literal (``http://1.2.3.4/``,
  ``http://[::1]/``), a hex, octal or decimal IP (``http://0x7f000001/``, ``http://2130706433/``), a name
  without a top-level domain (``http://localhost/``); the extractor wants a known top-level domain.
* A host under an internationalised top-level domain (IANA's, decoded: 中国, 公司, рф, 한국 …) with no
  scheme: "evil.中国", "政务.公司/x", "пример.рф"; a bare punycode name ("xn--fiqs8s"). A full stop
  between two clauses looks the same, so a host of one label under a Chinese TLD must not be followed by
  more Chinese ("任务完成.中国人民", "GDP.中国经济" are two clauses; "www.例子.中国网站" holds a host);
  a list mark or an English abbreviation is no host ("a.中国经济", "Apple Inc.中国区").
* A bare IPv4 address with a port or a path (``1.2.3.4:8080/a``, ``192.168.1.1/login``); a bare one is a
  section or version number (第3.1.2.1条), a network (10.0.0.0/8) is no address either.

`edits` finds the rewrites on the link view; `apply_edits` applies them to the view and to the text as
written, keeping for every character the offset it comes from, so a finding still points at the original.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

__all__ = [
    "apply_edits",
    "ascii_tld",
    "bare_ip_addresses",
    "edits",
    "idn_addresses",
    "idn_tlds",
    "may_hold_dots",
    "scheme_addresses",
]

_GAP = "[ \\t\\u00a0\\u3000]"
_DOT_WORDS = "(?:\\.|\\u3002|\\u70b9|dot)"
_OPEN = "[\\[({<]"
_BRACKETED = f"{_GAP}*+{_DOT_WORDS}{_GAP}*+[\\])}}>]{_GAP}*+(?=[0-9a-z])"
# Begins with a character class (the regex engine skips through prose in C); the lookbehind after the first
# character sees the letter or digit before it.
_DEFANG_RE = re.compile(
    f"[ \\t\\u00a0\\u3000\\[({{<](?<=[0-9a-z].)(?:"
    f"(?<={_OPEN}){_BRACKETED}"  # [.] (.) {dot} [ . ]
    f"|{_GAP}*+(?:{_OPEN}{_BRACKETED}"
    # a space before a dot, around 。 or 点, and a letter after it: "gov.cn 。2026年" ends a sentence
    f"|\\.{_GAP}*+(?=[a-z])|[\\u3002\\u70b9]{_GAP}++(?=[a-z])"
    # the word dot between spaces: "evil dot com"
    f"|dot{_GAP}++(?=[a-z])))"
)
# Both begin with a character or a class, as _DEFANG_RE does.
_SCHEME_DEFANG_RE = re.compile(
    "[hf](?<![0-9a-z][hf])(?:(?<=h)(?:xx|\\*\\*|__)p|(?<=f)xp)(?=s?(?:\\[:\\]|:)//)"
)
_COLON_DEFANG_RE = re.compile("\\[(?<=[a-z]\\[):\\](?=//)")
_SCHEME_NAMES = {"fxp": "ftp"}


_IDEOGRAPHIC_DOT_RE = re.compile(
    "[0-9a-z][ \\t\\u00a0\\u3000\\[({<]*+[\\u3002\\u70b9\\u00b7\\u30fb\\u2022\\u2027\\u2219\\u22c5]"
)


def may_hold_dots(folded: str) -> bool:
    """True if ``folded`` holds a 。 or 点 after an ASCII letter or digit (spaced, bracketed or not)."""
    return _IDEOGRAPHIC_DOT_RE.search(folded) is not None


def edits(view: str) -> list[tuple[int, int, str]]:
    """Rewrites (start, end, replacement) of ``view`` that make each defanged or spaced address whole."""
    found: list[tuple[int, int, str]] = [(m.start(), m.end(), ".") for m in _DEFANG_RE.finditer(view)]
    if "//" in view:  # a defanged scheme is followed by // as any other
        found += [
            (m.start(), m.end(), _SCHEME_NAMES.get(m.group(), "http"))
            for m in _SCHEME_DEFANG_RE.finditer(view)
        ]
        found += [(m.start(), m.end(), ":") for m in _COLON_DEFANG_RE.finditer(view)]
    if not found:
        return found
    found.sort()
    kept: list[tuple[int, int, str]] = []
    for edit in found:
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    return kept


def apply_edits(
    view: str, written: str, changes: Sequence[tuple[int, int, str]]
) -> tuple[str, str, list[int]]:
    """``view`` and ``written`` (of the same length) with ``changes`` made, and the offset in them of each
    character of the result."""
    views: list[str] = []
    writtens: list[str] = []
    index: list[int] = []
    at = 0
    for start, end, text in changes:
        views.append(view[at:start])
        writtens.append(written[at:start])
        index.extend(range(at, start))
        views.append(text)
        writtens.append(text)
        index.extend(min(start + k, end - 1) for k in range(len(text)))
        at = end
    views.append(view[at:])
    writtens.append(written[at:])
    index.extend(range(at, len(view)))
    return "".join(views), "".join(writtens), index


_TRAILING = ".,;:!?)'\"]}>`"
_SCHEME_NAME_RE = re.compile("(?:https?|ftps?|wss?)$")
_ADDRESS_RE = re.compile("[!-~]*")
# After a scheme, a host of any script ("http://中国移动/x", "https://例子.公司") holding a dot or followed
# by a path or a port, then what follows it in ASCII; else what follows the scheme in ASCII.
_SCHEME_HOST_RE = re.compile("[\\w-]+(?:\\.[\\w-]+)+[!-~]*|[\\w-]+[/:][!-~]*|[!-~]*")
_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz+.-")
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_BARE_IP_RE = re.compile(
    f"(?<![0-9a-z.:/@-]){_OCTET}(?:\\.{_OCTET}){{3}}(?::[0-9]{{1,5}}(?![0-9a-z.])(?:/[!-~]*)?|/[!-~]*)"
)
_IP_HINT_RE = re.compile("\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]")  # begins with a literal: a fast scan
_NETWORK_RE = re.compile("[0-9.]+/[0-9]{1,2}")  # 10.0.0.0/8: a network, not an address


def _trimmed(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


def scheme_addresses(view: str) -> list[tuple[int, int]]:
    """Spans of ``view`` holding a web scheme and what follows it in the same run of ASCII."""
    spans = []
    at = view.find("://")
    while at != -1:
        after = at + 3
        name = _SCHEME_NAME_RE.search(view, max(0, at - 5), at)
        if name is not None and (name.start() == 0 or view[name.start() - 1] not in _NAME_CHARS):
            tail = _SCHEME_HOST_RE.match(view, after)
            after = tail.end() if tail is not None else after
            end = _trimmed(view, name.start(), after)
            if end > at + 3:
                spans.append((name.start(), end))
        at = view.find("://", max(after, at + 3))  # an address holding another scheme is one address
    return spans


def bare_ip_addresses(view: str) -> list[tuple[int, int]]:
    """Spans of ``view`` holding an IPv4 address with a port or a path."""
    if _IP_HINT_RE.search(view) is None:
        return []
    spans = []
    for m in _BARE_IP_RE.finditer(view):
        end = _trimmed(view, m.start(), m.end())
        if end > m.start() and _NETWORK_RE.fullmatch(view, m.start(), end) is None and view[end - 1] != ".":
            spans.append((m.start(), end))
    return spans


@lru_cache(maxsize=1)
def idn_tlds() -> frozenset[str]:
    """IANA's internationalised top-level domains (中国, 公司, рф, 한국 …), decoded from the punycode forms in
    the extractor's copy of IANA's list (read from its package data; never fetched)."""
    listing = resources.files("urlextract").joinpath("data", "tlds-alpha-by-domain.txt").read_text("utf-8")
    tlds = set()
    for line in listing.splitlines():
        label = line.strip().lower()
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                tlds.add(label[4:].encode("ascii").decode("punycode"))
    return frozenset(tlds)


@lru_cache(maxsize=32)
def ascii_tld(length: int) -> str:
    """An ASCII top-level domain of ``length`` letters from IANA's list ("cn", "com", "info" …), or ""."""
    if length == 2:
        return "cn"
    listing = resources.files("urlextract").joinpath("data", "tlds-alpha-by-domain.txt").read_text("utf-8")
    return next(
        (w.lower() for w in sorted(listing.split()) if w.isalpha() and w.isascii() and len(w) == length), ""
    )


_IDN_DOT_RE = re.compile("\\.(?=[^\\x00-\\x7f])")  # a dot before a character that is not ASCII
_LIST_MARK_RE = re.compile("[ivx]{1,4}|[0-9a-z]")  # a.中国, ii.中国: a list item, not a host
# English abbreviations written with a full stop ("Apple Inc.中国区", "No.中国"): a word, not a host.
_ABBREVIATIONS = frozenset(
    [
        "no",
        "nos",
        "vol",
        "co",
        "ltd",
        "inc",
        "corp",
        "etc",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "jr",
        "fig",
        "figs",
        "vs",
        "ver",
        "dept",
        "univ",
        "approx",
        "ed",
        "eds",
        "pp",
        "tel",
    ]
)
_PUNYCODE_RE = re.compile("xn--(?<![0-9a-z.-]xn--)[0-9a-z-]+(?![0-9a-z.-])")
_LONGEST_HOST = 253


@lru_cache(maxsize=1)
def _idn_tld_lengths() -> dict[str, tuple[int, ...]]:
    """First character of an internationalised top-level domain → the lengths of those it begins, longest
    first (a dot before any other character is no host's, and is passed over at once)."""
    lengths: dict[str, set[int]] = {}
    for tld in idn_tlds():
        lengths.setdefault(tld[0], set()).add(len(tld))
    return {first: tuple(sorted(ns, reverse=True)) for first, ns in lengths.items()}


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _kind(ch: str) -> str:
    """ "a" for an ASCII letter or digit, "h" for a Han character, "o" for another letter, "" else."""
    if not ch.isalnum():
        return ""
    return "a" if ch.isascii() else "h" if _is_han(ch) else "o"


def idn_addresses(written: str) -> list[tuple[int, int]]:
    """Spans of ``written`` (the folded text) holding a host under an internationalised top-level domain,
    with no scheme ("evil.中国", "政务.公司/x", "пример.рф"), or a bare punycode name ("xn--fiqs8s")."""
    spans: list[tuple[int, int]] = []
    if "xn--" in written:
        spans += [m.span() for m in _PUNYCODE_RE.finditer(written)]
    if "." not in written:
        return spans
    tlds = idn_tlds()
    lengths = _idn_tld_lengths()
    walked = (-1, -1)  # (dot, where the walk back from it stopped): a chain of hosts is walked once
    for dot in _IDN_DOT_RE.finditer(written):
        at = dot.start()
        tld_end = next(
            (
                at + 1 + n
                for n in lengths.get(written[at + 1], ())
                if at + 1 + n <= len(written) and written[at + 1 : at + 1 + n] in tlds
            ),
            None,
        )
        if tld_end is None or at == 0:
            continue
        # The labels before the dot, each of one kind of character (ASCII, Han, other letters): "见evil.中国"
        # is evil.中国, "见www.例子.中国" www.例子.中国, "见пример.рф" пример.рф.
        start = at
        kind = ""
        while start > 0 and at - start < _LONGEST_HOST:
            ch = written[start - 1]
            if ch == ".":
                kind = ""
                if start - 1 == walked[0]:  # the last walk went back from this dot: go on where it stopped
                    start = max(walked[1], at - _LONGEST_HOST)
                    break
            elif ch != "-":
                this = _kind(ch)
                if not this or (kind and this != kind):
                    break
                kind = this
            start -= 1
        walked = (at, start)
        while start < at and not written[start].isalnum():
            start += 1  # a host begins with a letter or a digit
        label = written[max(start, written.rfind(".", start, at) + 1) : at]  # the last label
        after = written[tld_end] if tld_end < len(written) else ""
        if not label or (
            label.isascii()
            and (
                _LIST_MARK_RE.fullmatch(label) is not None
                or not any(c.isalpha() for c in label)
                or (label in _ABBREVIATIONS and start == at - len(label))
            )
        ):
            continue
        tld_is_han = _is_han(written[at + 1])
        if tld_is_han and (after.isalnum() or _is_han(after)) and "." not in written[start:at]:
            continue  # 任务.中国人民, GDP.中国经济: a full stop between clauses (not www.例子.中国网站)
        if not tld_is_han and after.isalnum():
            continue  # the TLD is the start of a longer word
        end = tld_end
        if after in ("/", ":"):
            tail = _ADDRESS_RE.match(written, end)
            end = _trimmed(written, start, tail.end() if tail is not None else end)
        spans.append((start, end))
    return spans
