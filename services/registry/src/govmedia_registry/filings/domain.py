"""A filing (备案) travelling up its approval chain, level by level (逐级审核), and who may decide each level.

Plain Python, no I/O. The filing keeps its whole history (every step with the revision it concerned): the
four-eyes rules read it, so the mapping from rows must restore it (see ``mapping.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import ApprovalLevel, FilingType
from govmedia_common.events.recorder import RecordsEvents
from govmedia_common.workdays import SHANGHAI, WorkCalendar
from govmedia_registry.identity.domain import Role
from govmedia_registry.regions.domain import RegionLevel, office_region, region_level, validate_region_code
from govmedia_registry.regions.rules import DEFAULT_APPROVER_ROLES, RegistryRules, filing_deadline


class FilingStatus(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"  # sent back for amendment (退回修改)
    REJECTED = "rejected"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class FilingNotOpen(DomainError):
    """The filing is not in a state that allows this step (e.g. already decided)."""

    kind = ErrorKind.RULE_VIOLATED
    code = "filing-not-open"


class WrongApprovalLevel(DomainError):
    """The decision names a level other than the one the filing is waiting at (a stale or misrouted click)."""

    kind = ErrorKind.RULE_VIOLATED
    code = "filing-wrong-level"


class ApproverNotAuthorised(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "filing-approver-not-authorised"


class SelfApproval(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "filing-self-approval"


class ApproverAlreadyDecided(DomainError):
    kind = ErrorKind.RULE_VIOLATED
    code = "filing-approver-already-decided"


class ReasonRequired(DomainError):
    kind = ErrorKind.UNPROCESSABLE
    code = "filing-reason-required"


class NotTheFiler(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "filing-not-filer"


@dataclass(frozen=True)
class Actor:
    """Who performs a step: the fields of a verified principal that the rules need."""

    user_id: str
    roles: frozenset[Role]
    region_code: str
    unit_id: str | None = None
    name: str = ""


@dataclass(frozen=True)
class ApproverRequirement:
    """Who may decide a level: one of ``roles``, sitting in ``region_code`` (and ``unit_id`` for the unit)."""

    level: ApprovalLevel
    roles: frozenset[Role]
    region_code: str
    region_level: RegionLevel
    unit_id: str | None

    def admits(self, actor: Actor) -> bool:
        """True when ``actor`` may decide this level."""
        if not actor.roles & self.roles or actor.region_code != self.region_code:
            return False
        return self.unit_id is None or actor.unit_id == self.unit_id


class FilingAction(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # one level approved
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class FilingStep:
    """One entry of a filing's history; the history is never rewritten."""

    action: FilingAction
    actor_id: str
    at: datetime
    revision: int
    level: ApprovalLevel | None = None
    reason: str | None = None
    actor_name: str = ""


@dataclass
class FilingFlow(RecordsEvents):
    """A filing (备案) travelling up its approval chain.

    Status: pending → (approve at each level) → approved; any level may return it for amendment
    (returned → resubmit → pending again) or reject it (terminal); the filer may withdraw it while it is
    pending or returned.

    A resubmitted filing starts again at the first level, not at the level that returned it: an amendment
    changes what the lower levels approved, and each level vouches for exactly the version it passes up
    (谁主办谁负责: the host unit answers for the amended text too). ``revision`` counts the versions.
    """

    filing_id: str
    filing_type: FilingType
    unit_id: str
    region_code: str
    filed_by: str
    levels: tuple[ApprovalLevel, ...]
    event_date: date
    filed_on: date
    deadline: date
    approver_roles: Mapping[ApprovalLevel, frozenset[Role]] = field(
        default_factory=lambda: DEFAULT_APPROVER_ROLES
    )
    status: FilingStatus = FilingStatus.PENDING
    current_index: int = 0
    revision: int = 1
    decided_on: date | None = None
    history: list[FilingStep] = field(default_factory=list)
    # What the filing is about and what became of it once approved (kept with the filing's row).
    account_id: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    announcement_starts_on: date | None = None
    announcement_ends_on: date | None = None
    effective: bool = False
    updated_at: datetime | None = None
    version: int = 0  # the row's optimistic-lock counter, read only (the database increments it)
    saved_steps: int = 0  # how many history steps are already stored; the rest are new

    @classmethod
    def submit(
        cls,
        *,
        filing_id: str,
        filing_type: FilingType,
        unit_id: str,
        region_code: str,
        filed_by: str,
        event_date: date,
        filed_at: datetime,
        rules: RegistryRules,
        calendar: WorkCalendar,
        account_id: str = "",
        filer_name: str = "",
        payload: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> FilingFlow:
        """Open a filing; its chain and deadline are fixed now, so later rule changes don't reroute it.

        An event may lie in the future (a unit files before opening an account); a filing made after the
        deadline is accepted and flagged ``late``.
        """
        validate_region_code(region_code)
        filed_on = local_day(filed_at)
        flow = cls(
            filing_id=filing_id,
            filing_type=filing_type,
            unit_id=unit_id,
            region_code=region_code,
            filed_by=filed_by,
            levels=rules.levels_for(filing_type, region_code),
            event_date=event_date,
            filed_on=filed_on,
            deadline=filing_deadline(event_date, calendar, rules.filing_deadline_workdays),
            approver_roles=rules.approver_roles,
            account_id=account_id,
            payload=dict(payload or {}),
        )
        flow.history.append(
            FilingStep(
                FilingAction.SUBMITTED,
                filed_by,
                filed_at,
                flow.revision,
                reason=reason,
                actor_name=filer_name,
            )
        )
        return flow

    @property
    def late(self) -> bool:
        """True when the filing was made after its deadline (accepted, but reported as late)."""
        return self.filed_on > self.deadline

    @property
    def current_level(self) -> ApprovalLevel | None:
        """The level the filing waits at; None unless it is pending."""
        return self.levels[self.current_index] if self.status is FilingStatus.PENDING else None

    @property
    def is_terminal(self) -> bool:
        return self.status in (FilingStatus.APPROVED, FilingStatus.REJECTED, FilingStatus.WITHDRAWN)

    def requirement(self, level: ApprovalLevel | None = None) -> ApproverRequirement:
        """Who may decide ``level`` (default: the current level) of this filing."""
        level = level or self.current_level
        if level is None or level not in self.levels:
            raise FilingNotOpen(f"filing {self.filing_id} waits at no level (status {self.status})")
        region = office_region(self.region_code, level)
        assert region is not None  # levels_for kept only levels that have an office
        return ApproverRequirement(
            level=level,
            roles=self.approver_roles[level],
            region_code=region,
            region_level=region_level(region),
            unit_id=self.unit_id if level is ApprovalLevel.UNIT else None,
        )

    def approve(self, level: ApprovalLevel, actor: Actor, *, at: datetime) -> FilingStatus:
        """Approve the current level; the filing moves up, or is approved when this was the last level."""
        self._check_decider(level, actor)
        self.history.append(
            FilingStep(FilingAction.APPROVED, actor.user_id, at, self.revision, level, None, actor.name)
        )
        if self.current_index + 1 < len(self.levels):
            self.current_index += 1
        else:
            self.status = FilingStatus.APPROVED
            self.decided_on = local_day(at)
        return self.status

    def return_for_amendment(self, level: ApprovalLevel, actor: Actor, reason: str, *, at: datetime) -> None:
        """Send the filing back to the filer for amendment (退回修改), with the reason."""
        self._check_decider(level, actor)
        reason = _require_reason(reason)
        self.status = FilingStatus.RETURNED
        self.history.append(
            FilingStep(FilingAction.RETURNED, actor.user_id, at, self.revision, level, reason, actor.name)
        )

    def resubmit(self, actor: Actor, *, at: datetime) -> None:
        """The filer sends the amended filing again; it restarts at the first level as a new revision."""
        self._check_filer(actor)
        if self.status is not FilingStatus.RETURNED:
            raise FilingNotOpen(
                f"only a returned filing can be resubmitted; filing {self.filing_id} is {self.status}"
            )
        self.status = FilingStatus.PENDING
        self.current_index = 0
        self.revision += 1
        self.history.append(
            FilingStep(FilingAction.RESUBMITTED, actor.user_id, at, self.revision, actor_name=actor.name)
        )

    def reject(self, level: ApprovalLevel, actor: Actor, reason: str, *, at: datetime) -> None:
        """Refuse the filing for good (terminal)."""
        self._check_decider(level, actor)
        reason = _require_reason(reason)
        self.status = FilingStatus.REJECTED
        self.decided_on = local_day(at)
        self.history.append(
            FilingStep(FilingAction.REJECTED, actor.user_id, at, self.revision, level, reason, actor.name)
        )

    def withdraw(self, actor: Actor, *, at: datetime, reason: str | None = None) -> None:
        """The filer takes the filing back while it is pending or returned (terminal)."""
        self._check_filer(actor)
        if self.is_terminal:
            raise FilingNotOpen(f"filing {self.filing_id} is already {self.status}")
        level = self.current_level
        self.status = FilingStatus.WITHDRAWN
        self.decided_on = local_day(at)
        self.history.append(
            FilingStep(FilingAction.WITHDRAWN, actor.user_id, at, self.revision, level, reason, actor.name)
        )

    def _check_decider(self, level: ApprovalLevel, actor: Actor) -> None:
        if self.status is not FilingStatus.PENDING:
            raise FilingNotOpen(f"filing {self.filing_id} is {self.status}; there is nothing to decide")
        current = self.levels[self.current_index]
        if level is not current:
            raise WrongApprovalLevel(
                f"filing {self.filing_id} waits at the {current} level, not the {level} level"
            )
        requirement = self.requirement(current)
        if not requirement.admits(actor):
            where = (
                f"unit {requirement.unit_id}" if requirement.unit_id else f"region {requirement.region_code}"
            )
            raise ApproverNotAuthorised(
                f"the {current} level of filing {self.filing_id} is decided by "
                f"{' or '.join(sorted(requirement.roles))} of {where}"
            )
        # Four eyes: whoever filed may not also decide it, and nobody decides two levels of one version
        # (possible when the host unit is itself the competent office, e.g. the county office's own account).
        if actor.user_id == self.filed_by:
            raise SelfApproval(f"{actor.user_id} filed {self.filing_id} and cannot also decide it")
        if any(
            step.action is FilingAction.APPROVED
            and step.actor_id == actor.user_id
            and step.revision == self.revision
            for step in self.history
        ):
            raise ApproverAlreadyDecided(
                f"{actor.user_id} already approved a level of {self.filing_id}; someone else decides this one"
            )

    def _check_filer(self, actor: Actor) -> None:
        office = office_of_filer(self.filed_by)
        if actor.user_id == self.filed_by or (
            office is not None and actor.unit_id == office and actor.roles & _OFFICE_ROLES
        ):
            return
        raise NotTheFiler(f"only the filer of {self.filing_id} can resubmit or withdraw it")


# A filing the competent office opened itself (on a forced-closure recommendation) names the office as its
# filer, ``office:<unit id>``: any of the office's staff acts as its filer (resubmits or withdraws it).
_OFFICE_FILER = "office:"
_OFFICE_ROLES = frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN})


def office_filer(office_unit_id: str) -> str:
    """The filer of a filing opened by a competent office rather than by one person."""
    return _OFFICE_FILER + office_unit_id


def office_of_filer(filed_by: str) -> str | None:
    """The office's unit id when ``filed_by`` names an office (see :func:`office_filer`), else None."""
    return filed_by.removeprefix(_OFFICE_FILER) if filed_by.startswith(_OFFICE_FILER) else None


def local_day(at: datetime) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware (take them from the injected clock)")
    return at.astimezone(SHANGHAI).date()


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("a reason is required to return or reject a filing")
    return reason
