"""Versioned lexicons for the machine check: plain data, loaded from and saved to JSON dicts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, ClassVar

from govmedia_checks.lexicon_base import (
    PROHIBITION_CATEGORIES,
    AllowedDomain,
    AllowedSource,
    Category,
    ExpressionPair,
    LeaderName,
    LexiconError,
    NearMissPolicy,
    ProtectedForm,
    ProtectedKind,
    SensitiveTerm,
    Severity,
    SourceMatch,
    Topic,
    TopicTerm,
    _check_keys,
    _drop_defaults,
    _enum,
    _Lexicon,
    _require_str,
    _require_text,
    _strings,
)

__all__ = [
    "ADDITIVE_KINDS",
    "PROHIBITION_CATEGORIES",
    "AdLexicon",
    "AllowedDomain",
    "AllowedSource",
    "Category",
    "DomainAllowlist",
    "ExpressionLexicon",
    "ExpressionPair",
    "LeaderLexicon",
    "LeaderName",
    "LexiconError",
    "LexiconSet",
    "NearMissPolicy",
    "OpinionLexicon",
    "ProtectedForm",
    "ProtectedKind",
    "ProtectedLexicon",
    "SensitiveLexicon",
    "SensitiveTerm",
    "Severity",
    "SourceAllowlist",
    "SourceMatch",
    "Topic",
    "TopicLexicon",
    "TopicTerm",
    "load_starter_lexicons",
]


@dataclass(frozen=True, slots=True)
class SensitiveLexicon(_Lexicon[SensitiveTerm]):
    """Sensitive words under the six prohibitions."""

    KIND: ClassVar[str] = "sensitive_terms"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> SensitiveTerm:
        _check_keys(data, {"term", "category", "severity", "note", "suggestion", "exceptions"}, where)
        category = _enum(Category, data, "category", where)
        if category not in PROHIBITION_CATEGORIES:
            raise LexiconError(f"{where}: category {category.value!r} is not one of the six prohibitions")
        return SensitiveTerm(
            term=_require_text(data, "term", where),
            category=category,
            severity=_enum(Severity, data, "severity", where),
            note=_require_str(data, "note", where, default=""),
            suggestion=_require_str(data, "suggestion", where, default=""),
            exceptions=_strings(data, "exceptions", where),
        )

    @staticmethod
    def _dump_entry(entry: SensitiveTerm) -> dict[str, Any]:
        return _drop_defaults(
            {
                "term": entry.term,
                "category": entry.category.value,
                "severity": entry.severity.value,
                "note": entry.note,
                "suggestion": entry.suggestion,
                "exceptions": list(entry.exceptions),
            }
        )


@dataclass(frozen=True, slots=True)
class ExpressionLexicon(_Lexicon[ExpressionPair]):
    """Wrong→right pairs: serious expression errors and ordinary typos."""

    KIND: ClassVar[str] = "expression_pairs"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> ExpressionPair:
        _check_keys(data, {"wrong", "right", "serious", "note", "exceptions"}, where)
        serious = data.get("serious", False)
        if not isinstance(serious, bool):
            raise LexiconError(f"{where}: 'serious' must be true or false")
        wrong = _require_text(data, "wrong", where)
        right = _require_text(data, "right", where)
        if wrong == right:
            raise LexiconError(f"{where}: wrong and right forms are identical ({wrong!r})")
        return ExpressionPair(
            wrong=wrong,
            right=right,
            serious=serious,
            note=_require_str(data, "note", where, default=""),
            exceptions=_strings(data, "exceptions", where),
        )

    @staticmethod
    def _dump_entry(entry: ExpressionPair) -> dict[str, Any]:
        d = _drop_defaults(
            {
                "wrong": entry.wrong,
                "right": entry.right,
                "note": entry.note,
                "exceptions": list(entry.exceptions),
            }
        )
        d["serious"] = entry.serious
        return d


@dataclass(frozen=True, slots=True)
class TopicLexicon(_Lexicon[TopicTerm]):
    """Sensitive-topic words: publishing needs the unit's consent."""

    KIND: ClassVar[str] = "sensitive_topics"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> TopicTerm:
        _check_keys(data, {"term", "topic", "note", "exceptions"}, where)
        return TopicTerm(
            term=_require_text(data, "term", where),
            topic=_enum(Topic, data, "topic", where),
            note=_require_str(data, "note", where, default=""),
            exceptions=_strings(data, "exceptions", where),
        )

    @staticmethod
    def _dump_entry(entry: TopicTerm) -> dict[str, Any]:
        return _drop_defaults(
            {
                "term": entry.term,
                "topic": entry.topic.value,
                "note": entry.note,
                "exceptions": list(entry.exceptions),
            }
        )


@dataclass(frozen=True, slots=True)
class DomainAllowlist(_Lexicon[AllowedDomain]):
    """Host suffixes outbound links may point to."""

    KIND: ClassVar[str] = "link_domains"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> AllowedDomain:
        _check_keys(data, {"domain", "note"}, where)
        domain = _require_text(data, "domain", where).lower()
        if "/" in domain or ":" in domain or domain.startswith(".") or domain.endswith(".") or " " in domain:
            raise LexiconError(f"{where}: domain must be a bare host suffix like 'gov.cn', got {domain!r}")
        return AllowedDomain(domain=domain, note=_require_str(data, "note", where, default=""))

    @staticmethod
    def _dump_entry(entry: AllowedDomain) -> dict[str, Any]:
        return _drop_defaults({"domain": entry.domain, "note": entry.note})


@dataclass(frozen=True, slots=True)
class SourceAllowlist(_Lexicon[AllowedSource]):
    """Sources a repost may name."""

    KIND: ClassVar[str] = "reprint_sources"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> AllowedSource:
        _check_keys(data, {"name", "match", "note"}, where)
        return AllowedSource(
            name=_require_text(data, "name", where),
            match=_enum(SourceMatch, data, "match", where, default=SourceMatch.CONTAINS),
            note=_require_str(data, "note", where, default=""),
        )

    @staticmethod
    def _dump_entry(entry: AllowedSource) -> dict[str, Any]:
        d = _drop_defaults({"name": entry.name, "note": entry.note})
        d["match"] = entry.match.value
        return d


@dataclass(frozen=True, slots=True)
class _CategoryTermLexicon(_Lexicon[SensitiveTerm]):
    """Terms of one fixed category (advertising wording, opinions): the category is the lexicon's kind."""

    CATEGORY: ClassVar[Category]
    DEFAULT_SEVERITY: ClassVar[Severity]

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> SensitiveTerm:
        _check_keys(data, {"term", "severity", "note", "suggestion", "exceptions"}, where)
        return SensitiveTerm(
            term=_require_text(data, "term", where),
            category=cls.CATEGORY,
            severity=_enum(Severity, data, "severity", where, default=cls.DEFAULT_SEVERITY),
            note=_require_str(data, "note", where, default=""),
            suggestion=_require_str(data, "suggestion", where, default=""),
            exceptions=_strings(data, "exceptions", where),
        )

    @staticmethod
    def _dump_entry(entry: SensitiveTerm) -> dict[str, Any]:
        return _drop_defaults(
            {
                "term": entry.term,
                "severity": entry.severity.value,
                "note": entry.note,
                "suggestion": entry.suggestion,
                "exceptions": list(entry.exceptions),
            }
        )


@dataclass(frozen=True, slots=True)
class AdLexicon(_CategoryTermLexicon):
    """Commercial advertising wording (商业广告用语), found with or without a link."""

    KIND: ClassVar[str] = "ad_terms"
    CATEGORY: ClassVar[Category] = Category.ADS_LINKS
    DEFAULT_SEVERITY: ClassVar[Severity] = Severity.BLOCK


@dataclass(frozen=True, slots=True)
class OpinionLexicon(_CategoryTermLexicon):
    """Personal opinion and emotional, colloquial judgements (个人观点和情绪); a reviewer looks (warn)."""

    KIND: ClassVar[str] = "opinion_terms"
    CATEGORY: ClassVar[Category] = Category.PERSONAL_OPINION
    DEFAULT_SEVERITY: ClassVar[Severity] = Severity.WARN


@dataclass(frozen=True, slots=True)
class ProtectedLexicon(_Lexicon[ProtectedForm]):
    """Canonical fixed formulations and organ names (规范表述); near misses are serious errors."""

    KIND: ClassVar[str] = "protected_formulations"

    policy: NearMissPolicy = field(default_factory=NearMissPolicy)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProtectedLexicon:
        """Like every kind, plus an optional ``policy`` (minimum lengths of the slips looked for)."""
        if not isinstance(data, Mapping) or "policy" not in data:
            return _Lexicon.from_dict.__func__(cls, data)  # type: ignore[attr-defined,no-any-return]
        rest = {k: v for k, v in data.items() if k != "policy"}
        parsed: ProtectedLexicon = _Lexicon.from_dict.__func__(cls, rest)  # type: ignore[attr-defined]
        return replace(parsed, policy=NearMissPolicy.from_dict(data["policy"], cls.KIND))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the policy only when it differs from the defaults."""
        out = _Lexicon.to_dict(self)
        if policy := self.policy.to_dict():
            out["policy"] = policy
        return out

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> ProtectedForm:
        _check_keys(data, {"text", "kind", "note", "variants"}, where)
        text = _require_text(data, "text", where)
        variants = _strings(data, "variants", where)
        if text in variants:
            raise LexiconError(f"{where}: a variant equals the canonical text {text!r}")
        return ProtectedForm(
            text=text,
            kind=_enum(ProtectedKind, data, "kind", where, default=ProtectedKind.FORMULATION),
            note=_require_str(data, "note", where, default=""),
            variants=variants,
        )

    @staticmethod
    def _dump_entry(entry: ProtectedForm) -> dict[str, Any]:
        d = _drop_defaults({"text": entry.text, "note": entry.note, "variants": list(entry.variants)})
        d["kind"] = entry.kind.value
        return d


@dataclass(frozen=True, slots=True)
class LeaderLexicon(_Lexicon[LeaderName]):
    """Leaders' names of a region (领导姓名), loaded by the office of that region."""

    KIND: ClassVar[str] = "leader_names"

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> LeaderName:
        _check_keys(data, {"name", "title", "note"}, where)
        name = _require_text(data, "name", where)
        if len(name) < 2 or len(name) > 20:
            raise LexiconError(f"{where}: a name has 2 to 20 characters, got {name!r}")
        return LeaderName(
            name=name,
            title=_require_str(data, "title", where, default=""),
            note=_require_str(data, "note", where, default=""),
        )

    @staticmethod
    def _dump_entry(entry: LeaderName) -> dict[str, Any]:
        return _drop_defaults({"name": entry.name, "title": entry.title, "note": entry.note})


# --- the set -----------------------------------------------------------------------------------------


_KINDS: dict[str, type[_Lexicon[Any]]] = {
    "sensitive": SensitiveLexicon,
    "expressions": ExpressionLexicon,
    "topics": TopicLexicon,
    "link_domains": DomainAllowlist,
    "reprint_sources": SourceAllowlist,
    "protected": ProtectedLexicon,
    "leaders": LeaderLexicon,
    "ads": AdLexicon,
    "opinions": OpinionLexicon,
}
# Kinds added after the first release: a stored set without them reads them as empty.
_OPTIONAL_KINDS = frozenset({"protected", "leaders", "ads", "opinions"})

# Kinds whose entries only ever add findings, so a lower office extending them can only tighten the check.
# The allowlists (link domains, reprint sources) loosen it when extended: only the province changes them.
ADDITIVE_KINDS: frozenset[str] = frozenset(
    {"sensitive", "expressions", "topics", "protected", "leaders", "ads", "opinions"}
)


@dataclass(frozen=True, slots=True)
class LexiconSet:
    """All lexicons one check runs with; hashable, so compiled matchers can be cached per content."""

    sensitive: SensitiveLexicon
    expressions: ExpressionLexicon
    topics: TopicLexicon
    link_domains: DomainAllowlist
    reprint_sources: SourceAllowlist
    protected: ProtectedLexicon = ProtectedLexicon(name="none", version="0")
    leaders: LeaderLexicon = LeaderLexicon(name="none", version="0")
    ads: AdLexicon = AdLexicon(name="none", version="0")
    opinions: OpinionLexicon = OpinionLexicon(name="none", version="0")

    KINDS: ClassVar[tuple[str, ...]] = tuple(_KINDS)

    @staticmethod
    def kind_class(key: str) -> type[_Lexicon[Any]]:
        """The lexicon class stored under ``key`` ("sensitive", "protected", …)."""
        try:
            return _KINDS[key]
        except KeyError:
            raise LexiconError(f"unknown lexicon kind {key!r}, expected one of {sorted(_KINDS)}") from None

    def versions(self) -> dict[str, str]:
        """Kind → ``name@version``, stored with each result so a finding can be traced to its lexicon."""
        return {key: getattr(self, key).label for key in _KINDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LexiconSet:
        """Build from ``{"sensitive": {...}, "expressions": {...}, "topics": {...}, ...}``."""
        if not isinstance(data, Mapping):
            raise LexiconError("lexicon set: expected an object")
        _check_keys(data, set(_KINDS), "lexicon set")
        missing = set(_KINDS) - set(data) - _OPTIONAL_KINDS
        if missing:
            raise LexiconError(f"lexicon set: missing {sorted(missing)}")
        parsed: dict[str, Any] = {
            key: kind.from_dict(data[key]) for key, kind in _KINDS.items() if key in data
        }
        return cls(**parsed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, the inverse of `from_dict`."""
        return {key: getattr(self, key).to_dict() for key in _KINDS}

    def replace(self, **lexicons: _Lexicon[Any]) -> LexiconSet:
        """A copy with some kinds swapped, e.g. ``replace(sensitive=new_sensitive)``."""
        current: dict[str, Any] = {key: getattr(self, key) for key in _KINDS}
        for key, value in lexicons.items():
            if key not in _KINDS or not isinstance(value, _KINDS[key]):
                raise LexiconError(f"cannot replace {key!r} with {type(value).__name__}")
            current[key] = value
        return LexiconSet(**current)

    def extended(self, additions: Mapping[str, list[_Lexicon[Any]]]) -> LexiconSet:
        """This set with lower offices' lexicons appended, kind by kind (e.g. a city's and a county's terms).

        Only `ADDITIVE_KINDS` may be extended: their entries add findings and never remove one, so an
        extension can tighten the check for a subtree but never loosen it.
        """
        current: dict[str, Any] = {key: getattr(self, key) for key in _KINDS}
        for key, extra in additions.items():
            if key not in ADDITIVE_KINDS:
                raise LexiconError(f"lexicon kind {key!r} can only be set at the top level")
            base = current[key]
            entries = list(base.entries)
            seen = set(entries)
            version = base.version
            for lex in extra:
                if not isinstance(lex, _KINDS[key]):
                    raise LexiconError(f"cannot extend {key!r} with {type(lex).__name__}")
                version += f"+{lex.label}"
                for e in lex.entries:
                    if e not in seen:
                        seen.add(e)
                        entries.append(e)
            # replace() keeps what else the base carries (the province's near-miss policy).
            current[key] = replace(
                base, version=version, entries=tuple(entries), base_entries=len(base.entries)
            )
        return LexiconSet(**current)


_STARTER_FILES: dict[str, str] = {
    "sensitive": "sensitive_terms.json",
    "expressions": "expression_pairs.json",
    "topics": "sensitive_topics.json",
    "link_domains": "link_domains.json",
    "reprint_sources": "reprint_sources.json",
    "protected": "protected_formulations.json",
    "leaders": "leader_names.json",
    "ads": "ad_terms.json",
    "opinions": "opinion_terms.json",
}


def load_starter_lexicons() -> LexiconSet:
    """The small real starter set shipped in ``checks/data/``."""
    data_dir = resources.files(__package__ or "govmedia_checks").joinpath("data")
    docs = {key: json.loads(data_dir.joinpath(fn).read_text("utf-8")) for key, fn in _STARTER_FILES.items()}
    return LexiconSet.from_dict(docs)
