"""Addresses written around the link extractor, and the forms it does not look for.

* Defanged and spaced dots: ``evil[.]com``, ``evil(.)com``, ``evil{dot}com``, ``evil [ . ] com``,
  ``www . baidu . com``, ``www .baidu .com``, ``baidu 。 com``, ``baidu 点 com`` read as one dot when a letter
  follows. A space only *after* a dot is left alone ("Word. App" is two English sentences), and so is a 。
  with a space on one side only ("见https://x.gov.cn 。2026年" ends a sentence).
* Defanged schemes: ``hxxp://``, ``hXXps://``, ``h**p://``, ``fxp://``, ``http[:]//`` read as the scheme.
* Any host after a web scheme is an address, whatever it looks like: an IP literal (``http://1.2.3.4/``,
  ``http://[::1]/``), a hex, octal or decimal IP (``http://0x7f000001/``, ``http://2130706433/``), a name
  without a top-level domain (``http://localhost/``); the extractor wants a known top-level domain.
* A bare IPv4 address with a port or a path (``1.2.3.4:8080/a``, ``192.168.1.1/login``); a bare one is a
  section or version number (第3.1.2.1条), a network (10.0.0.0/8) is no address either.

`edits` finds the rewrites on the link view; `apply_edits` applies them to the view and to the text as
written, keeping for every character the offset it comes from, so a finding still points at the original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["apply_edits", "bare_ip_addresses", "edits", "may_hold_dots", "scheme_addresses"]

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
    f"|\\.{_GAP}*+(?=[a-z])|[\\u3002\\u70b9]{_GAP}++(?=[a-z])))"
)
# Both begin with a character or a class, as _DEFANG_RE does.
_SCHEME_DEFANG_RE = re.compile(
    "[hf](?<![0-9a-z][hf])(?:(?<=h)(?:xx|\\*\\*|__)p|(?<=f)xp)(?=s?(?:\\[:\\]|:)//)"
)
_COLON_DEFANG_RE = re.compile("\\[(?<=[a-z]\\[):\\](?=//)")
_SCHEME_NAMES = {"fxp": "ftp"}


_IDEOGRAPHIC_DOT_RE = re.compile("[0-9a-z][ \\t\\u00a0\\u3000\\[({<]*+[\\u3002\\u70b9]")


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
            tail = _ADDRESS_RE.match(view, after)
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
