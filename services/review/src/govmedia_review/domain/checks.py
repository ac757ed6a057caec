"""The machine check's findings in the catalogue's vocabulary: counts for events, a report for people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govmedia_checks import SERIOUS_ERROR_LIMIT
from govmedia_common.events import FindingCategory, FindingSeverity

__all__ = ["EVENT_CATEGORY", "CheckReport", "CheckSummary", "FindingView", "check_report", "check_summary"]

# The check engine's categories in the event catalogue's vocabulary (the public contract).
EVENT_CATEGORY: Mapping[str, FindingCategory] = {
    "illegal": FindingCategory.ILLEGAL_CONTENT,
    "security_stability": FindingCategory.SECURITY_STABILITY,
    "secrets_privacy": FindingCategory.SECRETS_PRIVACY,
    "ads_links": FindingCategory.ADVERTISING_LINKS,
    "personal_opinion": FindingCategory.PERSONAL_OPINION,
    "sensitive_topic": FindingCategory.SENSITIVE_WITHOUT_CONSENT,
    "serious_expression_error": FindingCategory.SERIOUS_EXPRESSION_ERROR,
    "typo": FindingCategory.EXPRESSION_ERROR,
    "reprint_source": FindingCategory.REPOST_SOURCE,
}


@dataclass(frozen=True)
class CheckSummary:
    """Counts of a check's findings, per catalogue category and severity."""

    total: int
    by_category: dict[FindingCategory, int]
    by_severity: dict[FindingSeverity, int]
    blocking: bool
    blocking_categories: tuple[FindingCategory, ...]


def check_summary(findings: Iterable[Mapping[str, Any]]) -> CheckSummary:
    """Summarise findings (as the engine's dicts) for ``PostChecked`` and ``PostOverridden``."""
    by_category: dict[FindingCategory, int] = {}
    by_severity: dict[FindingSeverity, int] = {}
    blocking: list[FindingCategory] = []
    total = 0
    for f in findings:
        category = EVENT_CATEGORY[str(f["category"])]
        severity = FindingSeverity(str(f["severity"]))
        by_category[category] = by_category.get(category, 0) + 1
        by_severity[severity] = by_severity.get(severity, 0) + 1
        if severity is FindingSeverity.BLOCK and category not in blocking:
            blocking.append(category)
        total += 1
    return CheckSummary(total, by_category, by_severity, bool(blocking), tuple(blocking))


@dataclass(frozen=True)
class FindingView:
    """One finding as people read it: the catalogue's category beside the engine's own."""

    category: str
    check_category: str
    severity: str
    field: str
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str
    rule_id: str


@dataclass(frozen=True)
class CheckReport:
    """A check as the API shows it, for the pre-check and for stored revisions alike."""

    blocking: bool
    findings_total: int
    serious_error_count: int
    exceeds_serious_error_limit: bool
    by_category: dict[str, int]
    by_severity: dict[str, int]
    lexicon_versions: dict[str, str]
    findings: tuple[FindingView, ...]


def check_report(findings: Sequence[Mapping[str, Any]], lexicon_versions: Mapping[str, str]) -> CheckReport:
    """The report of one check (findings as the engine's dicts)."""
    summary = check_summary(findings)
    serious = sum(1 for f in findings if f["category"] == "serious_expression_error")
    return CheckReport(
        blocking=summary.blocking,
        findings_total=summary.total,
        serious_error_count=serious,
        exceeds_serious_error_limit=serious > SERIOUS_ERROR_LIMIT,
        by_category={str(k): v for k, v in summary.by_category.items()},
        by_severity={str(k): v for k, v in summary.by_severity.items()},
        lexicon_versions=dict(lexicon_versions),
        findings=tuple(
            FindingView(
                category=str(EVENT_CATEGORY[f["category"]]),
                check_category=f["category"],
                severity=f["severity"],
                field=f["field"],
                start=f["start"],
                end=f["end"],
                excerpt=f["excerpt"],
                message=f["message"],
                suggestion=f["suggestion"],
                rule_id=f["rule_id"],
            )
            for f in findings
        ),
    )
