"""Text normalisation for matching, keeping a map from every normalised character to the original text.

Three views of a text are built:

* ``original`` — what the author wrote; every finding's offsets refer to it;
* ``folded`` — compatibility forms to the character they show (NFKC where it maps one character to one:
  full-width ASCII, Kangxi radicals, compatibility and enclosed ideographs, mathematical letters), then
  traditional→simplified (OpenCC t2s), A–Z→a–z; used by the number, link and reprint detectors, which need
  separators and punctuation;
* ``text`` — ``folded`` with letters of other scripts that look Latin (Cyrillic а, Greek ο) and accented Latin
  letters read as plain Latin, and noise characters (spaces, every invisible character, combining marks,
  decorative symbols) removed, so "赌 * 博网站" reads "赌博网站"; used by the lexicon automata.

Line breaks and sentence punctuation (，。、；：！？ brackets, quotes) are *not* noise: they stay as hard
boundaries so a term cannot be assembled from the end of one clause and the start of the next; except beside a
character that stands alone between marks or the text's edge ("法，轮，功", "法(轮)功", "台，独"), which no
clause of a sentence is. Spaces between two Latin words
of two or more letters stay a boundary too.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import opencc

__all__ = [
    "COMBINING_MARKS",
    "INVISIBLE_CHARS",
    "NOISE_CHARS",
    "NormalizedText",
    "Normalizer",
    "fold",
    "letter_key",
]


# Ranges holding every character whose compatibility form (NFKC) is one other character that a reader takes
# for it: Latin-1 and other letterlike forms (ª ² Ⅰ ① ⓥ), Kangxi radicals (⾦ for 金), enclosed ideographs
# (㊙ for 秘), compatibility ideographs, full- and half-width forms, mathematical letters and digits (𝐯 𝟏),
# squared letters. Scanned once at import (~30k code points, a few ms).
_NFKC_RANGES = (
    (0x00A0, 0x33FF),
    (0xF900, 0xFAFF),
    (0xFB00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
    (0x2F800, 0x2FA1F),
)


def _fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for first, last in _NFKC_RANGES:
        for cp in range(first, last + 1):
            if 0xAC00 <= cp <= 0xD7A3:
                continue  # Hangul syllables are their own NFKC form
            nfkc = unicodedata.normalize("NFKC", chr(cp))
            # One character to one character only, so folding never moves an offset; expansions
            # (㍻ → 平成, ⑩ → 10, ﬁ → fi) are left as written.
            if len(nfkc) == 1 and nfkc != chr(cp):
                table[cp] = ord(nfkc.lower()) if nfkc.isascii() else ord(nfkc)
    # Negative circled and negative squared letters (🅥, 🆅) have no NFKC form but show a letter all the same.
    for first in (0x1F150, 0x1F170):
        for i in range(26):
            table[first + i] = ord("a") + i
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 0x20
    return table


# Every mapping is one code point to one code point, so folding never moves an offset.
_FOLD = _fold_table()


def _char_class(code_points: Iterable[int]) -> str:
    """A regex character class body holding exactly ``code_points`` (as ranges)."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(code_points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )


# Runs of characters the table maps. Two patterns: a class of BMP characters only is a bitmap for the
# regex engine, as fast on Chinese prose as the few ranges it replaced; the astral ones (mathematical and
# enclosed letters, compatibility ideographs) are looked for only in a text that holds astral characters.
_FOLDABLE_RE = re.compile(f"[{_char_class(cp for cp in _FOLD if cp < 0x10000)}]+")
_ASTRAL_FOLDABLE_RE = re.compile(f"[{_char_class(cp for cp in _FOLD if cp >= 0x10000)}]+")


def _fold_run(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD)


def fold(text: str) -> str:
    """Compatibility forms (NFKC, one character to one: full-width ASCII, Kangxi radicals, compatibility
    ideographs, mathematical and enclosed letters …) to the character they show, ASCII letters to lower
    case; length-preserving."""
    # str.translate walks a CJK text character by character in Python-level dict lookups; translating only
    # the (few, short) runs that need it is several times faster on Chinese prose.
    folded = _FOLDABLE_RE.sub(_fold_run, text)
    if len(text.encode("utf-16-le")) != 2 * len(text):  # astral characters present (rare)
        folded = _ASTRAL_FOLDABLE_RE.sub(_fold_run, folded)
    return folded


def _look_alike_table() -> dict[int, int]:
    """Letters of other scripts a reader takes for a Latin letter (Cyrillic а, Greek ο …) and Latin letters
    with diacritics (á), to the plain Latin letter: for lexicon matching only, never for links (а in a host
    name is another host)."""
    # Cyrillic, Armenian and Greek letters, and the Latin letter each is read as
    others = "авеёзкмнорстухѕіїјԁԛԝһӏүոսօαβγεηικνορτυχωϲϳ"
    latins = "abee3kmhopctyxsiijdqwhlynuoabyenikvoptuxwcj"
    pairs = dict(zip(others, latins, strict=True))
    # Capitals, read by their own shape (Greek Ν is an N, not the v its small letter ν looks like)
    pairs.update(
        zip("АВЕЁЗКМНОРСТУХЅІЇЈԚԜҮΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ", "abee3kmhopctyxsiijqwyabezhikmnoptyxc", strict=True)
    )
    # Latin small capitals (ᴠᴘɴ), read as the letter they are
    pairs.update(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz", strict=True))
    table = {ord(k): ord(v) for k, v in pairs.items()}
    for cp in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0].lower()
        if base.isascii() and base.isalpha():
            table[cp] = ord(base)
    return table


_LOOK_ALIKE = _look_alike_table()
_LOOK_ALIKE_RANGES = "\u00c0-\u02af\u0370-\u058f\u1d00-\u1d2b\u1e00-\u1eff\ua730\ua731"
_LOOK_ALIKE_RE = re.compile(f"[{_LOOK_ALIKE_RANGES}]+")
_LOOK_ALIKE_HINT_RE = re.compile(f"[{_LOOK_ALIKE_RANGES}]")  # a single character: faster


def _look_alike_run(m: re.Match[str]) -> str:
    return m.group().translate(_LOOK_ALIKE)


def letter_key(ch: str) -> str:
    """How the lexicon matcher reads one character (folded, look-alike letters as Latin)."""
    return fold(ch).translate(_LOOK_ALIKE)


# Every default-ignorable code point (Unicode's Default_Ignorable_Code_Point: zero-width characters, bidi
# controls, Hangul fillers, variation selectors, tags …). None shows, so "赌" + U+202C + "博" reads 赌博 on
# screen and must for every detector too. Regex class syntax.
INVISIBLE_CHARS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)

# Combining marks (accents, underlines, enclosing circles, kana voicing marks) drawn on the character before
# them: "赌" + U+0301 still reads 赌. Regex class syntax.
COMBINING_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"

# Characters dropped before lexicon matching (as they appear after `fold`). Regex class syntax.
NOISE_CHARS = (
    " \t\u00a0\u1680\u2000-\u200a\u202f\u205f"  # spaces, but not line breaks
    + INVISIBLE_CHARS
    + COMBINING_MARKS
    + r"*._\-|/\\~^+=#@&%$<>\[\]{}`"  # ASCII symbols used to split words
    + "\u00b7\u2022\u2027\u2219\u22c5\u30fb"  # middle dots
    "\u2010-\u2015\u2212\u301c"  # hyphens, dashes, wave dash
    "\u203b\u2600-\u26ff\u2700-\u27bf\u25a0-\u25ff"  # ※, stars, hearts, dingbats, geometric shapes
    "\U0001f000-\U0001faff"  # emoji
)
_NOISE_RE = re.compile(f"[{NOISE_CHARS}]")
_KEEP_RE = re.compile(f"[^{NOISE_CHARS}]+")

# Punctuation between the characters of a term: a clause of one character is no Chinese sentence, so
# punctuation (full-width or ASCII, alike on both sides or not) beside a character that stands alone between
# punctuation or the text's edge is dropped: "法，轮，功", "法(轮)功", "法【轮】功", "台，独", "支持台，独",
# "台、独分子", "【赌】【博】【网】【站】" read whole, while "赌博，网站" and "平台，独立" (a clause ending
# and the next beginning, each side a word of two characters or more) keep the comma as a boundary.
_HAN_CLASS = "\u2e80-\u2fdf\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = f"[{_HAN_CLASS}]"
# Punctuation, symbols, spaces, line breaks and invisible characters of the BMP (a bitmap class, fast to
# scan for): a line break beside a single character too ("赌\n博\n网\n站", written one character a line).
_PUNCT = (
    "[\t\n\r !-/:-@\\[-`{-~\u00a0-\u00bf\u0300-\u036f\u2000-\u206f\u2190-\u2bff"
    "\u3000-\u3003\u3008-\u303f\u30fb\u3164\ufe00-\ufe6f\ufeff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]"
)
# A run of punctuation between two Han characters, either of which stands alone: not preceded (on the left)
# or followed (on the right) by another Han character. The pattern begins with the punctuation class, so the
# regex engine skips through prose in C; the lookbehinds after its first character see the Han before it.
# The run is taken whole (possessive): backtracking into it made a long run of brackets quadratic (a
# 100,000-character "((((…" took 90 s).
# The last item of an enumeration ("港、澳、台，独具特色") stands alone too, but the clause ends after it: a
# character after 、 followed by another mark (or before 、 after another mark) keeps its boundary.
_SINGLE_HAN_RE = re.compile(
    f"{_PUNCT}(?<={_HAN}.)(?:(?<!{_HAN}{_HAN}.)(?<!\u3001{_HAN}[^\u3001]){_PUNCT}*+(?={_HAN})"
    f"|{_PUNCT}*+(?:(?<=\u3001)(?={_HAN}(?!{_HAN}))|(?={_HAN}(?![\u3001{_HAN_CLASS}]))))",
    re.DOTALL,
)
# Spaces between two Latin words of two or more letters stay a boundary ("the cas ino" is not "casino"); a
# term spelt out letter by letter ("v p n") still reads whole.
# The run of spaces is taken whole, from its first space only: tried from every space of a long run, the
# pattern read the rest of the run each time (30,000 spaces took 8 s). It begins with the class (a fast scan).
_LATIN_SPACE_RE = re.compile(
    "[ \t\u00a0\u3000](?<![ \t\u00a0\u3000].)[ \t\u00a0\u3000]*+(?=[a-z0-9]{2})", re.DOTALL
)
_LATIN_PAIR_RE = re.compile("[a-z0-9]{2}")
_DROP = "\u2060"  # a noise character put in place of a dropped separator (same length)
_BOUNDARY = "\n"  # a hard boundary put in place of the spaces between two Latin words


def _separators(original: str) -> list[tuple[int, int]]:
    """Spans of ``original`` holding punctuation between the characters of one term (see above)."""
    return [m.span() for m in _SINGLE_HAN_RE.finditer(original)]


def _latin_spaces(source: str) -> list[tuple[int, int]]:
    """Spans of spaces between two Latin words of two or more letters or digits each."""
    return [
        (m.start(), m.end())
        for m in _LATIN_SPACE_RE.finditer(source)
        if m.start() >= 2 and _LATIN_PAIR_RE.match(source, m.start() - 2) is not None
    ]


class _RunIndex(Sequence[int]):
    """The offsets of the characters kept, as runs: character ``at[k] + i`` comes from ``offsets[k] + i`` (a
    list of one offset per character cost a Python call per run and the list's memory)."""

    __slots__ = ("_at", "_length", "_offsets")

    def __init__(self, at: list[int], offsets: list[int], length: int) -> None:
        self._at = at
        self._offsets = offsets
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> int: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[int]: ...

    def __getitem__(self, i: int | slice) -> int | Sequence[int]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._length))]
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(i)
        k = bisect.bisect_right(self._at, i) - 1
        return self._offsets[k] + i - self._at[k]


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The three views of one text and the maps back to ``original``."""

    original: str
    folded: str
    folded_index: Sequence[int]  # folded_index[i] = offset in original of folded[i]
    text: str
    index: Sequence[int]  # index[j] = offset in original of text[j]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of ``text[start:end]`` (noise inside the match is included)."""
        return self.index[start], self.index[end - 1] + 1

    def folded_span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of ``folded[start:end]``."""
        if end <= start:
            pos = self.folded_index[start] if start < len(self.folded_index) else len(self.original)
            return pos, pos
        return self.folded_index[start], self.folded_index[end - 1] + 1


class Normalizer:
    """Builds `NormalizedText`; one instance is safe to share between threads (it holds no mutable state)."""

    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")

    def to_simplified(self, text: str) -> tuple[str, Sequence[int]]:
        """Traditional→simplified with an index map to ``text``."""
        converted = str(self._t2s.convert(text))
        if len(converted) == len(text):
            # OpenCC's t2s tables map one character to one character, phrases included, so equal length
            # means position i still comes from position i. That holds for every text we have measured.
            return converted, range(len(text))
        # A phrase rule changed the length: convert character by character so each output character knows
        # its source, at the price of phrase context (rare, and only costs accuracy of the t2s choice).
        parts: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(text):
            out = str(self._t2s.convert(ch))
            parts.append(out)
            index.extend([i] * len(out))
        return "".join(parts), index

    def normalize(self, text: str) -> NormalizedText:
        """All three views of ``text``."""
        # Compatibility forms first: a compatibility ideograph of a traditional character is then converted.
        folded, t2s_index = self.to_simplified(fold(text))
        source = folded
        if _LOOK_ALIKE_HINT_RE.search(source) is not None:
            source = _LOOK_ALIKE_RE.sub(_look_alike_run, source)
        spans = _separators(text)
        latin_spaces = _latin_spaces(source)
        if spans or latin_spaces:
            chars = list(source)
            if isinstance(t2s_index, range):  # the usual case: position j of source is position j of text
                for start, end in spans:
                    chars[start:end] = _DROP * (end - start)
            elif spans:
                dropped = {i for start, end in spans for i in range(start, end)}
                for j, i in enumerate(t2s_index):
                    if i in dropped:
                        chars[j] = _DROP
            for start, end in latin_spaces:  # one boundary however many spaces: "free  vpn" is "free vpn"
                chars[start:end] = _BOUNDARY + _DROP * (end - start - 1)
            source = "".join(chars)
        if _NOISE_RE.search(source) is None:
            return NormalizedText(text, folded, t2s_index, source, t2s_index)
        pieces: list[str] = []
        if isinstance(t2s_index, range):  # the usual case: the index is one run of offsets per piece kept
            at: list[int] = []
            offsets: list[int] = []
            length = 0
            for m in _KEEP_RE.finditer(source):
                pieces.append(m.group())
                at.append(length)
                offsets.append(m.start())
                length += m.end() - m.start()
            return NormalizedText(text, folded, t2s_index, "".join(pieces), _RunIndex(at, offsets, length))
        index: list[int] = []
        for m in _KEEP_RE.finditer(source):
            pieces.append(m.group())
            index.extend(t2s_index[m.start() : m.end()])
        return NormalizedText(text, folded, t2s_index, "".join(pieces), index)

    def key(self, term: str) -> str:
        """The matching key of a lexicon term: the ``text`` view of the term alone."""
        return self.normalize(term).text
