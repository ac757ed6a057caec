"""Alerts: raised once per (account, rule, period), escalated, resolved when cleared, dismissed with a reason.

Every change writes its event to the outbox in the caller's transaction. An open warning that becomes a
violation (the sweeps) turns into a new alert: the row of its (account, rule, period) gets a new id,
``AlertRaised`` announces the violation (``detail.escalated_from``, ``detail.previous_alert_id``) and
``AlertResolved`` with resolution ``escalated`` closes the warning, so consumers keyed by alert id (notify's
cases, scoring's vetoes) see a violation raised on the day it happened.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.db import RecordJson
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import (
    AlertClass,
    AlertRaised,
    AlertResolution,
    AlertResolved,
    AlertRule,
    AlertSeverity,
    Event,
)
from govmedia_common.events.outbox import (
    check_sql_outbox,
    sql_headers,
    sql_outbox_cte,
    sql_outbox_summary,
    write_events,
)
from govmedia_common.ids import SQL_BATCH_ID, time_ordered_prefix
from govmedia_common.scoping import known_region, scoped
from govmedia_monitor.alerts import mapping
from govmedia_monitor.alerts.domain import OPEN, RESOLVED
from govmedia_monitor.models import Account, Alert
from govmedia_monitor.rules.domain import RULES


async def add_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Write many events to the outbox in one statement, each under the event-size guard (never commits)."""
    await write_events(session, events)


def raised_event(row: Any, at: datetime) -> AlertRaised:
    """``AlertRaised`` for an alert row (a model instance or a RETURNING row)."""
    return AlertRaised(
        occurred_at=at,
        alert_id=row.id,
        account_id=row.account_id,
        unit_id=row.unit_id,
        region_code=row.region_code,
        rule=AlertRule(row.rule),
        severity=AlertSeverity(row.severity),
        alert_class=AlertClass(row.alert_class),
        period=row.period,
        detail=dict(row.detail or {}),
    )


def resolved_event(row: Any, at: datetime) -> AlertResolved:
    """``AlertResolved`` for a resolved alert row."""
    return AlertResolved(
        occurred_at=at,
        alert_id=row.id,
        account_id=row.account_id,
        rule=AlertRule(row.rule),
        period=row.period,
        resolution=AlertResolution(row.resolution),
        resolved_by=row.resolved_by,
        reason=getattr(row, "resolution_reason", None),
    )


async def raise_alert(
    session: AsyncSession,
    *,
    account: Account,
    rule: AlertRule,
    period: str,
    detail: dict[str, Any],
    at: datetime,
    severity: AlertSeverity | None = None,
) -> Alert | None:
    """Open an alert unless one exists for (account, rule, period); the new alert, or None."""
    spec = RULES[rule]
    values = {
        "id": str(uuid.uuid4()),
        "account_id": account.account_id,
        "unit_id": account.unit_id,
        "region_code": account.region_code,
        "rule": str(rule),
        "severity": str(severity or spec.severity),
        "alert_class": str(spec.alert_class),
        "period": period,
        "detail": detail,
        "state": OPEN,
        "raised_at": at,
        "updated_at": at,
    }
    row = (
        await session.execute(
            insert(Alert)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_alerts_account_rule_period")
            .returning(Alert)
        )
    ).scalar_one_or_none()
    if row is not None:
        await add_events(session, [raised_event(row, at)])
    return row


@dataclass(frozen=True)
class NewAlert:
    """An alert to open unless one exists for its (account, rule, period): :func:`raise_many`."""

    account: Account
    rule: AlertRule
    period: str
    detail: dict[str, Any]
    severity: AlertSeverity | None = None


def probe_raised(at: datetime) -> AlertRaised:
    """An ``AlertRaised`` of no alert, for a statement that builds its events in SQL: its envelope's headers
    (:func:`sql_headers`) and its ``occurred_at`` as the events carry them."""
    probe = str(uuid.UUID(int=0))
    return AlertRaised(
        occurred_at=at,
        alert_id=probe,
        account_id=probe,
        unit_id=probe,
        region_code="330000",
        rule=AlertRule.NOT_UPDATED,
        severity=AlertSeverity.WARNING,
        alert_class=AlertClass.NOT_UPDATED,
        period="probe",
        detail={},
    )


async def raise_many(session: AsyncSession, new: Sequence[NewAlert], *, at: datetime) -> int:
    """:func:`raise_alert` for many alerts in one statement: each opens unless an alert of its (account, rule,
    period) exists (or comes earlier in ``new``), with its ``AlertRaised`` written in the same statement by
    the common set-based outbox writer under its size guard (one event too large refuses them all:
    ``EventTooLarge`` rolls the caller's transaction back). Returns how many alerts were opened.

    A bulk ingest raises thousands at once (未审先发 of a connector catching up): one by one, 5,000 took
    most of a minute, longer than a client waits.
    """
    if not new:
        return 0
    template = probe_raised(at)  # its headers: the template of every event of the statement (sql_headers)
    params = {
        "accounts": [n.account.account_id for n in new],
        "units": [n.account.unit_id for n in new],
        "regions": [n.account.region_code for n in new],
        "rules": [str(n.rule) for n in new],
        "severities": [str(n.severity or RULES[n.rule].severity) for n in new],
        "classes": [str(RULES[n.rule].alert_class) for n in new],
        "periods": [n.period for n in new],
        "details": [json.dumps(n.detail, ensure_ascii=False) for n in new],
        "at": at,
        "type": AlertRaised.event_type,
        "topic": AlertRaised.topic,
        "occurred_at": template.model_dump(mode="json")["occurred_at"],
        "headers": sql_headers(template),
        "id_prefix": time_ordered_prefix(),
    }
    return check_sql_outbox((await session.execute(_raise_many_sql(), params)).one())


@functools.cache
def _raise_many_sql() -> TextClause:
    return text(
        f"""
    WITH src AS (
        SELECT * FROM unnest(
            CAST(:accounts AS text[]), CAST(:units AS text[]), CAST(:regions AS text[]),
            CAST(:rules AS text[]), CAST(:severities AS text[]), CAST(:classes AS text[]),
            CAST(:periods AS text[]), CAST(CAST(:details AS text[]) AS jsonb[])
        ) WITH ORDINALITY AS s(account_id, unit_id, region_code, rule, severity, alert_class, period, detail,
                               ord)
    ), ins AS (
        -- DO NOTHING: an alert of the (account, rule, period) stays as it is, and so does the first of two in
        -- one batch; only the alerts opened now have an event.
        INSERT INTO alerts (id, account_id, unit_id, region_code, rule, severity, alert_class, period, detail,
                            state, raised_at, updated_at)
        SELECT gen_random_uuid()::text, s.account_id, s.unit_id, s.region_code, s.rule, s.severity,
               s.alert_class, s.period, s.detail, 'open', :at, :at
        FROM src s ORDER BY s.ord
        ON CONFLICT (account_id, rule, period) DO NOTHING
        RETURNING id, account_id, unit_id, region_code, rule, severity, alert_class, period, detail
    ), ev AS (
        SELECT {SQL_BATCH_ID} AS event_id, ins.* FROM ins
    ), evrows AS (
        SELECT ev.event_id AS id, 'account' AS aggregatetype, ev.account_id AS aggregateid,
               CAST(:type AS text) AS type, CAST(:topic AS text) AS topic,
               json_build_object(
                   'occurred_at', CAST(:occurred_at AS text), 'alert_id', ev.id, 'account_id', ev.account_id,
                   'unit_id', ev.unit_id, 'region_code', ev.region_code, 'rule', ev.rule,
                   'severity', ev.severity, 'alert_class', ev.alert_class, 'period', ev.period,
                   'detail', ev.detail) AS payload,
               CAST(:headers AS json) AS headers  -- the relay fills in ce_id and ce_subject (sql_headers)
        FROM ev
    ), {sql_outbox_cte("evrows")}
    SELECT {sql_outbox_summary()}
    """
    ).bindparams(bindparam("headers", type_=RecordJson))


async def resolve_where(
    session: AsyncSession,
    *,
    account_id: str,
    rule: AlertRule,
    periods: Iterable[str] | None,
    resolution: AlertResolution,
    at: datetime,
    by: str | None = None,
) -> list[Alert]:
    """Resolve the open alerts of an account and rule (for the given periods, or all)."""
    stmt = (
        update(Alert)
        .where(Alert.account_id == account_id, Alert.rule == str(rule), Alert.state == OPEN)
        .values(state=RESOLVED, resolution=str(resolution), resolved_at=at, updated_at=at, resolved_by=by)
        .returning(Alert)
    )
    if periods is not None:
        stmt = stmt.where(Alert.period.in_(list(periods)))
    rows = list((await session.execute(stmt)).scalars())
    await add_events(session, [resolved_event(r, at) for r in rows])
    return rows


async def resolve_many(
    session: AsyncSession,
    keys: Sequence[tuple[str, AlertRule, str]],
    *,
    resolution: AlertResolution,
    at: datetime,
) -> list[Any]:
    """:func:`resolve_where` for many (account, rule, period) keys in one statement: the open alerts among
    them resolve, each with its ``AlertResolved`` (one ``INSERT`` for all). A bulk of posts edited back on
    the platform clears thousands at once; one statement per alert took a second per few hundred."""
    if not keys:
        return []
    params = {
        "accounts": [k[0] for k in keys],
        "rules": [str(k[1]) for k in keys],
        "periods": [k[2] for k in keys],
        "resolution": str(resolution),
        "at": at,
    }
    rows = list((await session.execute(_RESOLVE_MANY, params)).all())
    await add_events(session, [resolved_event(r, at) for r in rows])
    return rows


_RESOLVE_MANY = text(
    """
    UPDATE alerts a SET state = 'resolved', resolution = :resolution, resolved_at = :at, updated_at = :at,
                        resolved_by = NULL
    FROM (SELECT DISTINCT * FROM unnest(CAST(:accounts AS text[]), CAST(:rules AS text[]),
                                        CAST(:periods AS text[])) AS k(account_id, rule, period)) k
    WHERE a.state = 'open' AND a.account_id = k.account_id AND a.rule = k.rule AND a.period = k.period
    RETURNING a.*
    """
)


async def get_visible(
    session: AsyncSession, principal: Principal, alert_id: str, *, lock: bool = False
) -> Alert:
    """An alert the caller may see, or a 404 that does not reveal alerts elsewhere."""
    stmt = scoped(select(Alert).where(Alert.id == alert_id), principal, Alert.region_code, Alert.unit_id)
    if lock:
        stmt = stmt.with_for_update()
    row: Alert | None = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise not_found("alert", alert_id)
    return row


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    *,
    region_code: str | None,
    unit_id: str | None,
    account_id: str | None,
    alert_class: str | None,
    rule: str | None,
    state: str | None,
    after_seq: int | None,
    limit: int,
) -> list[Alert]:
    """Alerts visible to the caller, newest first, filtered."""
    stmt = scoped(select(Alert), principal, Alert.region_code, Alert.unit_id)
    if region_code is not None:
        # as every region parameter answers: 404 for a region elsewhere, and for one no event named
        await known_region(session, principal, region_code)
        from govmedia_common.auth import region_prefix

        stmt = stmt.where(Alert.region_code.startswith(region_prefix(region_code), autoescape=True))
    if unit_id is not None:
        stmt = stmt.where(Alert.unit_id == unit_id)
    if account_id is not None:
        stmt = stmt.where(Alert.account_id == account_id)
    if alert_class is not None:
        stmt = stmt.where(Alert.alert_class == alert_class)
    if rule is not None:
        stmt = stmt.where(Alert.rule == rule)
    if state is not None:
        stmt = stmt.where(Alert.state == state)
    if after_seq is not None:
        stmt = stmt.where(Alert.seq < after_seq)
    stmt = stmt.order_by(Alert.seq.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def dismiss(
    session: AsyncSession, principal: Principal, alert_id: str, *, reason: str, at: datetime
) -> Alert:
    """An office dismisses an open alert as a false positive, with a written reason (audited)."""
    if not principal.roles & {"office_staff", "office_admin"}:
        raise DomainError(
            ErrorKind.FORBIDDEN, "office-only", "Only staff of a competent office may dismiss alerts."
        )
    row = await get_visible(session, principal, alert_id, lock=True)
    alert = mapping.to_domain(row)
    alert.dismiss(by=principal.subject, reason=reason, at=at)
    mapping.apply(alert, row)
    await session.flush()
    await add_events(session, alert.events)
    await audit.record(
        session,
        principal=principal,
        action="alert.dismiss",
        target=alert_id,
        detail={"reason": alert.resolution_reason, "rule": alert.rule, "account_id": alert.account_id},
    )
    return row
