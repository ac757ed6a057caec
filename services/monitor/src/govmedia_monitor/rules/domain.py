"""The monitor's rules: what each one means, how severe it is, and the pure thresholds logic.

The time-based rules run as set-based SQL sweeps (:mod:`govmedia_monitor.rules.sweeps`); the functions here
state the same thresholds in plain Python so they can be read, unit-tested and reused by the simulator. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from govmedia_common.events import AlertClass, AlertRule, AlertSeverity, AttentionTier
from govmedia_monitor.rules.thresholds import MonitorSettings


@dataclass(frozen=True)
class RuleSpec:
    """A rule's fixed facts: the class bulletins group it under and its severity when it fires."""

    rule: AlertRule
    alert_class: AlertClass
    severity: AlertSeverity
    summary: str


RULES: dict[AlertRule, RuleSpec] = {
    r.rule: r
    for r in (
        RuleSpec(
            AlertRule.NOT_UPDATED,
            AlertClass.NOT_UPDATED,
            AlertSeverity.VIOLATION,  # a warning first, see not_updated_severity
            "No post for too long (内容不更新).",
        ),
        RuleSpec(
            AlertRule.ZOMBIE,
            AlertClass.NOT_UPDATED,
            # A cleanup recommendation, not a second violation for the same silence (the 2/4/6 ladder
            # counts the not-updated violation already).
            AlertSeverity.WARNING,
            "No post for so long that the account is a cleanup candidate (僵尸/空壳).",
        ),
        RuleSpec(
            AlertRule.INTERACTION_OFF,
            AlertClass.INTERACTION,
            AlertSeverity.VIOLATION,
            "Public interaction switched off (互动功能关闭).",
        ),
        RuleSpec(
            AlertRule.MESSAGE_UNANSWERED,
            AlertClass.INTERACTION,
            AlertSeverity.VIOLATION,  # a warning first, see message_severity
            "A public message left unanswered (留言未回复).",
        ),
        RuleSpec(
            AlertRule.UNREVIEWED_PUBLICATION,
            AlertClass.SERIOUS,
            AlertSeverity.SERIOUS,
            "A post on the platform matches no approved post (未审先发).",
        ),
        RuleSpec(
            AlertRule.CONTENT_MISMATCH,
            AlertClass.SERIOUS,
            AlertSeverity.VIOLATION,
            "Published content differs from the approved version (双向反馈).",
        ),
        RuleSpec(
            AlertRule.CHECK_FAILED,
            AlertClass.SERIOUS,
            AlertSeverity.VIOLATION,
            "Published content fails the machine check (风险识别).",
        ),
        RuleSpec(
            AlertRule.OVERRIDE,
            AlertClass.SERIOUS,
            AlertSeverity.WARNING,
            "The final approver approved over a blocking finding (终审强制通过).",
        ),
    )
}

SEVERITY_RANK: dict[AlertSeverity, int] = {
    AlertSeverity.MINOR: 0,
    AlertSeverity.WARNING: 1,
    AlertSeverity.VIOLATION: 2,
    AlertSeverity.SERIOUS: 3,
}


def not_updated_limit(settings: MonitorSettings, tier: AttentionTier | str) -> int:
    """Days without a post that make a violation for an account of this attention tier."""
    if AttentionTier(tier) == AttentionTier.HIGH:
        return settings.high_attention_not_updated_days
    return settings.not_updated_days


def not_updated_severity(
    settings: MonitorSettings, tier: AttentionTier | str, days_silent: int
) -> AlertSeverity | None:
    """Violation at the tier's limit, a warning from the warning threshold when it comes earlier."""
    limit = not_updated_limit(settings, tier)
    if days_silent >= limit:
        return AlertSeverity.VIOLATION
    if settings.not_updated_warning_days < limit and days_silent >= settings.not_updated_warning_days:
        return AlertSeverity.WARNING
    return None


def is_zombie(settings: MonitorSettings, days_silent: int) -> bool:
    """No post for ``zombie_days`` or more."""
    return days_silent >= settings.zombie_days


def message_severity(settings: MonitorSettings, workdays_unanswered: int) -> AlertSeverity | None:
    """Warning after ``message_warning_workdays`` working days, violation after the violation threshold."""
    if workdays_unanswered >= settings.message_violation_workdays:
        return AlertSeverity.VIOLATION
    if workdays_unanswered >= settings.message_warning_workdays:
        return AlertSeverity.WARNING
    return None


def interaction_off_fires(settings: MonitorSettings, off_since: date, as_of: date) -> bool:
    """Interaction switched off for longer than the grace period."""
    return (as_of - off_since).days >= settings.interaction_off_grace_days


def escalates(current: AlertSeverity | str, new: AlertSeverity | str) -> bool:
    """True when ``new`` is more severe than ``current`` (an open warning becomes a violation)."""
    return SEVERITY_RANK[AlertSeverity(new)] > SEVERITY_RANK[AlertSeverity(current)]
