"""Use cases of the ladder: count a violation, schedule the interview a step calls for, record it held."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.notify import InterviewCancelled, InterviewHeld, InterviewScheduled
from govmedia_common.outbox import add_event
from govmedia_common.workdays import SHANGHAI, UnknownCalendarYear, WorkCalendar
from govmedia_notify.cases import messages
from govmedia_notify.cases.domain import Case, local
from govmedia_notify.channels.domain import Kind
from govmedia_notify.channels.service import Recipient, fan_out
from govmedia_notify.directory import repository as directory
from govmedia_notify.ladder import repository as repo
from govmedia_notify.ladder.domain import interview_id_for, step_for
from govmedia_notify.models import InterviewRow
from govmedia_notify.rules import NotifyRules


async def on_violation(
    session: AsyncSession, case: Case, *, rules: NotifyRules, now: datetime, calendar: WorkCalendar
) -> InterviewRow | None:
    """Schedule the interview the case's place in its unit's year calls for (二四六), if any."""
    step = step_for(case.ladder_ordinal, rules)
    if step is None:
        return None
    unit = await directory.get_unit(session, case.unit_id)
    if step.interviewee_role == "liaison":
        liaison = await directory.liaison_of(session, unit, case.unit_id)
        interviewee = liaison.name if liaison else None
    elif step.interviewee_role == "deputy_head":
        interviewee = unit.deputy_head_name if unit else None
    else:
        interviewee = unit.principal_name if unit else None
    today = local(now).date()
    try:
        day = calendar.add_workdays(today, rules.interview_lead_days)
    except UnknownCalendarYear as missing:  # the interview is not put off for it
        directory.report_missing_schedule(calendar, missing.year)
        day = today + timedelta(days=rules.interview_lead_days)
    when = datetime.combine(day, rules.reminder_time, SHANGHAI)
    interview_id = interview_id_for(case.unit_id, case.ladder_year, case.ladder_ordinal)
    row = await repo.get_interview(session, interview_id, lock=True)
    source = interview_id
    if row is not None and row.cancelled_at is None:
        return row  # scheduled (or held) already at this count: never twice
    fields = {
        "case_id": case.id,
        "account_id": case.account_id,
        "ladder_step": step.threshold,
        "interviewee_role": step.interviewee_role,
        "interviewee_name": interviewee,
        "interviewer_role": step.interviewer_role,
        "scheduled_for": when,
        "created_at": now,
    }
    if row is None:
        row = InterviewRow(
            id=interview_id,
            unit_id=case.unit_id,
            region_code=case.region_code,
            year=case.ladder_year,
            violation_count=case.ladder_ordinal,
            **fields,
        )
        await repo.add_interview(session, row)
    else:  # withdrawn after a false alarm, and now reached again by a real violation
        for key, value in fields.items():
            setattr(row, key, value)
        row.cancelled_at, row.cancel_reason = None, None
        source = f"{interview_id}:{case.id}"
        await session.flush()
    await add_event(
        session,
        InterviewScheduled(
            occurred_at=now,
            account_id=case.account_id,
            case_id=case.id,
            interview_id=row.id,
            unit_id=case.unit_id,
            year=case.ladder_year,
            violation_count=case.ladder_ordinal,
            ladder_step=step.threshold,
            interviewee_role=step.interviewee_role,
            interviewer_role=step.interviewer_role,
            scheduled_for=when,
            interviewee_name=interviewee,
        ),
    )
    office = await directory.office_for(session, case.region_code)
    who = messages.ROLE_NAMES[step.interviewee_role] + (f"{interviewee}" if interviewee else "")
    subject, body = messages.interview(
        unit.name if unit else case.unit_id,
        case.ladder_ordinal,
        who,
        messages.ROLE_NAMES[step.interviewer_role],
        f"{when:%Y-%m-%d %H:%M}",
    )
    recipients = [Recipient.of(u) for u in (unit, office) if u is not None] or [
        Recipient(case.unit_id, case.region_code)
    ]
    await fan_out(
        session,
        kind=Kind.INTERVIEW,
        source_id=source,
        region_code=case.region_code,
        unit_id=case.unit_id,
        case_id=case.id,
        subject=subject,
        body=body,
        payload={
            "interview_id": row.id,
            "unit_id": case.unit_id,
            "violation_count": case.ladder_ordinal,
            "interviewee_role": step.interviewee_role,
            "interviewer_role": step.interviewer_role,
            "scheduled_for": when.isoformat(),
        },
        recipients=recipients,
        now=now,
    )
    return row


async def on_false_alarm(session: AsyncSession, case: Case, *, now: datetime) -> list[InterviewRow]:
    """A case's alert was a false alarm (dismissed, retracted): it no longer counts on the ladder.

    The unit's count of the year goes back by one, and the interviews scheduled above the new count that
    have not taken place are withdrawn (InterviewCancelled): the ladder follows the real violations even
    when a false alarm is resolved only after later ones. Returns the withdrawn interviews.
    """
    counted = await repo.uncount_violation(session, case.unit_id, case.ladder_year)
    if counted is None:  # nothing was counted for the unit's year: nothing to withdraw either
        return []
    withdrawn = list(await repo.pending_interviews_above(session, case.unit_id, case.ladder_year, counted))
    reason = (
        f"alert {case.alert_id} was a false alarm ({case.alert_resolution}); "
        f"the unit's violations in {case.ladder_year} are now {counted}"
    )
    unit = await directory.get_unit(session, case.unit_id)
    office = await directory.office_for(session, case.region_code)
    for row in withdrawn:
        row.cancelled_at, row.cancel_reason = now, reason
        await add_event(
            session,
            InterviewCancelled(
                occurred_at=now,
                account_id=row.account_id,
                case_id=row.case_id,
                interview_id=row.id,
                unit_id=row.unit_id,
                year=row.year,
                violation_count=row.violation_count,
                counted=counted,
                reason=reason,
            ),
        )
        subject, body = messages.interview_cancelled(
            unit.name if unit else row.unit_id,
            row.violation_count,
            counted,
            f"{row.scheduled_for:%Y-%m-%d %H:%M}",
        )
        await fan_out(
            session,
            kind=Kind.INTERVIEW,
            source_id=f"{row.id}:cancelled:{case.id}",
            region_code=row.region_code,
            unit_id=row.unit_id,
            case_id=row.case_id,
            subject=subject,
            body=body,
            payload={
                "interview_id": row.id,
                "unit_id": row.unit_id,
                "violation_count": row.violation_count,
                "cancelled": True,
                "counted": counted,
                "false_alarm_case_id": case.id,  # with the interview: the message's source
            },
            recipients=[Recipient.of(u) for u in (unit, office) if u is not None]
            or [Recipient(row.unit_id, row.region_code)],
            now=now,
        )
    await session.flush()
    return withdrawn


async def record_held(
    session: AsyncSession,
    principal: Principal,
    interview_id: str,
    *,
    held_at: datetime,
    notes: str,
    now: datetime,
) -> InterviewRow:
    """Record that an interview took place (once), with notes."""
    row = await repo.get_interview(session, interview_id, lock=True)
    if row is None or not principal.can_see_region(row.region_code):
        raise not_found("Interview", interview_id)
    if row.held_at is not None:
        raise DomainError(
            ErrorKind.CONFLICT, "interview-already-held", "This interview was recorded as held already."
        )
    if row.cancelled_at is not None:
        raise DomainError(
            ErrorKind.CONFLICT, "interview-cancelled", f"This interview was withdrawn: {row.cancel_reason}"
        )
    if held_at > now:
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "held-in-future", "An interview cannot be recorded before it happens."
        )
    if held_at < row.created_at:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "held-before-scheduled",
            f"held_at lies before the interview was scheduled ({row.created_at.isoformat()}): give the day "
            "it took place.",
        )
    row.held_at, row.held_notes, row.recorded_by = held_at, notes, principal.subject
    await add_event(
        session,
        InterviewHeld(
            occurred_at=now,
            account_id=row.account_id,
            case_id=row.case_id,
            interview_id=row.id,
            unit_id=row.unit_id,
            held_at=held_at,
            recorded_by=principal.subject,
        ),
    )
    await session.flush()
    return row
