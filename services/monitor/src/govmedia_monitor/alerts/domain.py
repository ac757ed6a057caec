"""An alert's life as plain Python: open (possibly escalated), then resolved — cleared, re-checked or
dismissed with a reason. The object records the events its transitions cause. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import AlertResolution, AlertResolved, AlertRule, Event

OPEN = "open"
RESOLVED = "resolved"


@dataclass
class AlertState:
    """One alert of one account, rule and period."""

    id: str
    account_id: str
    unit_id: str
    region_code: str
    rule: str
    severity: str
    alert_class: str
    period: str
    detail: dict[str, Any]
    state: str
    raised_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None
    resolution_reason: str | None = None
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def resolve(
        self, resolution: AlertResolution, *, at: datetime, by: str | None = None, reason: str | None = None
    ) -> None:
        """Close the alert; refused when it is not open (an alert is resolved once)."""
        if not self.is_open:
            raise DomainError(
                ErrorKind.RULE_VIOLATED,
                "alert-not-open",
                f"Alert {self.id} is already {self.state} ({self.resolution}).",
            )
        self.state = RESOLVED
        self.resolution = str(resolution)
        self.resolved_at = at
        self.updated_at = at
        self.resolved_by = by
        self.resolution_reason = reason
        self.events.append(
            AlertResolved(
                occurred_at=at,
                alert_id=self.id,
                account_id=self.account_id,
                rule=AlertRule(self.rule),
                period=self.period,
                resolution=resolution,
                resolved_by=by,
                reason=reason,
            )
        )

    def dismiss(self, *, by: str, reason: str, at: datetime) -> None:
        """An office dismisses the alert as a false positive; the reason is required."""
        if not reason.strip():
            raise DomainError(
                ErrorKind.UNPROCESSABLE, "reason-required", "A dismissal needs a written reason."
            )
        self.resolve(AlertResolution.DISMISSED, at=at, by=by, reason=reason.strip())
