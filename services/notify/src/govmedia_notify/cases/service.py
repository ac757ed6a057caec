"""Use cases of cases: open from an alert, follow the alert's resolution, reports and decisions.

Every use case runs in the caller's transaction (a request or a message) and never commits; it saves the
aggregate, writes the events it recorded to the outbox and the messages to the delivery table.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events.monitor import AlertRaised, AlertResolution, AlertResolved
from govmedia_common.events.outbox import write_recorded
from govmedia_common.ids import new_id
from govmedia_common.scoping import can_see, sees_only_own_unit
from govmedia_common.workdays import WorkCalendar
from govmedia_notify.cases import messages
from govmedia_notify.cases import repository as repo
from govmedia_notify.cases.domain import Case, days_overdue, local, opens_case, unknown_year_of_deadline
from govmedia_notify.channels.domain import Kind
from govmedia_notify.channels.service import Recipient, fan_out
from govmedia_notify.directory import repository as directory
from govmedia_notify.ladder import repository as ladder_repo
from govmedia_notify.ladder import service as ladder
from govmedia_notify.ladder.domain import ladder_year
from govmedia_notify.models import CaseRow, ReportRow
from govmedia_notify.rules import NotifyRules
from govmedia_notify.settings import NotifySettings

log = logging.getLogger(__name__)

DECIDING_ROLES = frozenset({"office_staff", "office_admin"})


def decides_for_office(principal: Principal) -> bool:
    """Office staff (and machine clients acting for an office) accept or return reports."""
    return principal.kind != "person" or bool(principal.roles & DECIDING_ROLES)


async def _commit(
    session: AsyncSession, case: Case, row: CaseRow | None, reports: list[ReportRow]
) -> CaseRow:
    saved = await repo.save(session, case, row, reports)
    await write_recorded(session, case)
    return saved


@dataclass
class Parties:
    """Who a case's messages go to: the host unit and its competent office, with names for the text."""

    account_name: str
    unit_name: str
    unit: Recipient
    office: Recipient | None
    principal_name: str | None


async def parties(session: AsyncSession, case: Case) -> Parties:
    account = await directory.get_account(session, case.account_id)
    unit = await directory.get_unit(session, case.unit_id)
    office = await directory.office_for(session, case.region_code)
    return Parties(
        account_name=account.name if account else case.account_id,
        unit_name=unit.name if unit else (account.unit_name if account else case.unit_id),
        unit=Recipient.of(unit) if unit else Recipient(case.unit_id, case.region_code),
        office=Recipient.of(office) if office and office.unit_id != case.unit_id else None,
        principal_name=unit.principal_name if unit else None,
    )


async def _send(
    session: AsyncSession,
    case: Case,
    *,
    kind: Kind,
    source: str,
    to: Sequence[Recipient | None],
    text: tuple[str, str],
    now: datetime,
    sms: bool = False,
) -> None:
    await fan_out(
        session,
        kind=kind,
        source_id=source,
        region_code=case.region_code,
        unit_id=case.unit_id,
        case_id=case.id,
        subject=text[0],
        body=text[1],
        payload={
            "case_id": case.id,
            "account_id": case.account_id,
            "unit_id": case.unit_id,
            "region_code": case.region_code,
            "rule": case.rule,
            "state": str(case.state),
            "rectify_by": case.rectify_by.isoformat(),
        },
        recipients=[r for r in to if r is not None],
        now=now,
        sms=sms,
    )


# ------------------------------------------------------------------------------------------------ alerts


async def _calendar_ready(
    session: AsyncSession, calendar: WorkCalendar, today: date, rules: NotifyRules
) -> None:
    """Make the loaded schedules of this year and the next available; say so when a deadline needs a
    year that has none (only then: calendar-day deadlines need no schedule at all)."""
    await directory.ensure_calendar(session, calendar, today)
    missing = unknown_year_of_deadline(today, rules, calendar)
    if missing is not None:
        directory.report_missing_schedule(calendar, missing)


async def open_case(
    session: AsyncSession, alert: AlertRaised, *, now: datetime, calendar: WorkCalendar
) -> Case | None:
    """Open the case of a violation alert (once per alert): notice, deadline, ladder step.

    The alert's resolution may have been read first (its raise dead-lettered and replayed, a republish):
    a false alarm then opens nothing (no notice, nothing on the ladder); another resolution is recorded on
    the case as it opens, so the case closes once its report is accepted, as in the usual order.
    """
    early = await repo.take_early_resolution(session, alert.alert_id)
    if not opens_case(alert) or await repo.case_exists_for_alert(session, alert.alert_id):
        return None
    resolution = AlertResolution(early) if early is not None else None
    if resolution is not None and resolution.false_alarm:
        log.info(
            "no case for an alert resolved as a false alarm before it was read",
            extra={"alert_id": alert.alert_id, "resolution": early},
        )
        return None
    rules = await directory.rules_for(session, alert.region_code)
    await _calendar_ready(session, calendar, local(now).date(), rules)
    year = ladder_year(local(alert.occurred_at).date(), rules)
    count = await ladder_repo.count_violation(session, alert.unit_id, year)
    case = Case.open(alert, now=now, rules=rules, calendar=calendar, ladder_year=year, ladder_ordinal=count)
    if resolution is not None:
        case.alert_resolved(resolution, now=now)
    await _commit(session, case, None, [])
    p = await parties(session, case)
    text = messages.notice(p.account_name, p.unit_name, case.rule, case.severity, case.rectify_by)
    await _send(
        session, case, kind=Kind.NOTICE, source=case.id, to=[p.unit, p.office], text=text, now=now, sms=True
    )
    await ladder.on_violation(session, case, rules=rules, now=now, calendar=calendar)
    return case


async def alert_resolved(session: AsyncSession, event: AlertResolved, *, now: datetime) -> Case | None:
    """The monitor resolved an alert: the case closes if its report was accepted, or if dismissed."""
    ids = await repo.open_case_ids_for_alert(session, event.alert_id)
    if not ids:
        # No case (yet): the alert may be read after its resolution, and must then find it. A warning
        # replaced by its violation ('escalated') opens nothing, whatever the order.
        if event.resolution is not AlertResolution.ESCALATED:
            await repo.remember_early_resolution(session, event.alert_id, str(event.resolution), now=now)
        return None
    loaded = await repo.load(session, ids[0], lock=True)
    assert loaded is not None
    case, row, reports = loaded
    was_closed = case.closed_at is not None
    case.alert_resolved(event.resolution, now=now, resolved_at=event.occurred_at)
    closed = not was_closed and case.closed_at is not None
    await _commit(session, case, row, reports)
    if closed:
        await _closed_message(session, case, now)
        if event.resolution.false_alarm:  # counted when the case opened: a false alarm counts against nobody
            await ladder.on_false_alarm(session, case, now=now)
    return case


async def _closed_message(session: AsyncSession, case: Case, now: datetime) -> None:
    p = await parties(session, case)
    text = messages.case_closed(p.account_name, bool(case.closed_on_time), case.outcome or "")
    await _send(
        session, case, kind=Kind.CASE_CLOSED, source=case.id, to=[p.unit, p.office], text=text, now=now
    )


# ------------------------------------------------------------------------------------------------ reports


@dataclass
class AttachmentRef:
    sha256: str
    filename: str


# What the first bytes of a file of each accepted type are (a PDF may have up to 1,024 bytes before its
# header); a type an operator adds without an entry here is not checked.
_SIGNATURES: dict[str, tuple[tuple[bytes, ...], int]] = {
    "application/pdf": ((b"%PDF-",), 1024),
    "image/jpeg": ((b"\xff\xd8\xff",), 0),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), 0),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ((b"PK\x03\x04",), 0),
}
_LOOKS_LIKE = {
    "a PDF": ((b"%PDF-",), 1024),
    "a JPEG image": ((b"\xff\xd8\xff",), 0),
    "a PNG image": ((b"\x89PNG\r\n\x1a\n",), 0),
    "a ZIP or Office file": ((b"PK\x03\x04",), 0),
    "a Windows program": ((b"MZ",), 0),
    "a web page": ((b"<!doctype html", b"<html", b"<?xml", b"<svg"), 0),
}


def _is(content: bytes, signature: tuple[tuple[bytes, ...], int]) -> bool:
    heads, slack = signature
    if slack:
        return any(h in content[: slack + len(h)] for h in heads)
    lowered = content[:64].lstrip().lower()
    return any(content.startswith(h) or lowered.startswith(h.lower()) for h in heads)


def _check_content(content: bytes, media_type: str) -> None:
    """Refuse bytes that are not of their declared type (a program or a web page sent as a PDF)."""
    signature = _SIGNATURES.get(media_type)
    if signature is None or _is(content, signature):
        return
    looks = next((name for name, sig in _LOOKS_LIKE.items() if _is(content, sig)), "something else")
    raise DomainError(
        ErrorKind.UNPROCESSABLE,
        "attachment-content-mismatch",
        f"The attachment was sent as {media_type} but its content is not one (it looks like {looks}); send "
        "the file with its own type.",
    )


async def upload_attachment(
    session: AsyncSession, *, content: bytes, media_type: str, settings: NotifySettings
) -> dict[str, object]:
    """Store an attachment by its content hash after checking its type and size."""
    media_type = media_type.split(";")[0].strip().lower()
    if media_type not in settings.attachment_types:
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "attachment-type-not-allowed",
            f"{media_type or 'no type'} is not accepted; send one of {', '.join(settings.attachment_types)}.",
        )
    if not content:
        raise DomainError(ErrorKind.UNPROCESSABLE, "attachment-empty", "The attachment is empty.")
    if len(content) > settings.attachment_max_bytes:
        raise DomainError(
            ErrorKind.PAYLOAD_TOO_LARGE,
            "attachment-too-large",
            f"The attachment is {len(content)} bytes; the limit is {settings.attachment_max_bytes}.",
        )
    _check_content(content, media_type)
    digest = hashlib.sha256(content).hexdigest()
    await repo.store_attachment(session, digest, media_type, content)
    return {"sha256": digest, "media_type": media_type, "size": len(content)}


async def _load_visible(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    expected_versions: Collection[int] | None = None,
) -> tuple[Case, CaseRow, list[ReportRow]]:
    """The case, locked; not found outside the caller's view; refused when not the version they read."""
    loaded = await repo.load(session, case_id, lock=True)
    if loaded is None or not can_see(principal, loaded[0].region_code, loaded[0].unit_id):
        raise not_found("Case", case_id)
    if expected_versions is not None and loaded[0].version not in expected_versions:
        raise DomainError(
            ErrorKind.PRECONDITION_FAILED,
            "stale-version",
            f"The case changed since you read it (now version {loaded[0].version}); reload and retry.",
            current_version=loaded[0].version,
            current_etag=f'W/"{loaded[0].version}"',  # the ETag api.py sends for this version
        )
    return loaded


async def submit_report(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    *,
    text: str,
    signed_by: str,
    sealed: bool,
    attachments: Sequence[AttachmentRef],
    now: datetime,
) -> Case:
    """The host unit submits its rectification report with attachments (stored by content hash)."""
    case, row, reports = await _load_visible(session, principal, case_id)
    if principal.kind == "person" and not sees_only_own_unit(principal):
        raise DomainError(ErrorKind.FORBIDDEN, "unit-submits", "The host unit submits its own report.")
    stored: list[dict[str, object]] = []
    for a in attachments:
        blob = await repo.get_attachment(session, a.sha256)
        if blob is None:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "attachment-unknown",
                f"{a.filename}: upload it first (POST /v1/attachments).",
            )
        stored.append(
            {"sha256": a.sha256, "filename": a.filename, "media_type": blob.media_type, "size": blob.size}
        )
    p = await parties(session, case)
    case.submit_report(
        report_id=new_id(),
        text=text,
        signed_by=signed_by,
        sealed=sealed,
        submitted_by=principal.subject,
        attachments=stored,
        principal_name=p.principal_name,
        now=now,
    )
    await _commit(session, case, row, reports)
    msg = messages.report_submitted(p.account_name, p.unit_name, signed_by)
    await _send(
        session,
        case,
        kind=Kind.REPORT_SUBMITTED,
        source=case.reports[-1].id,
        to=[p.office or p.unit],
        text=msg,
        now=now,
    )
    return case


def _office_only(principal: Principal) -> None:
    if not decides_for_office(principal):
        raise DomainError(
            ErrorKind.FORBIDDEN, "office-decides", "Only the competent office accepts or returns reports."
        )


async def accept_report(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    report_id: str,
    *,
    now: datetime,
    expected_versions: Collection[int] | None = None,
) -> Case:
    """The office accepts the report; the case closes when the alert is (or becomes) resolved."""
    _office_only(principal)
    case, row, reports = await _load_visible(session, principal, case_id, expected_versions)
    case.accept_report(report_id, by=principal.name or principal.subject, now=now)
    closed = case.closed_at is not None
    await _commit(session, case, row, reports)
    p = await parties(session, case)
    await _send(
        session,
        case,
        kind=Kind.REPORT_ACCEPTED,
        source=report_id,
        to=[p.unit],
        text=messages.report_accepted(p.account_name),
        now=now,
    )
    if closed:
        await _closed_message(session, case, now)
    return case


async def return_report(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    report_id: str,
    *,
    reason: str,
    now: datetime,
    calendar: WorkCalendar,
    expected_versions: Collection[int] | None = None,
) -> Case:
    """The office returns the report with a reason; a new deadline runs."""
    _office_only(principal)
    case, row, reports = await _load_visible(session, principal, case_id, expected_versions)
    rules = await directory.rules_for(session, case.region_code)
    await _calendar_ready(session, calendar, local(now).date(), rules)
    case.return_report(
        report_id,
        by=principal.name or principal.subject,
        reason=reason,
        now=now,
        rules=rules,
        calendar=calendar,
    )
    await _commit(session, case, row, reports)
    p = await parties(session, case)
    msg = messages.report_returned(p.account_name, reason, case.rectify_by)
    await _send(
        session, case, kind=Kind.REPORT_RETURNED, source=report_id, to=[p.unit], text=msg, now=now, sms=True
    )
    return case


async def get_case(session: AsyncSession, principal: Principal, case_id: str) -> Case:
    loaded = await repo.load(session, case_id)
    if loaded is None or not can_see(principal, loaded[0].region_code, loaded[0].unit_id):
        raise not_found("Case", case_id)
    return loaded[0]


# ------------------------------------------------------------------------------------------------ the sweep


async def sweep_case(session: AsyncSession, case_id: str, *, now: datetime) -> tuple[bool, bool]:
    """Send the case's daily reminder and escalate it when overdue; (reminded, escalated)."""
    loaded = await repo.load(session, case_id, lock=True)
    if loaded is None:
        return False, False
    case, row, reports = loaded
    rules = await directory.rules_for(session, case.region_code)
    reminded = case.remind_if_due(now=now, rules=rules)
    escalated = case.escalate_if_overdue(now=now, rules=rules)
    if not (reminded or escalated):
        return False, False
    await _commit(session, case, row, reports)
    p = await parties(session, case)
    late = days_overdue(local(now).date(), case.rectify_by)
    if reminded:
        text = messages.reminder(
            p.account_name, p.unit_name, case.rule, case.rectify_by, case.reminders_sent, late
        )
        await _send(
            session,
            case,
            kind=Kind.REMINDER,
            source=f"{case.id}:{case.reminders_sent}",
            to=[p.unit],
            text=text,
            now=now,
            sms=True,
        )
    if escalated:
        text = messages.escalation(p.account_name, p.unit_name, case.rule, case.rectify_by, late)
        await _send(
            session, case, kind=Kind.ESCALATION, source=case.id, to=[p.office, p.unit], text=text, now=now
        )
    return reminded, escalated
