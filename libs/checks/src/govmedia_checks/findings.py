"""What a check returns: findings with offsets into the original text, and their summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from govmedia_checks.lexicon import Category, Severity

__all__ = ["SERIOUS_ERROR_LIMIT", "CheckResult", "Field", "Finding"]

# The national spot check fails an account with more than three serious expression errors.
SERIOUS_ERROR_LIMIT = 3

Field = Literal["title", "body", "source"]
_FIELD_ORDER: dict[str, int] = {"title": 0, "body": 1, "source": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is (``field`` and ``[start, end)`` in that original string) and how to fix it."""

    category: Category
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str
    rule_id: str
    field: Field = "body"

    def sort_key(self) -> tuple[int, int, int, str]:
        """Reading order: title, body, declared source; then by position."""
        return (_FIELD_ORDER[self.field], self.start, self.end, self.rule_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "category": self.category.value,
            "severity": self.severity.value,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "message": self.message,
            "suggestion": self.suggestion,
            "rule_id": self.rule_id,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """All findings of one check and the lexicon versions that produced them."""

    findings: list[Finding]
    lexicon_versions: dict[str, str] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """True if any finding blocks publication."""
        return any(f.severity is Severity.BLOCK for f in self.findings)

    @property
    def serious_error_count(self) -> int:
        """Number of serious expression errors (严重表述错误)."""
        return sum(1 for f in self.findings if f.category is Category.SERIOUS_EXPRESSION_ERROR)

    @property
    def exceeds_serious_error_limit(self) -> bool:
        """More serious errors than a national check tolerates."""
        return self.serious_error_count > SERIOUS_ERROR_LIMIT

    def counts(self) -> dict[str, dict[str, int]]:
        """Category → severity → number of findings (only non-zero counts)."""
        out: dict[str, dict[str, int]] = {}
        for f in self.findings:
            per = out.setdefault(f.category.value, {})
            per[f.severity.value] = per.get(f.severity.value, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "blocking": self.blocking,
            "serious_error_count": self.serious_error_count,
            "exceeds_serious_error_limit": self.exceeds_serious_error_limit,
            "counts": self.counts(),
            "lexicon_versions": dict(self.lexicon_versions),
            "findings": [f.to_dict() for f in self.findings],
        }
