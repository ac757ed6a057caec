"""Machine check engine (风险识别) of the review service: a pure library, no I/O, reusable by the monitor.

Usage::

    engine = CheckEngine(load_starter_lexicons())
    result = engine.check(body, title=title, is_reprint=False, source=None)
    result.blocking, result.findings, result.to_dict()
"""

from govmedia_checks.engine import CheckEngine
from govmedia_checks.findings import SERIOUS_ERROR_LIMIT, CheckResult, Finding
from govmedia_checks.lexicon import (
    PROHIBITION_CATEGORIES,
    AllowedDomain,
    AllowedSource,
    Category,
    DomainAllowlist,
    ExpressionLexicon,
    ExpressionPair,
    LexiconError,
    LexiconSet,
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

__all__ = [
    "PROHIBITION_CATEGORIES",
    "SERIOUS_ERROR_LIMIT",
    "AllowedDomain",
    "AllowedSource",
    "Category",
    "CheckEngine",
    "CheckResult",
    "DomainAllowlist",
    "ExpressionLexicon",
    "ExpressionPair",
    "Finding",
    "LexiconError",
    "LexiconSet",
    "NormalizedText",
    "Normalizer",
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
