"""Scheduled sweeps of the time-based rules, one set-based SQL statement per rule over all accounts.

Each statement computes who breaks the rule on ``as_of`` (with the thresholds of each account's region,
passed in as arrays), inserts new alerts (``ON CONFLICT`` on (account, rule, period): an existing one is
left alone, or escalated from warning to violation), and resolves the open alerts of the rule whose
condition no longer holds, and writes the ``AlertRaised``/``AlertResolved`` outbox rows of exactly those
alerts — all in one statement (header templates come from real envelopes, so the rows are what
``add_event`` would write; a test validates them). The outbox rows go through the common set-based writer
(``govmedia_common.events.outbox.sql_outbox_cte``) and its size guard: a sweep whose event would be over the
limit is refused whole.
Periods: the day a silence or a switch-off began (ISO day), or the message id.
"""

from __future__ import annotations

import functools
import time as timer
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.db import RecordJson
from govmedia_common.events import (
    AlertRaised,
    AlertResolution,
    AlertResolved,
    AlertRule,
)
from govmedia_common.events.outbox import check_sql_outbox, sql_headers, sql_outbox_cte, sql_outbox_summary
from govmedia_common.ids import SQL_BATCH_ID, time_ordered_prefix
from govmedia_common.workdays import SHANGHAI
from govmedia_monitor.alerts import service as alerts
from govmedia_monitor.models import Account
from govmedia_monitor.observations.service import region_sections
from govmedia_monitor.rules import calendar, exclusion
from govmedia_monitor.rules.thresholds import effective

_THRESHOLDS = """
t AS (
    SELECT * FROM unnest(
        CAST(:regions AS text[]), CAST(:warn AS int[]), CAST(:lim AS int[]), CAST(:lim_high AS int[]),
        CAST(:zombie AS int[]), CAST(:grace AS int[]), CAST(:msg_warn AS int[]), CAST(:msg_viol AS int[])
    ) AS t(region_code, warn, lim, lim_high, zombie, grace, msg_warn, msg_viol)
)"""

# Each account's silence (the day of its last post before the end of ``as_of``, else the day it became
# active) is computed once per sweep into a temporary table that the not-updated and zombie statements both
# read: one backward probe of ix_observed_posts_account_published per account. (Inlined as a CTE, the
# planner repeated that probe in every expression using ``since``: 7 per account, EXPLAIN ANALYZE.)
_SILENCE_TABLE = (
    "DROP TABLE IF EXISTS sweep_silence",
    """
CREATE TEMPORARY TABLE sweep_silence ON COMMIT DROP AS
SELECT a.account_id, a.unit_id, a.region_code, a.attention_tier,
       COALESCE(
           (SELECT (max(o.published_at) AT TIME ZONE 'Asia/Shanghai')::date FROM observed_posts o
            WHERE o.account_id = a.account_id AND o.published_at < :end),
           a.active_since) AS since
FROM accounts a
WHERE a.status = 'active' AND a.active_since IS NOT NULL AND a.region_code LIKE :within
""",
    "ANALYZE sweep_silence",
)

_SILENCE = """
c AS (
    SELECT s.account_id, s.unit_id, s.region_code, s.attention_tier, s.since, t.warn, t.lim, t.lim_high,
           t.zombie
    FROM sweep_silence s JOIN t ON t.region_code = s.region_code
)"""

_UPSERT_AND_RESOLVE = f"""
ins AS (
    INSERT INTO alerts (id, account_id, unit_id, region_code, rule, severity, alert_class, period, detail,
                        state, raised_at, updated_at)
    SELECT gen_random_uuid()::text, h.account_id, h.unit_id, h.region_code, :rule, h.severity, :alert_class,
           h.period, h.detail, 'open', :now, :now
    FROM h
    -- Skip what is already there (ON CONFLICT would lock every existing row even when it changes nothing):
    -- only new alerts, and open warnings that became violations, reach the insert.
    WHERE NOT EXISTS (
        SELECT 1 FROM alerts x
        WHERE x.account_id = h.account_id AND x.rule = :rule AND x.period = h.period
          AND NOT (x.state = 'open' AND x.severity = 'warning' AND h.severity = 'violation')
    )
    -- Escalation: the row becomes a new alert (new id, raised now) for the violation; the warning it
    -- replaces is announced resolved as 'escalated' (consumers keyed by alert id see two alerts).
    ON CONFLICT (account_id, rule, period) DO UPDATE
        SET id = EXCLUDED.id, severity = EXCLUDED.severity, raised_at = EXCLUDED.raised_at,
            updated_at = EXCLUDED.updated_at,
            detail = EXCLUDED.detail || jsonb_build_object('escalated_from', alerts.severity,
                                                           'previous_alert_id', alerts.id)
        WHERE alerts.state = 'open' AND alerts.severity = 'warning' AND EXCLUDED.severity = 'violation'
    RETURNING alerts.id, alerts.account_id, alerts.unit_id, alerts.region_code, alerts.rule, alerts.severity,
              alerts.alert_class, alerts.period, alerts.detail, alerts.resolution, alerts.resolved_by,
              (xmax = 0) AS inserted
), res AS (
    -- Open alerts of the rule whose condition no longer holds: a set difference (hashed), not an anti join
    -- that the planner, misled by the estimate of h, ran as a nested loop (quadratic in the open alerts).
    -- Only alerts raised by the end of as_of: a sweep of a past day does not judge what was raised after
    -- it (it would clear today's violations, which no later sweep raises again for the same period).
    UPDATE alerts al SET state = 'resolved', resolution = 'cleared', resolved_at = :now, updated_at = :now
    FROM (
        SELECT o.id FROM alerts o
        WHERE o.state = 'open' AND o.rule = :rule AND o.raised_at < :end AND o.region_code LIKE :within
        EXCEPT
        SELECT x.id FROM h JOIN alerts x ON x.account_id = h.account_id AND x.rule = :rule
                                        AND x.period = h.period
    ) gone
    WHERE al.id = gone.id AND al.state = 'open'
    RETURNING al.id, al.account_id, al.rule, al.period, al.resolution, al.resolved_by
), ev AS (
    SELECT ins.id AS alert_id, ins.account_id, CAST(:raised_type AS text) AS type,
           json_build_object(
               'occurred_at', CAST(:occurred_at AS text), 'alert_id', ins.id, 'account_id', ins.account_id,
               'unit_id', ins.unit_id, 'region_code', ins.region_code, 'rule', ins.rule,
               'severity', ins.severity, 'alert_class', ins.alert_class, 'period', ins.period,
               'detail', ins.detail) AS payload,
           CAST(:raised_headers AS json) AS headers
    FROM ins
    UNION ALL
    SELECT res.id, res.account_id, CAST(:resolved_type AS text),
           json_build_object(
               'occurred_at', CAST(:occurred_at AS text), 'alert_id', res.id, 'account_id', res.account_id,
               'rule', res.rule, 'period', res.period, 'resolution', res.resolution,
               'resolved_by', res.resolved_by),
           CAST(:resolved_headers AS json)
    FROM res
    UNION ALL
    SELECT ins.detail ->> 'previous_alert_id', ins.account_id, CAST(:resolved_type AS text),
           json_build_object(
               'occurred_at', CAST(:occurred_at AS text), 'alert_id', ins.detail ->> 'previous_alert_id',
               'account_id', ins.account_id, 'rule', ins.rule, 'period', ins.period,
               'resolution', 'escalated', 'resolved_by', NULL),
           CAST(:resolved_headers AS json)
    FROM ins WHERE NOT ins.inserted
), evid AS (
    SELECT {SQL_BATCH_ID} AS event_id, ev.* FROM ev
), evrows AS (
    SELECT evid.event_id AS id, 'account' AS aggregatetype, evid.account_id AS aggregateid, evid.type,
           CAST(:topic AS text) AS topic, evid.payload,
           evid.headers  -- one template per type: the relay fills in ce_id and ce_subject (sql_headers)
    FROM evid
), {sql_outbox_cte("evrows")}
SELECT (SELECT count(*) FROM ins WHERE inserted) AS raised,
       (SELECT count(*) FROM ins WHERE NOT inserted) AS escalated,
       (SELECT count(*) FROM res) AS resolved,
       {sql_outbox_summary()}
"""

SQL: dict[AlertRule, str] = {
    AlertRule.NOT_UPDATED: f"""
WITH {_THRESHOLDS}, {_SILENCE}, d AS (
    SELECT c.*, CAST(:as_of AS date) - c.since AS days,
           CASE WHEN c.attention_tier = 'high' THEN c.lim_high ELSE c.lim END AS limit_days
    FROM c WHERE c.since <= CAST(:as_of AS date)
), h AS (
    SELECT d.account_id, d.unit_id, d.region_code, to_char(d.since, 'YYYY-MM-DD') AS period,
           CASE WHEN d.days >= d.limit_days THEN 'violation' ELSE 'warning' END AS severity,
           jsonb_build_object('days_silent', d.days, 'threshold_days', d.limit_days, 'warning_days', d.warn,
                              'silent_since', d.since, 'attention_tier', d.attention_tier,
                              'as_of', CAST(:as_of AS date)) AS detail
    FROM d WHERE d.days >= d.limit_days OR (d.warn < d.limit_days AND d.days >= d.warn)
), {_UPSERT_AND_RESOLVE}""",
    AlertRule.ZOMBIE: f"""
WITH {_THRESHOLDS}, {_SILENCE}, h AS (
    SELECT c.account_id, c.unit_id, c.region_code, to_char(c.since, 'YYYY-MM-DD') AS period,
           'warning' AS severity,
           jsonb_build_object('days_silent', CAST(:as_of AS date) - c.since, 'threshold_days', c.zombie,
                              'silent_since', c.since, 'cleanup_candidate', true,
                              'as_of', CAST(:as_of AS date)) AS detail
    FROM c WHERE c.since <= CAST(:as_of AS date) AND CAST(:as_of AS date) - c.since >= c.zombie
), {_UPSERT_AND_RESOLVE}""",
    AlertRule.INTERACTION_OFF: f"""
WITH {_THRESHOLDS}, c AS (
    SELECT a.account_id, a.unit_id, a.region_code, t.grace,
           (a.interaction_off_since AT TIME ZONE 'Asia/Shanghai')::date AS since
    FROM accounts a JOIN t ON t.region_code = a.region_code
    WHERE a.status = 'active' AND NOT a.interaction_enabled AND a.interaction_off_since < :end
), h AS (
    SELECT c.account_id, c.unit_id, c.region_code, to_char(c.since, 'YYYY-MM-DD') AS period,
           'violation' AS severity,
           jsonb_build_object('off_since', c.since, 'days_off', CAST(:as_of AS date) - c.since,
                              'grace_days', c.grace, 'as_of', CAST(:as_of AS date)) AS detail
    FROM c WHERE CAST(:as_of AS date) - c.since >= c.grace
), {_UPSERT_AND_RESOLVE}""",
    AlertRule.MESSAGE_UNANSWERED: f"""
WITH {_THRESHOLDS}, today AS (
    SELECT ordinal FROM workdays WHERE day = CAST(:as_of AS date)
), c AS (
    SELECT m.account_id, a.unit_id, a.region_code, m.message_id, m.channel, m.received_at, t.msg_warn,
           t.msg_viol, today.ordinal - wr.ordinal AS wd
    FROM messages m
    JOIN accounts a ON a.account_id = m.account_id
    JOIN t ON t.region_code = a.region_code
    JOIN workdays wr ON wr.day = m.received_on
    CROSS JOIN today
    WHERE a.status = 'active' AND m.received_at < :end AND (m.answered_at IS NULL OR m.answered_at >= :end)
), h AS (
    SELECT c.account_id, c.unit_id, c.region_code, c.message_id AS period,
           CASE WHEN c.wd >= c.msg_viol THEN 'violation' ELSE 'warning' END AS severity,
           jsonb_build_object('message_id', c.message_id, 'channel', c.channel, 'received_at', c.received_at,
                              'workdays_unanswered', c.wd, 'warning_workdays', c.msg_warn,
                              'violation_workdays', c.msg_viol, 'as_of', CAST(:as_of AS date)) AS detail
    FROM c WHERE c.wd >= c.msg_warn
), {_UPSERT_AND_RESOLVE}""",
}

CLASSES: dict[AlertRule, str] = {
    AlertRule.NOT_UPDATED: "not_updated",
    AlertRule.ZOMBIE: "not_updated",
    AlertRule.INTERACTION_OFF: "interaction",
    AlertRule.MESSAGE_UNANSWERED: "interaction",
}


@dataclass
class SweepResult:
    as_of: date
    raised: Counter[str] = field(default_factory=Counter)
    escalated: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)  # per rule, and "silence" (the shared table)


async def threshold_arrays(session: AsyncSession, within: str = "") -> dict[str, list[Any]]:
    """Effective thresholds of every region that has accounts (of the subtree ``within``, a region prefix),
    as the arrays the statements unnest: an account of a region not among them is not judged."""
    stmt = select(Account.region_code).distinct()
    if within:
        stmt = stmt.where(Account.region_code.startswith(within, autoescape=True))
    regions = sorted((await session.execute(stmt)).scalars())
    sections = await region_sections(session)
    cols: dict[str, list[Any]] = {
        k: [] for k in ("regions", "warn", "lim", "lim_high", "zombie", "grace", "msg_warn", "msg_viol")
    }
    for code in regions:
        cfg = effective(code, sections).settings
        cols["regions"].append(code)
        cols["warn"].append(cfg.not_updated_warning_days)
        cols["lim"].append(cfg.not_updated_days)
        cols["lim_high"].append(cfg.high_attention_not_updated_days)
        cols["zombie"].append(cfg.zombie_days)
        cols["grace"].append(cfg.interaction_off_grace_days)
        cols["msg_warn"].append(cfg.message_warning_workdays)
        cols["msg_viol"].append(cfg.message_violation_workdays)
    return cols


async def run(
    session: AsyncSession,
    *,
    as_of: date,
    now: datetime,
    rules: tuple[AlertRule, ...] = tuple(SQL),
    within: str = "",
) -> SweepResult:
    """Evaluate the time-based rules on ``as_of`` (the whole day) for every account; write the events.

    ``within``: a region prefix (``Principal.region_prefix``): only the accounts and alerts of that subtree
    are judged (a county admin's sweep on demand); empty, every region (the scheduled sweep).
    """
    await exclusion.sweep_alone(session)  # one sweep at a time, no post or answer committed meanwhile
    # Bulk statements over every account: hash joins only. The alerts table changes by tens of thousands
    # of rows within one sweep, faster than its statistics; misled by them, the planner chose nested loops
    # over sequential scans (quadratic: a first sweep of 100,000 accounts took minutes instead of seconds).
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    if AlertRule.MESSAGE_UNANSWERED in rules:
        await calendar.require_covered(session, as_of)
    params: dict[str, Any] = dict(await threshold_arrays(session, within))
    params |= {
        "within": f"{within}%",
        "as_of": as_of,
        "end": datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=SHANGHAI),
        "now": now,
    }
    params |= _event_params(now)
    result = SweepResult(as_of)
    if {AlertRule.NOT_UPDATED, AlertRule.ZOMBIE} & set(rules):
        started = timer.perf_counter()
        for sql in _SILENCE_TABLE:
            bound = {k: params[k] for k in ("end", "within") if f":{k}" in sql}
            await session.execute(text(sql), bound)
        result.seconds["silence"] = round(timer.perf_counter() - started, 3)
    for rule in rules:
        started = timer.perf_counter()
        row = (
            await session.execute(
                _statement(rule),
                {
                    **params,
                    "rule": str(rule),
                    "alert_class": CLASSES[rule],
                    "id_prefix": time_ordered_prefix(),
                },
            )
        ).one()
        check_sql_outbox(row)  # an event over the size limit refuses the whole sweep (rolled back)
        result.seconds[str(rule)] = round(timer.perf_counter() - started, 3)
        for counter, n in (
            (result.raised, row.raised),
            (result.escalated, row.escalated),
            (result.resolved, row.resolved),
        ):
            if n:
                counter[str(rule)] += int(n)
    return result


def _event_params(now: datetime) -> dict[str, Any]:
    """Types, topic and header templates of the events the statements write (from real envelopes)."""
    raised = alerts.probe_raised(now)
    probe_id = raised.alert_id
    resolved = AlertResolved(
        occurred_at=now,
        alert_id=probe_id,
        account_id=probe_id,
        rule=AlertRule.NOT_UPDATED,
        period="probe",
        resolution=AlertResolution.CLEARED,
    )
    return {
        "raised_type": AlertRaised.event_type,
        "resolved_type": AlertResolved.event_type,
        "topic": AlertRaised.topic,
        "occurred_at": raised.model_dump(mode="json")["occurred_at"],
        "raised_headers": sql_headers(raised),
        "resolved_headers": sql_headers(resolved),
    }


@functools.cache
def _statement(rule: AlertRule) -> TextClause:
    return text(SQL[rule]).bindparams(
        bindparam("raised_headers", type_=RecordJson), bindparam("resolved_headers", type_=RecordJson)
    )
