"""Near misses of protected formulations and leaders' names (严重表述错误 as one-character slips).

A protected form is a canonical fixed formulation, organ name or leader's name. Real serious expression
errors are one-character slips of such forms, so the check flags any text one edit away from a protected form:

* ``substitution`` of one character by a homophone (same syllable, tones ignored, with the common fuzzy pairs
  an input method confuses: z/zh, c/ch, s/sh, n/l, in/ing, en/eng, an/ang) or a similar-looking character
  (the small table in ``data/confusables.json``); in long forms by any character;
* ``deletion`` of an inner character, ``insertion`` of a character inside the form;
* ``transposition`` of two adjacent characters.

How it stays fast: every edit that can be enumerated (deletions, transpositions, homophone and look-alike
substitutions: a few dozen strings per form) is compiled, with the canonical forms themselves, into one
Aho-Corasick automaton, so a post is scanned once in C. Edits that cannot be enumerated (any inserted
character, any substituted character) are found SymSpell-style from the other side: the form is cut into two
pieces so that one edit leaves at least one piece intact; the pieces are in the same automaton, and each piece
found is verified against the form around it (a few character comparisons).

What keeps it quiet on correct text:

* the exact canonical text never fires, and a candidate sharing characters with an exact occurrence of any
  protected form is dropped (the 国国务院办公厅 of 中华人民共和国国务院办公厅 is no slip of anything);
* edits are counted on Chinese characters only: a quotation mark or a space inside a form
  (“三个代表”重要思想) is punctuation, not an inserted character;
* numerals are never substituted (``二十届三中全会`` vs ``二十届四中全会`` is another meeting), nor, freely,
  the characters naming a level of government (全国人大常委会 / 全区人大常委会); an inserted particle
  (高质量的发展) is wording, not a slip; a first or last character replaced by one of the most frequent
  characters is usually the text going on (生态环境部 / 生态环境不断改善) and is not looked for;
* each edit kind has a minimum form length (`NearMissPolicy`, set with the province's protected list):
  a two-character remainder of a three-character name is no evidence of anything;
* an entry's ``variants`` (an official short form, an older name still in use) never fire.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Literal

import ahocorasick_rs

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, LexiconError, LexiconSet, NearMissPolicy, Severity
from govmedia_checks.normalize import NormalizedText, Normalizer

__all__ = ["NearMissMatcher", "similar_characters"]

Edit = Literal["substitution", "homophone", "lookalike", "deletion", "insertion", "transposition"]

_EDIT_LABELS: dict[str, str] = {
    "homophone": "同音或近音字",
    "lookalike": "形近字",
    "substitution": "错字",
    "deletion": "漏字",
    "insertion": "多字",
    "transposition": "字序颠倒",
}

_NUMERALS = frozenset("〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟")
# Characters that name a level of government: 全国人大常委会 and 全区人大常委会 are both right.
_LEVELS = frozenset("国中央省市县区镇乡州村")
# Grammatical particles: 高质量的发展 is wording, not a slip of 高质量发展.
_PARTICLES = frozenset("的地得之和与及并等了着过也都而或")
# The most frequent characters of Chinese text. A form's first or last character replaced by one of them is
# usually the text going on (生态环境部 / 生态环境不断改善), not a slip, so that edit is not looked for.
_FREQUENT = frozenset(
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用"
    "道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小其些主样理心她本前开但因只从想实日者意无"
    "力它与长把机第公此已工使情明性知全又关点正业外将高间由问很最重并物手应向头文体美相见被利什等产或新己制身"
    "果加月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比解水名真论处走义各入口认条平系气题活更"
    "别打女变神总何电数安少报才结反受目太量再感建务做接必场件计管期直德资命山金指许统保至队形社便空决治展科"
)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


# --- similar characters ------------------------------------------------------------------------------

_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _fuzzy(syllable: str) -> str:
    """Collapse the pairs an input method confuses: zh/z, ch/c, sh/s, l/n, ing/in, eng/en, ang/an."""
    for a, b in _FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    for a, b in _FUZZY_FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


def _is_common(ch: str) -> bool:
    # GB 2312 level-1 characters (3,755, rows 0xB0–0xD7): what an input method offers first, so what a slip
    # most often produces. Rarer characters are still caught in long forms as any substitution.
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def _toneless(reading: str) -> str:
    """``zhōng`` → ``zhong``; ``lǜ`` → ``lv``."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _readings(ch: str) -> frozenset[str]:
    from pypinyin.pinyin_dict import pinyin_dict  # the bare character dictionary: no phrase model to load

    raw = pinyin_dict.get(ord(ch))
    if not raw:
        return frozenset()
    return frozenset(_fuzzy(_toneless(r)) for r in str(raw).split(","))


@lru_cache(maxsize=1)
def _sound_tables() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(character → fuzzy syllables, fuzzy syllable → common characters), from pypinyin's dictionary."""
    by_sound: dict[str, set[str]] = {}
    sounds_of: dict[str, frozenset[str]] = {}
    for cp in range(0x4E00, 0x9FA6):
        ch = chr(cp)
        if not _is_common(ch):
            continue
        sounds = _readings(ch)
        sounds_of[ch] = sounds
        for s in sounds:
            by_sound.setdefault(s, set()).add(ch)
    return sounds_of, {s: frozenset(chars) for s, chars in by_sound.items()}


def _sounds(ch: str) -> frozenset[str]:
    sounds_of, _ = _sound_tables()
    found = sounds_of.get(ch)
    return found if found is not None else _readings(ch)


@lru_cache(maxsize=1)
def _lookalike_groups() -> dict[str, frozenset[str]]:
    raw = json.loads(
        resources.files("govmedia_checks").joinpath("data", "confusables.json").read_text("utf-8")
    )
    groups: dict[str, set[str]] = {}
    for group in raw["groups"]:
        chars = [ch for ch in group if not ch.isspace()]
        for ch in chars:
            groups.setdefault(ch, set()).update(c for c in chars if c != ch)
    return {ch: frozenset(others) for ch, others in groups.items()}


@lru_cache(maxsize=8192)
def similar_characters(ch: str) -> dict[str, Edit]:
    """Characters a slip may put in place of ``ch``: common homophones and look-alikes (not ``ch`` itself)."""
    out: dict[str, Edit] = {}
    _, by_sound = _sound_tables()
    for s in _sounds(ch):
        for other in by_sound.get(s, ()):
            if other != ch:
                out[other] = "homophone"
    for other in _lookalike_groups().get(ch, ()):
        out.setdefault(other, "lookalike")
    return out


# --- compiled forms ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Form:
    text: str  # the matching key (normalised canonical text)
    canonical: str  # as written in the lexicon: the suggestion
    rule_id: str
    label: str  # what it is, for the message
    variants: frozenset[str]
    is_name: bool
    # A name followed by its title (张军区长): the title is context that makes even a two-character name
    # safe to check for a replaced or swapped character; drops and insertions stay with the bare name.
    titled: bool = False


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int  # in normalised text offsets
    end: int
    form: _Form
    edit: Edit


def _min_length(policy: NearMissPolicy, form: _Form, edit: str) -> int:
    if form.titled and edit in ("deletion", "insertion", "any"):
        return 10_000
    if form.is_name:
        return {
            "similar": policy.name_similar_substitution,
            "any": 10_000,  # a name has no inner position long enough to guess a free substitution
            "deletion": policy.name_deletion,
            "insertion": policy.name_insertion,
            "transposition": policy.name_transposition,
        }[edit]
    return {
        "similar": policy.similar_substitution,
        "any": policy.any_substitution,
        "deletion": policy.deletion,
        "insertion": policy.insertion,
        "transposition": policy.transposition,
    }[edit]


def _slips(policy: NearMissPolicy, form: _Form) -> Iterable[tuple[str, Edit]]:
    """Every enumerable one-edit slip of a form: deletions, transpositions, similar substitutions."""
    c = form.text
    n = len(c)
    if n >= _min_length(policy, form, "deletion"):
        for i in range(1, n - 1):
            if _is_cjk(c[i]):
                yield c[:i] + c[i + 1 :], "deletion"
    if n >= _min_length(policy, form, "transposition"):
        for i in range(n - 1):
            if c[i] != c[i + 1] and _is_cjk(c[i]) and _is_cjk(c[i + 1]):
                yield c[:i] + c[i + 1] + c[i] + c[i + 2 :], "transposition"
    if n >= _min_length(policy, form, "similar"):
        for i, ch in enumerate(c):
            if not _is_cjk(ch) or ch in _NUMERALS:
                continue
            boundary = i == 0 or i == n - 1
            for other, edit in similar_characters(ch).items():
                if other in _NUMERALS or (boundary and other in _FREQUENT):
                    continue
                yield c[:i] + other + c[i + 1 :], edit


def _anchors(policy: NearMissPolicy, form: _Form) -> list[tuple[str, bool]]:
    """Pieces of which one survives any single inserted or (freely) substituted character."""
    c = form.text
    n = len(c)
    if n >= _min_length(policy, form, "any") or (n >= 6 and n >= _min_length(policy, form, "insertion")):
        h = n // 2  # halves: an edit at or after h leaves c[:h], one before h leaves c[h:]
        return [(c[:h], True), (c[h:], False)]
    if n >= _min_length(policy, form, "insertion"):
        # Overlapping pieces: an insertion at k ≥ ceil(n/2) keeps the first, at k ≤ n//2 the second.
        return [(c[: (n + 1) // 2], True), (c[n // 2 :], False)]
    return []


# (form, the piece is the form's prefix, look for a free substitution, look for an insertion)
_Anchor = tuple[_Form, bool, bool, bool]
_Payload = tuple[tuple[_Form, ...], tuple[tuple[_Form, Edit], ...], tuple[_Anchor, ...]]


class _FormIndex:
    """One automaton over a list of forms: their exact keys, enumerated slips and anchor pieces."""

    def __init__(self, forms: tuple[_Form, ...], policy: NearMissPolicy) -> None:
        exact: dict[str, list[_Form]] = {}
        slips: dict[str, list[tuple[_Form, Edit]]] = {}
        anchors: dict[str, list[_Anchor]] = {}
        canonical_keys = {f.text for f in forms}
        for form in forms:
            exact.setdefault(form.text, []).append(form)
            for variant in form.variants:
                exact.setdefault(variant, []).append(form)  # a legitimate variant shields like the form
        for form in forms:
            taken: set[str] = set()
            for slip, edit in _slips(policy, form):
                if slip in canonical_keys or slip in form.variants or slip in taken:
                    continue
                taken.add(slip)
                slips.setdefault(slip, []).append((form, edit))
            n = len(form.text)
            free_sub = n >= _min_length(policy, form, "any")
            insertion = n >= _min_length(policy, form, "insertion")
            for piece, is_prefix in _anchors(policy, form):
                anchors.setdefault(piece, []).append((form, is_prefix, free_sub, insertion))
        # Most keys are the slip of one form: their payload is that (form, edit) pair itself, which saves a
        # few dozen MB over a full (exact, slips, anchors) triple for every one of ~160k keys.
        payloads: dict[str, _Payload | tuple[_Form, Edit]] = {
            k: v[0] if len(v) == 1 else ((), tuple(v), ()) for k, v in slips.items()
        }
        for k in exact.keys() | anchors.keys():
            payloads[k] = (tuple(exact.get(k, ())), tuple(slips.get(k, ())), tuple(anchors.get(k, ())))
        keys = list(payloads)
        self._payloads = list(payloads.values())
        # ahocorasick_rs (Rust): tens of thousands of Chinese patterns with a wide first-character fan-out
        # scan at ~35 µs per 1,000 characters, where a per-node child list would be an order slower.
        self._automaton = ahocorasick_rs.AhoCorasick(keys) if keys else None

    def scan(self, text: str, exact: list[tuple[int, int]], candidates: list[_Candidate]) -> None:
        """Add the exact occurrences and slip candidates found in ``text``."""
        if self._automaton is None:
            return
        for pattern, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            payload = self._payloads[pattern]
            if len(payload) == 2:  # the slip of one form
                candidates.append(_Candidate(start, end, payload[0], payload[1]))
                continue
            forms, slips, anchors = payload
            if forms:
                exact.append((start, end))
            for form, edit in slips:
                candidates.append(_Candidate(start, end, form, edit))
            for anchor in anchors:
                found = self._verify(text, anchor, start, end)
                if found is not None:
                    candidates.append(found)

    @staticmethod
    def _verify(text: str, anchor: _Anchor, start: int, end: int) -> _Candidate | None:
        """An inserted or freely substituted character next to a piece found at [start, end)."""
        form, is_prefix, free_sub, insertion = anchor
        c = form.text
        n = len(c)
        size_text = len(text)
        if free_sub:
            ws = start if is_prefix else end - n
            # The far end of the form must be intact (only inner characters are substituted freely): this
            # one comparison turns away almost every piece that is just part of ordinary text.
            if ws >= 0 and ws + n <= size_text and text[ws + n - 1] == c[n - 1] and text[ws] == c[0]:
                w = text[ws : ws + n]
                diff = -1
                for i in range(1, n - 1):
                    if w[i] != c[i]:
                        if diff != -1:
                            diff = -2
                            break
                        diff = i
                if diff > 0:
                    a, b = w[diff], c[diff]
                    if (
                        _is_cjk(a)
                        and _is_cjk(b)
                        and a not in _NUMERALS
                        and b not in _NUMERALS
                        and a not in _LEVELS
                        and b not in _LEVELS
                    ):
                        return _Candidate(ws, ws + n, form, similar_characters(b).get(a, "substitution"))
        if insertion:
            ws = start if is_prefix else end - n - 1
            if ws >= 0 and ws + n + 1 <= size_text and text[ws + n] == c[n - 1] and text[ws] == c[0]:
                w = text[ws : ws + n + 1]
                k = 0
                while k < n and w[k] == c[k]:
                    k += 1
                if 1 <= k <= n - 1 and w[k + 1 :] == c[k:] and _is_cjk(w[k]) and w[k] not in _PARTICLES:
                    return _Candidate(ws, ws + n + 1, form, "insertion")
        return None


@lru_cache(maxsize=8)
def _form_index(forms: tuple[_Form, ...], policy: NearMissPolicy) -> _FormIndex:
    # Shared by content: every region's engine reuses the province's compiled formulations (~1 s to build),
    # and only its own short list of leaders' names is compiled per region.
    return _FormIndex(forms, policy)


class NearMissMatcher:
    """Protected forms and their one-edit slips, compiled; immutable after construction, thread-safe."""

    def __init__(
        self, lexicons: LexiconSet, normalizer: Normalizer, policy: NearMissPolicy | None = None
    ) -> None:
        policy = policy or lexicons.protected.policy
        seen: set[str] = set()
        protected = lexicons.protected
        # The province's (or default) list and a lower office's additions compile apart: every region then
        # shares the big automaton of the base (~160k slips) and compiles only its own few forms.
        split = protected.base_entries if protected.base_entries is not None else len(protected.entries)
        base: list[_Form] = []
        added: list[_Form] = []
        for i, p in enumerate(protected.entries):
            form = _make_form(
                normalizer, p.text, f"protected:{p.text}", p.note or "规范表述", p.variants, is_name=False
            )
            if form.text not in seen:  # the same form twice (a province's and a city's list): one rule
                seen.add(form.text)
                (base if i < split else added).append(form)
        for n in lexicons.leaders.entries:
            label = "领导姓名" + (f"（{n.title}）" if n.title else "")
            forms = [_make_form(normalizer, n.name, f"leader:{n.name}", label, (), is_name=True)]
            if n.title:
                titled = _make_form(normalizer, n.name + n.title, f"leader:{n.name}", label, (), is_name=True)
                forms.append(replace(titled, titled=True))
            for form in forms:
                if form.text not in seen:
                    seen.add(form.text)
                    added.append(form)
        self._count = len(base) + len(added)
        self._indexes = tuple(_form_index(tuple(forms), policy) for forms in (base, added) if forms)

    @property
    def form_count(self) -> int:
        """Number of protected forms compiled (formulations and names)."""
        return self._count

    def find(self, norm: NormalizedText, field: Field) -> list[Finding]:
        """Serious-error findings for the slips of protected forms in one normalised text."""
        if not self._indexes or not norm.text:
            return []
        exact: list[tuple[int, int]] = []
        candidates: list[_Candidate] = []
        for index in self._indexes:
            index.scan(norm.text, exact, candidates)
        if not candidates:
            return []
        return _findings(norm, field, candidates, exact)


def _make_form(
    normalizer: Normalizer,
    canonical: str,
    rule_id: str,
    label: str,
    variants: Iterable[str],
    *,
    is_name: bool,
) -> _Form:
    key = normalizer.key(canonical)
    if not key:
        raise LexiconError(f"{rule_id}: empty after normalisation")
    return _Form(
        text=key,
        canonical=canonical,
        rule_id=rule_id,
        label=label,
        variants=frozenset(normalizer.key(v) for v in variants),
        is_name=is_name,
    )


def _findings(
    norm: NormalizedText, field: Field, candidates: list[_Candidate], exact: list[tuple[int, int]]
) -> list[Finding]:
    text = norm.text
    kept: list[_Candidate] = []
    for cand in candidates:
        if any(s < cand.end and cand.start < e for s, e in exact):
            # It shares characters with a correct protected form (or a listed variant): 中国共产党 inside
            # 中国共产党员, or 国国务院办公厅 in 中华人民共和国国务院办公厅, is the right text, not a slip.
            continue
        if text[cand.start : cand.end] in cand.form.variants:
            continue
        kept.append(cand)
    # One finding per place: the longest slip wins (it names the most specific form), then the earliest.
    kept.sort(key=lambda c: (c.start, -(c.end - c.start), -len(c.form.text)))
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for cand in kept:
        if any(cand.start < e and s < cand.end for s, e in taken):
            continue
        taken.append((cand.start, cand.end))
        form = cand.form
        o_start, o_end = norm.span(cand.start, cand.end)
        excerpt = norm.original[o_start:o_end]
        findings.append(
            Finding(
                category=Category.SERIOUS_EXPRESSION_ERROR,
                severity=Severity.BLOCK,
                start=o_start,
                end=o_end,
                excerpt=excerpt,
                message=(
                    f"严重表述错误（{form.label}，{_EDIT_LABELS[cand.edit]}）：“{excerpt}”应为“{form.canonical}”"
                    " / serious expression error: a one-character slip of a protected form"
                ),
                suggestion=form.canonical,
                rule_id=form.rule_id,
                field=field,
            )
        )
    return findings
