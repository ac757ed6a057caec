"""Machine check engine (风险识别) of the review service: a pure library, no I/O, reusable by the monitor.

Usage::

    engine = CheckEngine(load_starter_lexicons())
    result = engine.check(body, title=title, is_reprint=False, source=None)
    result.blocking, result.findings, result.to_dict()
"""

from govmedia_checks.engine import CheckEngine
from govmedia_checks.findings import SERIOUS_ERROR_LIMIT, CheckResult, Finding
from govmedia_checks.lexicon import (
    ADDITIVE_KINDS,
    PROHIBITION_CATEGORIES,
    AdLexicon,
    AllowedDomain,
    AllowedSource,
    Category,
    DomainAllowlist,
    ExpressionLexicon,
    ExpressionPair,
    LeaderLexicon,
    LeaderName,
    LexiconError,
    LexiconSet,
    NearMissPolicy,
    OpinionLexicon,
    ProtectedForm,
    ProtectedKind,
    ProtectedLexicon,
    SensitiveLexicon,
    SensitiveTerm,
    Severity,
    SourceAllowlist,
    SourceMatch,
    Topic,
    TopicLexicon,
    TopicTerm,
    load_starter_lexicons,
)
from govmedia_checks.normalize import NormalizedText, Normalizer
from govmedia_checks.scopes import DEFAULT_SCOPE, combine_scoped, is_base_scope, scope_chain

__all__ = [
    "ADDITIVE_KINDS",
    "DEFAULT_SCOPE",
    "PROHIBITION_CATEGORIES",
    "SERIOUS_ERROR_LIMIT",
    "AdLexicon",
    "AllowedDomain",
    "AllowedSource",
    "Category",
    "CheckEngine",
    "CheckResult",
    "DomainAllowlist",
    "ExpressionLexicon",
    "ExpressionPair",
    "Finding",
    "LeaderLexicon",
    "LeaderName",
    "LexiconError",
    "LexiconSet",
    "NearMissPolicy",
    "NormalizedText",
    "Normalizer",
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
    "combine_scoped",
    "is_base_scope",
    "load_starter_lexicons",
    "scope_chain",
]
