"""The one mapping between a filing's rows (``filings`` + its ``filing_decisions``) and :class:`FilingFlow`.

Everything the rules read comes back: the status, the level it waits at, the revision and the whole
history (who did what, at which level, on which revision). Saving writes the scalar state onto the row and
appends the steps taken since loading as new decision rows; stored steps are never rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from govmedia_common.events import ApprovalLevel, FilingType
from govmedia_registry.filings.domain import FilingAction, FilingFlow, FilingStatus, FilingStep, local_day
from govmedia_registry.mapping_kit import assign
from govmedia_registry.models import Filing, FilingDecision
from govmedia_registry.regions.rules import RegistryRules

# The decision words of the public API (``FilingOut.decisions[].decision``) for each step of the history.
DECISION_OF: dict[FilingAction, str] = {
    FilingAction.SUBMITTED: "submitted",
    FilingAction.APPROVED: "approve",
    FilingAction.RETURNED: "return",
    FilingAction.REJECTED: "reject",
    FilingAction.RESUBMITTED: "resubmitted",
    FilingAction.WITHDRAWN: "withdrawn",
}
ACTION_OF = {word: action for action, word in DECISION_OF.items()}
_DECIDED = (FilingAction.APPROVED, FilingAction.REJECTED, FilingAction.WITHDRAWN)


def step_from_row(row: FilingDecision) -> FilingStep:
    return FilingStep(
        action=ACTION_OF[row.decision],
        actor_id=row.actor_id,
        at=row.at,
        revision=row.revision,
        level=ApprovalLevel(row.level) if row.level else None,
        reason=row.reason,
        actor_name=row.actor_name,
    )


def step_to_row(filing_id: str, step: FilingStep) -> FilingDecision:
    return FilingDecision(
        filing_id=filing_id,
        level=str(step.level) if step.level else None,
        decision=DECISION_OF[step.action],
        actor_id=step.actor_id,
        actor_name=step.actor_name,
        reason=step.reason,
        at=step.at,
        revision=step.revision,
    )


def filing_from_rows(row: Filing, decisions: Sequence[FilingDecision], rules: RegistryRules) -> FilingFlow:
    """Rebuild the filing with its history; who may decide each level follows today's rules of its region."""
    history = [step_from_row(d) for d in decisions]
    status = FilingStatus(row.status)
    decided = [s for s in history if s.action in _DECIDED and s.revision == row.revision]
    return FilingFlow(
        filing_id=row.id,
        filing_type=FilingType(row.filing_type),
        unit_id=row.unit_id,
        region_code=row.region_code,
        filed_by=row.filed_by,
        levels=tuple(ApprovalLevel(x) for x in row.levels),
        event_date=row.event_date,
        filed_on=row.filed_on,
        deadline=row.deadline,
        approver_roles=rules.approver_roles,
        status=status,
        current_index=row.current_level,
        revision=row.revision,
        decided_on=local_day(decided[-1].at) if decided and status is not FilingStatus.PENDING else None,
        history=history,
        account_id=row.account_id,
        payload=dict(row.payload),
        announcement_starts_on=row.announcement_starts_on,
        announcement_ends_on=row.announcement_ends_on,
        effective=row.effective,
        updated_at=row.updated_at,
        version=row.version,
        saved_steps=len(history),
    )


def filing_to_rows(flow: FilingFlow, row: Filing | None = None) -> tuple[Filing, list[FilingDecision]]:
    """Write the filing's state onto ``row`` (a new row when None) and return the steps not yet stored."""
    if row is None:
        row = Filing(id=flow.filing_id)
    assign(row, "account_id", flow.account_id)
    assign(row, "filing_type", str(flow.filing_type))
    assign(row, "status", str(flow.status))
    assign(row, "levels", [str(x) for x in flow.levels])
    assign(row, "current_level", flow.current_index)
    assign(row, "revision", flow.revision)
    assign(row, "payload", dict(flow.payload))
    assign(row, "region_code", flow.region_code)
    assign(row, "unit_id", flow.unit_id)
    assign(row, "event_date", flow.event_date)
    assign(row, "filed_on", flow.filed_on)
    assign(row, "deadline", flow.deadline)
    assign(row, "late", flow.late)
    assign(row, "announcement_starts_on", flow.announcement_starts_on)
    assign(row, "announcement_ends_on", flow.announcement_ends_on)
    assign(row, "effective", flow.effective)
    assign(row, "filed_by", flow.filed_by)
    if flow.updated_at is not None:
        assign(row, "updated_at", flow.updated_at)
    new = [step_to_row(flow.filing_id, step) for step in flow.history[flow.saved_steps :]]
    flow.saved_steps = len(flow.history)
    return row, new
