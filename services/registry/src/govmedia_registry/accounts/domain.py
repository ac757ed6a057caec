"""The account life cycle: which filing an account may receive, and what an approved filing does to it.

Plain Python, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import AccountSnapshot, AccountStatus, AttentionTier, FilingType, Platform
from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.workdays import WorkCalendar
from govmedia_registry.regions.rules import RegistryRules, announcement_ends_on


class FilingNotAllowed(DomainError):
    """The account's status does not allow this kind of filing."""

    kind = ErrorKind.RULE_VIOLATED
    code = "account-filing-not-allowed"


class FilingInProgress(DomainError):
    kind = ErrorKind.RULE_VIOLATED
    code = "account-filing-in-progress"


class StopNoticeRequired(DomainError):
    kind = ErrorKind.RULE_VIOLATED
    code = "account-stop-notice-required"


class IllegalTransition(DomainError):
    kind = ErrorKind.RULE_VIOLATED
    code = "account-illegal-transition"


class MergeSide(StrEnum):
    """In a merge filing, the accounts that disappear (sources) and the one that absorbs them (target)."""

    SOURCE = "source"
    TARGET = "target"


_LIVE = frozenset({AccountStatus.ACTIVE, AccountStatus.SUSPENDED})
ALLOWED_FROM: Mapping[FilingType, frozenset[AccountStatus]] = MappingProxyType(
    {
        FilingType.OPEN: frozenset({AccountStatus.PENDING}),
        FilingType.CHANGE: _LIVE,
        FilingType.MERGE: _LIVE,  # sources; the target must be active
        FilingType.SUSPEND: frozenset({AccountStatus.ACTIVE}),
        FilingType.DEREGISTER: _LIVE,
    }
)
MERGE_TARGET_ALLOWED_FROM = frozenset({AccountStatus.ACTIVE})
# Status once the filing has taken effect; None keeps the status (a change edits fields, a target stays).
_EFFECT: Mapping[FilingType, AccountStatus | None] = MappingProxyType(
    {
        FilingType.OPEN: AccountStatus.ACTIVE,
        FilingType.CHANGE: None,
        FilingType.MERGE: AccountStatus.MERGED,
        FilingType.SUSPEND: AccountStatus.SUSPENDED,
        FilingType.DEREGISTER: AccountStatus.DEREGISTERED,
    }
)


@dataclass(frozen=True)
class AccountState:
    """What the life-cycle rules need to know about an account."""

    status: AccountStatus
    open_filing_id: str | None = None  # a filing about the account that is still undecided
    stop_notice_on: date | None = None  # date of the 停更公告 on record


@dataclass(frozen=True)
class ApprovalOutcome:
    """What an approved filing does to one account."""

    status: AccountStatus  # the status right after approval
    announcement_ends_on: date | None  # last day of the public announcement, if one runs
    takes_effect_on: date  # the day the filing's effect applies (fields changed, status final)
    final_status: AccountStatus  # the status once the effect applies


def check_filing_allowed(
    filing_type: FilingType,
    account: AccountState,
    *,
    on: date,
    side: MergeSide = MergeSide.SOURCE,
    stop_notice_before_approval: bool = False,
) -> None:
    """Raise unless a filing of ``filing_type`` may be made about ``account`` on day ``on``.

    ``stop_notice_before_approval``: a deregistration the competent office opens on a forced-closure
    recommendation (强制关停) is filed before the unit has published its stop-update notice; the notice is
    then due before the filing is approved (:func:`check_approval_allowed`), not before it is filed.
    """
    if account.open_filing_id is not None:
        raise FilingInProgress(f"filing {account.open_filing_id} about this account is still undecided")
    allowed = (
        MERGE_TARGET_ALLOWED_FROM
        if filing_type is FilingType.MERGE and side is MergeSide.TARGET
        else ALLOWED_FROM[filing_type]
    )
    if account.status not in allowed:
        raise FilingNotAllowed(
            f"a {filing_type} filing is not possible for an account that is {account.status} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if not stop_notice_before_approval:
        check_approval_allowed(filing_type, account, on=on)


def check_approval_allowed(filing_type: FilingType, account: AccountState, *, on: date) -> None:
    """Raise unless a level may approve a filing of ``filing_type`` about ``account`` on day ``on``:
    a deregistration needs the stop-update notice (停更公告) published by then."""
    if filing_type is FilingType.DEREGISTER and (
        account.stop_notice_on is None or account.stop_notice_on > on
    ):
        raise StopNoticeRequired("deregistering needs a stop-update notice (停更公告) published beforehand")


def approval_outcome(
    filing_type: FilingType,
    current: AccountStatus,
    *,
    approved_on: date,
    rules: RegistryRules,
    calendar: WorkCalendar,
    side: MergeSide = MergeSide.SOURCE,
) -> ApprovalOutcome:
    """Apply an approved filing to an account: the announcement (if any), then the effect.

    open: pending → announcing → active; change: status kept, fields applied when the announcement ends;
    suspend: active → suspended at approval; deregister: active|suspended → announcing → deregistered;
    merge: each source → announcing → merged, the target stays active. The announcement is taken to be
    published on the approval day.
    """
    target = filing_type is FilingType.MERGE and side is MergeSide.TARGET
    allowed = MERGE_TARGET_ALLOWED_FROM if target else ALLOWED_FROM[filing_type]
    if current not in allowed:
        raise IllegalTransition(
            f"an approved {filing_type} filing cannot apply to an account that is {current}"
        )
    effect = None if target else _EFFECT[filing_type]
    final = effect or current
    if not rules.is_announced(filing_type):
        return ApprovalOutcome(final, None, approved_on, final)
    ends = announcement_ends_on(approved_on, calendar, rules.announcement_workdays)
    during = AccountStatus.ANNOUNCING if effect is not None else current
    return ApprovalOutcome(during, ends, ends + timedelta(days=1), final)


def status_after_announcement(
    filing_type: FilingType, current: AccountStatus, *, side: MergeSide = MergeSide.SOURCE
) -> AccountStatus:
    """The status once the announcement of an approved filing has run its course."""
    effect = None if filing_type is FilingType.MERGE and side is MergeSide.TARGET else _EFFECT[filing_type]
    if effect is None:
        return current
    if current is not AccountStatus.ANNOUNCING:
        raise IllegalTransition(f"the {filing_type} announcement has not started: the account is {current}")
    return effect


def status_on_refusal(filing_type: FilingType, current: AccountStatus) -> AccountStatus:
    """The status after a filing is rejected or withdrawn: an account never opened is rejected."""
    if filing_type is FilingType.OPEN:
        if current is not AccountStatus.PENDING:
            raise IllegalTransition(f"an open filing concerns a pending account, not a {current} one")
        return AccountStatus.REJECTED
    return current


# --------------------------------------------------------------------------------------------------------
# The account itself
# --------------------------------------------------------------------------------------------------------


@dataclass
class Account(RecordsEvents):
    """A government new-media account (政务新媒体账号) as the rules and the events see it."""

    id: str
    name: str
    platform: Platform
    unit_id: str
    unit_name: str  # for the event snapshot; not stored with the account
    region_code: str
    status: AccountStatus
    platform_account_id: str | None = None
    attention_tier: AttentionTier = AttentionTier.ORDINARY
    interaction_enabled: bool = True
    review_levels: int = 3
    certified: bool = False
    matrix_badge: str | None = None
    operators: dict[str, Any] = field(default_factory=dict)
    outsourcing: dict[str, Any] | None = None
    stop_update_notice: dict[str, Any] | None = None
    merged_into: str | None = None
    effective_on: date | None = None
    updated_at: datetime | None = None
    version: int = 0  # the row's optimistic-lock counter, read only

    # Details that change without a filing or through a change filing (never id, unit, region or status).
    EDITABLE = frozenset(
        {
            "name",
            "platform_account_id",
            "attention_tier",
            "interaction_enabled",
            "review_levels",
            "operators",
            "outsourcing",
        }
    )

    @property
    def stop_notice_on(self) -> date | None:
        """Day of the stop-update notice (停更公告) on record, if any."""
        notice = self.stop_update_notice or {}
        published = notice.get("published_on")
        return date.fromisoformat(published) if isinstance(published, str) else None

    def state(self, open_filing_id: str | None) -> AccountState:
        """What the life-cycle rules need to know."""
        return AccountState(self.status, open_filing_id, self.stop_notice_on)

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Set editable details (JSON values as the API and filings carry them)."""
        for key, value in changes.items():
            if key not in self.EDITABLE:
                raise IllegalTransition(f"{key} cannot be changed on an account")
            if key == "attention_tier":
                value = AttentionTier(value)
            setattr(self, key, value)

    def snapshot(self) -> AccountSnapshot:
        """The account as events carry it."""
        return AccountSnapshot(
            account_id=self.id,
            name=self.name,
            platform=self.platform,
            platform_account_id=self.platform_account_id,
            unit_id=self.unit_id,
            unit_name=self.unit_name,
            region_code=self.region_code,
            status=self.status,
            attention_tier=self.attention_tier,
            interaction_enabled=self.interaction_enabled,
            review_levels=self.review_levels,
            certified=self.certified,
            matrix_badge=self.matrix_badge,
            outsourced=self.outsourcing is not None,
        )
