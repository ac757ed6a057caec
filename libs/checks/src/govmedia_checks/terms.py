"""One Aho-Corasick automaton (``ahocorasick_rs``) over every lexicon phrase: sensitive, ad, opinion and topic
words and wrong forms.

A single pass over the normalised text finds all of them. The same automaton also holds *shield*
phrases: longer phrases in which a wrong form or a term is harmless. A match that lies inside a shield
registered for it is dropped. Shields come from a term's ``exceptions`` and, for wrong→right pairs, from
every right form that contains the wrong form (so "“两学一做”" protects the unquoted form it contains, and
"党的十八大以来" protects "十八大以来"), which is how a wrong form that is a substring of a correct longer
phrase is kept from firing without a rule written for each case.
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick_rs

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import (
    AdLexicon,
    Category,
    LexiconError,
    LexiconSet,
    OpinionLexicon,
    SensitiveLexicon,
    Severity,
)
from govmedia_checks.normalize import NormalizedText, Normalizer, letter_key

__all__ = ["TermMatcher"]

_CATEGORY_LABELS: dict[Category, str] = {
    Category.ILLEGAL: "违法违规内容 / illegal content",
    Category.SECURITY_STABILITY: "危害安全稳定 / security and stability",
    Category.SECRETS_PRIVACY: "涉密或隐私 / secrets or privacy",
    Category.ADS_LINKS: "商业广告 / commercial advertising",
    Category.PERSONAL_OPINION: "个人观点和情绪 / personal opinion or emotion",
    Category.SENSITIVE_TOPIC: "敏感话题 / sensitive topic",
}

_DEFAULT_SUGGESTIONS: dict[Category, str] = {
    Category.ILLEGAL: "删除该内容",
    Category.SECURITY_STABILITY: "删除或改写该内容",
    Category.SECRETS_PRIVACY: "删除涉密或隐私内容",
    Category.ADS_LINKS: "删除商业广告内容",
    Category.PERSONAL_OPINION: "改用客观、规范的表述",
}

TOPIC_SUGGESTION = "需经单位同意"

_KIND_WORDS = {"sensitive": "敏感词", "ad": "广告用语", "opinion": "个人观点或情绪化表述"}


@dataclass(frozen=True, slots=True)
class _Rule:
    """What a match of one lexicon phrase means."""

    rule_id: str
    category: Category
    severity: Severity
    message: str
    suggestion: str
    # ASCII words need word boundaries ("cpi" must not fire inside "cpia"); CJK has none.
    ascii_start: bool
    ascii_end: bool


@dataclass(frozen=True, slots=True)
class _Node:
    """Payload of one automaton key."""

    length: int
    rules: tuple[int, ...]  # rules whose pattern is this key
    shields: frozenset[int]  # rules this key protects when a match of theirs lies inside it


def _is_ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class TermMatcher:
    """Compiled lexicon phrases; immutable after construction, so `find` is safe from many threads."""

    def __init__(self, lexicons: LexiconSet, normalizer: Normalizer) -> None:
        self._rules: list[_Rule] = []
        patterns: dict[str, list[int]] = {}
        shields: dict[str, set[int]] = {}

        def add(key: str, rule: _Rule, exceptions: tuple[str, ...], where: str) -> int:
            rule_no = len(self._rules)
            self._rules.append(rule)
            patterns.setdefault(key, []).append(rule_no)
            for exc in exceptions:
                exc_key = normalizer.key(exc)
                if key not in exc_key or exc_key == key:
                    raise LexiconError(f"{where}: exception {exc!r} must contain the pattern and be longer")
                shields.setdefault(exc_key, set()).add(rule_no)
            return rule_no

        def key_of(pattern: str, where: str) -> tuple[str, bool, bool]:
            key = normalizer.key(pattern)
            if not key:
                raise LexiconError(f"{where}: {pattern!r} is empty after normalisation")
            return key, _is_ascii_word(key[0]), _is_ascii_word(key[-1])

        term_lexicons: tuple[tuple[str, SensitiveLexicon | AdLexicon | OpinionLexicon], ...] = (
            ("sensitive", lexicons.sensitive),
            ("ad", lexicons.ads),
            ("opinion", lexicons.opinions),
        )
        for prefix, sens in term_lexicons:
            for t in sens.entries:
                where = f"{sens.label} term {t.term!r}"
                key, start_edge, end_edge = key_of(t.term, where)
                label = _CATEGORY_LABELS[t.category]
                rule = _Rule(
                    rule_id=f"{prefix}:{t.term}",
                    category=t.category,
                    severity=t.severity,
                    message=f"{_KIND_WORDS[prefix]}（{label}）：{t.term}" + (f"。{t.note}" if t.note else ""),
                    suggestion=t.suggestion or _DEFAULT_SUGGESTIONS.get(t.category, "删除或改写该内容"),
                    ascii_start=start_edge,
                    ascii_end=end_edge,
                )
                add(key, rule, t.exceptions, where)

        topics = lexicons.topics
        for tt in topics.entries:
            where = f"{topics.label} term {tt.term!r}"
            key, start_edge, end_edge = key_of(tt.term, where)
            rule = _Rule(
                rule_id=f"topic:{tt.term}",
                category=Category.SENSITIVE_TOPIC,
                severity=Severity.WARN,
                message=f"敏感话题（{tt.topic.value}）：{tt.term}，发布需经单位同意 / sensitive topic, "
                "publish only with the unit's consent" + (f"。{tt.note}" if tt.note else ""),
                suggestion=TOPIC_SUGGESTION,
                ascii_start=start_edge,
                ascii_end=end_edge,
            )
            add(key, rule, tt.exceptions, where)

        expr = lexicons.expressions
        pair_rules: list[tuple[str, int]] = []
        right_keys: set[str] = set()
        for p in expr.entries:
            where = f"{expr.label} pair {p.wrong!r}→{p.right!r}"
            key, start_edge, end_edge = key_of(p.wrong, where)
            right_key = normalizer.key(p.right)
            if key == right_key:
                raise LexiconError(f"{where}: wrong and right forms are equal after normalisation")
            kind = "严重表述错误 / serious expression error" if p.serious else "一般表述错误 / typo"
            rule = _Rule(
                rule_id=f"expression:{p.wrong}",
                category=p.category,
                severity=p.severity,
                message=f"{kind}：“{p.wrong}”应为“{p.right}”" + (f"。{p.note}" if p.note else ""),
                suggestion=p.right,
                ascii_start=start_edge,
                ascii_end=end_edge,
            )
            pair_rules.append((key, add(key, rule, p.exceptions, where)))
            right_keys.add(right_key)

        # Any right form that contains a wrong form (of its own pair or another) shields that wrong form.
        for right_key in right_keys:
            for wrong_key, rule_no in pair_rules:
                if wrong_key in right_key and wrong_key != right_key:
                    shields.setdefault(right_key, set()).add(rule_no)

        self._shielded = frozenset(r for rs in shields.values() for r in rs)
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        keys = sorted(set(patterns) | set(shields))
        self._nodes = [
            _Node(length=len(k), rules=tuple(patterns.get(k, ())), shields=frozenset(shields.get(k, ())))
            for k in keys
        ]
        if keys:
            self._automaton = ahocorasick_rs.AhoCorasick(keys)

    @property
    def rule_count(self) -> int:
        """Number of lexicon phrases compiled (terms, topic words and wrong forms)."""
        return len(self._rules)

    def find(self, norm: NormalizedText, field: Field) -> list[Finding]:
        """All lexicon findings in one normalised text."""
        if self._automaton is None or not norm.text:
            return []
        hits: list[tuple[int, int, int]] = []  # (start, end, rule) in normalised offsets
        shield_spans: list[tuple[int, int, frozenset[int]]] = []
        nodes = self._nodes
        for pattern, start, end in self._automaton.find_matches_as_indexes(norm.text, overlapping=True):
            node = nodes[pattern]
            for rule_no in node.rules:
                hits.append((start, end, rule_no))
            if node.shields:
                shield_spans.append((start, end, node.shields))
        if not hits:
            return []

        kept: list[tuple[int, int, int]] = []
        for start, end, rule_no in hits:
            if rule_no in self._shielded and any(
                s <= start and end <= e and rule_no in protected for s, e, protected in shield_spans
            ):
                continue
            rule = self._rules[rule_no]
            if (rule.ascii_start or rule.ascii_end) and not self._on_word_boundary(norm, start, end, rule):
                continue
            kept.append((start, end, rule_no))

        # Within one category, a match inside a longer match says the same thing twice: keep the longer.
        kept.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        findings: list[Finding] = []
        covering: dict[Category, list[tuple[int, int]]] = {}
        for start, end, rule_no in kept:
            rule = self._rules[rule_no]
            spans = covering.setdefault(rule.category, [])
            if any(s <= start and end <= e for s, e in spans):
                continue
            spans.append((start, end))
            o_start, o_end = norm.span(start, end)
            findings.append(
                Finding(
                    category=rule.category,
                    severity=rule.severity,
                    start=o_start,
                    end=o_end,
                    excerpt=norm.original[o_start:o_end],
                    message=rule.message,
                    suggestion=rule.suggestion,
                    rule_id=rule.rule_id,
                    field=field,
                )
            )
        return findings

    @staticmethod
    def _on_word_boundary(norm: NormalizedText, start: int, end: int, rule: _Rule) -> bool:
        # Judged on the original text: noise removal glues "my vpn" into "myvpn", which is no evidence.
        o_start, o_end = norm.span(start, end)
        original = norm.original
        if rule.ascii_start and o_start > 0 and _is_ascii_word(letter_key(original[o_start - 1])):
            return False
        return not (rule.ascii_end and o_end < len(original) and _is_ascii_word(letter_key(original[o_end])))
