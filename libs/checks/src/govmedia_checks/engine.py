"""The machine check (风险识别): one entry point over all detectors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from govmedia_checks.contacts import find_private_accounts
from govmedia_checks.findings import CheckResult, Field, Finding
from govmedia_checks.lexicon import Category, LexiconSet
from govmedia_checks.links import LinkChecker, find_links
from govmedia_checks.normalize import NormalizedText, Normalizer
from govmedia_checks.personal_data import find_personal_numbers
from govmedia_checks.protected import NearMissMatcher
from govmedia_checks.reprint import ReprintChecker
from govmedia_checks.terms import TermMatcher

__all__ = ["CheckEngine"]


@dataclass(frozen=True, slots=True)
class _Compiled:
    normalizer: Normalizer
    terms: TermMatcher
    protected: NearMissMatcher
    links: LinkChecker
    reprint: ReprintChecker
    versions: dict[str, str]


@lru_cache(maxsize=4)
def _compile(lexicons: LexiconSet) -> _Compiled:
    # Keyed by the lexicons' content (the set is a frozen, hashable value), not by their version labels:
    # an administrator who edits a lexicon without bumping its version still gets the edited automaton.
    normalizer = Normalizer()
    links = LinkChecker(lexicons.link_domains)
    return _Compiled(
        normalizer=normalizer,
        terms=TermMatcher(lexicons, normalizer),
        protected=NearMissMatcher(lexicons, normalizer),
        links=links,
        reprint=ReprintChecker(lexicons.reprint_sources, links, normalizer),
        versions=lexicons.versions(),
    )


class CheckEngine:
    """Checks posts against one lexicon set.

    Construction compiles the automata (cached per lexicon content, so building a second engine for the
    same lexicons is cheap); `check` only reads them, so one engine may serve many threads at once.
    """

    def __init__(self, lexicons: LexiconSet) -> None:
        self._lexicons = lexicons
        self._compiled = _compile(lexicons)

    @property
    def lexicons(self) -> LexiconSet:
        """The lexicons this engine checks with."""
        return self._lexicons

    @property
    def lexicon_versions(self) -> dict[str, str]:
        """Kind → ``name@version`` of every lexicon in use."""
        return dict(self._compiled.versions)

    @property
    def protected_form_count(self) -> int:
        """Number of protected formulations and leaders' names whose near misses are looked for."""
        return self._compiled.protected.form_count

    @property
    def pattern_count(self) -> int:
        """Number of lexicon phrases in the automaton (terms, topic words and wrong forms)."""
        return self._compiled.terms.rule_count

    def check(
        self,
        text: str,
        *,
        title: str = "",
        is_reprint: bool = False,
        source: str | None = None,
    ) -> CheckResult:
        """Check a post's body and title; ``source`` is the declared origin of a repost, if any."""
        c = self._compiled
        findings: list[Finding] = []
        views: list[tuple[Field, NormalizedText]] = []
        fields: tuple[tuple[Field, str], ...] = (("title", title), ("body", text))
        for field, value in fields:
            if not value:
                continue
            norm = c.normalizer.normalize(value)
            views.append((field, norm))
            findings.extend(self._check_view(norm, field))
        findings.extend(c.reprint.check(views, is_reprint=is_reprint, source=source))
        findings.sort(key=Finding.sort_key)
        return CheckResult(findings=findings, lexicon_versions=dict(c.versions))

    def _check_view(self, norm: NormalizedText, field: Field) -> list[Finding]:
        c = self._compiled
        links = find_links(norm.folded, norm.original)
        findings = c.terms.find(norm, field)
        serious = [(f.start, f.end) for f in findings if f.category is Category.SERIOUS_EXPRESSION_ERROR]
        # A wrong form the expression lexicon names already says the same as a near miss on that span.
        findings.extend(
            f for f in c.protected.find(norm, field) if not any(s < f.end and f.start < e for s, e in serious)
        )
        # Digits inside a URL are page ids, not phone or card numbers; a bad URL is reported as a link.
        findings.extend(find_personal_numbers(norm, field, skip=[(lk.start, lk.end) for lk in links]))
        findings.extend(c.links.find(norm, field, links))
        # A solicitation the ad lexicon names already is not said twice.
        ads = [(f.start, f.end) for f in findings if f.category is Category.ADS_LINKS]
        accounts = find_private_accounts(norm, field)
        findings.extend(f for f in accounts if not any(s < f.end and f.start < e for s, e in ads))
        return findings
