"""Text normalisation for matching, keeping a map from every normalised character to the original text.

Three views of a text are built:

* ``original`` — what the author wrote; every finding's offsets refer to it;
* ``folded`` — traditional→simplified (OpenCC t2s), full-width ASCII→half-width, A–Z→a–z; used by the
  number, link and reprint detectors, which need separators and punctuation;
* ``text`` — ``folded`` with noise characters (spaces, every invisible character, decorative symbols) removed,
  so "赌 * 博网站" reads "赌博网站"; used by the lexicon automata.

Line breaks and sentence punctuation (，。、；：！？ brackets, quotes) are *not* noise: they stay as hard
boundaries so a term cannot be assembled from the end of one clause and the start of the next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import opencc

__all__ = ["INVISIBLE_CHARS", "NOISE_CHARS", "NormalizedText", "Normalizer", "fold"]


def _fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for cp in range(0xFF01, 0xFF5F):  # full-width ！..～ → ASCII ! .. ~
        table[cp] = cp - 0xFEE0
    for cp in range(0xFF21, 0xFF3B):  # full-width Ａ..Ｚ straight to a..z
        table[cp] = cp - 0xFEE0 + 0x20
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 0x20
    table[0x3000] = 0x20  # ideographic space
    return table


# Every mapping is one code point to one code point, so folding never moves an offset.
_FOLD = _fold_table()


_FOLDABLE_RE = re.compile("[A-Z\u3000\uff01-\uff5e]+")


def _fold_run(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD)


def fold(text: str) -> str:
    """Full-width ASCII forms to half-width and ASCII letters to lower case; length-preserving."""
    # str.translate walks a CJK text character by character in Python-level dict lookups; translating only
    # the (few, short) runs that need it is several times faster on Chinese prose.
    return _FOLDABLE_RE.sub(_fold_run, text)


# Every default-ignorable code point (Unicode's Default_Ignorable_Code_Point: zero-width characters, bidi
# controls, Hangul fillers, variation selectors, tags …). None shows, so "赌" + U+202C + "博" reads 赌博 on
# screen and must for every detector too. Regex class syntax.
INVISIBLE_CHARS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)

# Characters dropped before lexicon matching (as they appear after `fold`). Regex class syntax.
NOISE_CHARS = (
    " \t\u00a0\u1680\u2000-\u200a\u202f\u205f"  # spaces, but not line breaks
    + INVISIBLE_CHARS
    + r"*._\-|/\\~^+=#@&%$<>\[\]{}`"  # ASCII symbols used to split words
    + "\u00b7\u2022\u2027\u2219\u22c5\u30fb"  # middle dots
    "\u2010-\u2015\u2212\u301c"  # hyphens, dashes, wave dash
    "\u203b\u2600-\u26ff\u2700-\u27bf\u25a0-\u25ff"  # ※, stars, hearts, dingbats, geometric shapes
    "\U0001f000-\U0001faff"  # emoji
)
_NOISE_RE = re.compile(f"[{NOISE_CHARS}]")
_KEEP_RE = re.compile(f"[^{NOISE_CHARS}]+")


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
        simplified, t2s_index = self.to_simplified(text)
        folded = fold(simplified)
        if _NOISE_RE.search(folded) is None:
            return NormalizedText(text, folded, t2s_index, folded, t2s_index)
        pieces: list[str] = []
        index: list[int] = []
        for m in _KEEP_RE.finditer(folded):
            pieces.append(m.group())
            index.extend(t2s_index[m.start() : m.end()])
        return NormalizedText(text, folded, t2s_index, "".join(pieces), index)

    def key(self, term: str) -> str:
        """The matching key of a lexicon term: the ``text`` view of the term alone."""
        return self.normalize(term).text
