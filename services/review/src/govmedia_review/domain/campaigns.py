"""Joint pushes (联动推送): content target accounts republish by a deadline, and how far they got."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import CampaignIssued, CampaignTargetCompleted
from govmedia_common.events.recorder import RecordsEvents

__all__ = [
    "Campaign",
    "CampaignProgress",
    "DeadlineInPast",
    "Target",
    "TargetState",
    "campaign_progress",
    "target_state",
]


class DeadlineInPast(DomainError):
    """A joint push is issued with a deadline still ahead."""

    kind = ErrorKind.UNPROCESSABLE
    code = "deadline-in-past"


class TargetState(StrEnum):
    """Where a target account of a joint push (联动推送) stands."""

    PENDING = "pending"
    ON_TIME = "on_time"
    LATE = "late"


def target_state(completed_at: datetime | None, deadline: datetime) -> TargetState:
    """On time when published no later than the deadline; late after it; pending until published."""
    if completed_at is None:
        return TargetState.PENDING
    return TargetState.ON_TIME if completed_at <= deadline else TargetState.LATE


@dataclass(frozen=True)
class CampaignProgress:
    """How far a joint push got: the 协同完成率 and its on-time part."""

    total: int
    on_time: int
    late: int
    pending: int

    @property
    def completion_rate(self) -> float:
        """Completed targets (on time or late) over all targets, 0..1."""
        return (self.on_time + self.late) / self.total if self.total else 0.0

    @property
    def on_time_rate(self) -> float:
        """Targets completed by the deadline over all targets, 0..1."""
        return self.on_time / self.total if self.total else 0.0


def campaign_progress(states: Iterable[TargetState]) -> CampaignProgress:
    """Count the targets' states."""
    counts = dict.fromkeys(TargetState, 0)
    for state in states:
        counts[state] += 1
    return CampaignProgress(
        total=sum(counts.values()),
        on_time=counts[TargetState.ON_TIME],
        late=counts[TargetState.LATE],
        pending=counts[TargetState.PENDING],
    )


@dataclass
class Target:
    """One account that must republish the push, and when it did."""

    account_id: str
    account_name: str
    platform: str
    unit_id: str
    region_code: str
    post_id: str | None = None
    completed_at: datetime | None = None
    on_time: bool | None = None


@dataclass
class Campaign(RecordsEvents):
    """A joint push and its targets; issuing and completing a target record their events."""

    id: str
    title: str
    body: str
    content_hash: str
    deadline: datetime
    issuer_id: str
    issuer_name: str
    issuer_region_code: str
    targeting: dict[str, Any]
    issued_at: datetime
    targets: list[Target] = field(default_factory=list)

    @staticmethod
    def ensure_deadline(deadline: datetime, at: datetime) -> None:
        """The deadline of a new joint push lies in the future."""
        if deadline <= at:
            raise DeadlineInPast("The deadline must lie in the future.")

    @classmethod
    def issue(
        cls,
        *,
        id: str,
        title: str,
        body: str,
        content_hash: str,
        deadline: datetime,
        issuer_id: str,
        issuer_name: str,
        issuer_region_code: str,
        targeting: dict[str, Any],
        targets: list[Target],
        at: datetime,
    ) -> Campaign:
        """A competent office issues a joint push (the targets are resolved and checked by the service)."""
        cls.ensure_deadline(deadline, at)
        campaign = cls(
            id=id,
            title=title,
            body=body,
            content_hash=content_hash,
            deadline=deadline,
            issuer_id=issuer_id,
            issuer_name=issuer_name,
            issuer_region_code=issuer_region_code,
            targeting=targeting,
            issued_at=at,
            targets=targets,
        )
        campaign.record(
            CampaignIssued(
                occurred_at=at,
                campaign_id=id,
                title=title,
                content_hash=content_hash,
                target_account_ids=tuple(t.account_id for t in targets),
                deadline=deadline,
                issuer_region_code=issuer_region_code,
                issued_by=issuer_id,
            )
        )
        return campaign

    def target(self, account_id: str) -> Target | None:
        return next((t for t in self.targets if t.account_id == account_id), None)

    def complete(self, account_id: str, post_id: str, *, published_at: datetime, at: datetime) -> bool:
        """A target published its republication; the first one counts, a second changes nothing."""
        target = self.target(account_id)
        if target is None or target.completed_at is not None:
            return False
        target.post_id, target.completed_at = post_id, published_at
        target.on_time = target_state(published_at, self.deadline) is TargetState.ON_TIME
        self.record(
            CampaignTargetCompleted(
                occurred_at=at,
                campaign_id=self.id,
                account_id=account_id,
                post_id=post_id,
                completed_at=published_at,
                deadline=self.deadline,
                on_time=target.on_time,
            )
        )
        return True

    def states(self) -> list[TargetState]:
        return [target_state(t.completed_at, self.deadline) for t in self.targets]

    @property
    def progress(self) -> CampaignProgress:
        return campaign_progress(self.states())
