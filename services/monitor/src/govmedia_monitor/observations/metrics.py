"""Metric snapshots (reads 阅读, 在看, likes, shares, comments, followers): the volume path of ingest.

The snapshots and their ``MetricsObserved`` events are written by one set-based statement, idempotent on
(account, post, ``taken_at``): a snapshot seen before has no event. The events go to the outbox sixteen to
a row (``sql_outbox_records_cte``); the relay sends each as its own record, keyed by the account.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.db import RecordJson
from govmedia_common.events import IngestChannel, MetricsObserved
from govmedia_common.events.outbox import (
    check_sql_outbox,
    sql_headers,
    sql_outbox_records_cte,
    sql_outbox_records_summary,
    template_header_bytes,
)
from govmedia_common.ids import time_ordered_prefix
from govmedia_common.outbox import max_event_bytes
from govmedia_monitor import schemas as s
from govmedia_monitor.observations.service import (
    CLOCK_SKEW,
    RegionFilter,
    Report,
    account_regions,
    refuse_conflicts,
    refuse_future,
    split_known,
)


def _metrics_sql(*, measured: bool) -> TextClause:
    return text(
        f"""
    WITH ins AS (
        -- One parameter: an array of the table's own row type (snapshot_rows), which asyncpg encodes a row
        -- at a time; nine arrays cost a type check per element in Python and an unnest of each.
        INSERT INTO metric_snapshots SELECT * FROM unnest(CAST(:snapshots AS metric_snapshots[]))
        ON CONFLICT DO NOTHING
        RETURNING account_id, post_key, taken_at, reads, watching, likes, shares, comments, followers
    ), ev AS (
        -- The record's value is the row of p as JSON (its column names are the event's fields, in the
        -- order wrap(event).data has them); its key the account. Sixteen records to an outbox row.
        SELECT row_number() OVER () AS n, ins.account_id AS key, row_to_json(p) AS payload
        FROM ins, LATERAL (
            SELECT CAST(:occurred_at AS text) AS occurred_at, ins.account_id,
                   NULLIF(ins.post_key, '') AS platform_post_id, ins.reads, ins.watching, ins.likes,
                   ins.shares, ins.comments, ins.followers,
                   to_char(ins.taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of,
                   CAST(:channel AS text) AS ingest_channel
        ) p
    ), {sql_outbox_records_cte("ev", measured=measured)}
    SELECT {sql_outbox_records_summary()}
    """
    ).bindparams(bindparam("headers", type_=RecordJson))


# Each row measured (an operator set a limit below what a snapshot's event can reach), or not (every event of
# the batch is shown to be within the limit by metric_record_bound: the usual case, by three orders).
_METRICS_SQL = {True: _metrics_sql(measured=True), False: _metrics_sql(measured=False)}

_COUNTS = ("reads", "watching", "likes", "shares", "comments", "followers")


def snapshot_rows(
    items: Sequence[s.MetricSnapshotIn], channel: IngestChannel
) -> list[
    tuple[str, str, datetime, int | None, int | None, int | None, int | None, int | None, int | None, str]
]:
    """The ``metric_snapshots`` rows of ``items``, as tuples in the table's column order (``MetricSnapshot``;
    the ingest statement casts them to the table's row type)."""
    ch = str(channel)
    return [
        (
            i.account_id,
            i.platform_post_id or "",
            i.taken_at,
            i.reads,
            i.watching,
            i.likes,
            i.shares,
            i.comments,
            i.followers,
            ch,
        )
        for i in items
    ]


def metric_record_bound(items: Sequence[s.MetricSnapshotIn], *, channel: IngestChannel, now: datetime) -> int:
    """Bytes that no ``MetricsObserved`` record (value and headers) of these snapshots can exceed.

    A worst case of the same shape: ids as long as the batch's longest, of characters JSON escapes as six
    bytes (``\\u0001``), every count at bigint's widest, written by Python's JSON with ASCII escapes (as many
    bytes as PostgreSQL's text or more, per character); the headers of the real template with the widest id
    and subject.
    """
    longest = max(  # map/filter: C loops, ~0.3 us per snapshot less than a generator
        max(map(len, map(attrgetter("account_id"), items))),
        max(map(len, filter(None, map(attrgetter("platform_post_id"), items))), default=0),
    )
    wide = "\x01" * longest
    event = MetricsObserved.model_construct(
        occurred_at=now,
        account_id=wide,
        platform_post_id=wide,
        as_of=now,
        ingest_channel=channel,
    )
    widest = dict.fromkeys(_COUNTS, -(2**63))
    payload = json.dumps({**event.model_dump(mode="json"), **widest, "as_of": "2000-01-01T00:00:00.000000Z"})
    headers = sql_headers(
        MetricsObserved(
            occurred_at=now,
            account_id=str(uuid.UUID(int=0)),
            platform_post_id=None,
            as_of=now,
            ingest_channel=channel,
        )
    )
    return len(payload) + template_header_bytes(headers) + 36 + 6 * longest  # ce_id, ce_subject


async def ingest_metrics(
    session: AsyncSession,
    items: Sequence[s.MetricSnapshotIn],
    *,
    channel: IngestChannel,
    now: datetime,
    may_see: RegionFilter = None,
) -> Report:
    """Store new metric snapshots and their ``MetricsObserved`` events in one set-based statement.

    The events are built in SQL from the inserted rows (only those: a duplicate has no event); their
    headers come from a real envelope of the same type, so each record is the one
    :func:`govmedia_common.outbox.add_event` would write, and they are written by the common set-based
    writer of records (several to an outbox row) under the same size guard.
    """
    report = Report()
    ids = {i.account_id for i in items}
    regions = await account_regions(session, list(ids))
    if (
        len(regions) == len(ids)
        and (may_see is None or all(map(may_see, set(regions.values()))))
        and max(map(attrgetter("taken_at"), items)) <= now + CLOCK_SKEW
    ):
        kept = items  # every account known and visible, nothing ahead (the usual batch): nothing to sort out
        positions: Sequence[int] = range(len(items))
    else:
        future = refuse_future(items, "taken_at", now, report)
        pairs = split_known(items, regions, report, may_see, future)
        kept, positions = [it for _, it in pairs], [i for i, _ in pairs]
    if not kept:
        return report
    template = MetricsObserved(
        occurred_at=now,
        account_id=kept[0].account_id,
        platform_post_id=None,
        as_of=now,
        ingest_channel=channel,
    )
    headers = sql_headers(template)
    params = {
        "snapshots": snapshot_rows(kept, channel),
        "channel": str(channel),
        "aggregatetype": MetricsObserved.aggregate_type,
        "type": MetricsObserved.event_type,
        "topic": MetricsObserved.topic,
        "occurred_at": template.model_dump(mode="json")["occurred_at"],
        "headers": headers,
        "header_bytes": template_header_bytes(headers),  # every row's headers: these, but ce_id/ce_subject
        "id_prefix": time_ordered_prefix(),
    }
    # An event over the size limit refuses the batch (EventTooLarge rolls the transaction back); rows are
    # measured one by one only when the limit is below what an event of this batch could reach.
    stmt = _METRICS_SQL[metric_record_bound(kept, channel=channel, now=now) > max_event_bytes()]
    report.accepted = check_sql_outbox((await session.execute(stmt, params)).one())
    report.duplicates = len(kept) - report.accepted
    if report.duplicates:  # a replay, or a snapshot under a known key with other counts
        conflicts = {"snapshots": params["snapshots"]}
        await refuse_conflicts(session, _CONFLICTS, conflicts, positions, report, "snapshot")
    return report


# Snapshots of the batch whose stored row under (account, post, taken_at) has other counts.
_CONFLICTS = text(
    """
    SELECT s.ord, m.reads, m.watching, m.likes, m.shares, m.comments, m.followers
    FROM unnest(CAST(:snapshots AS metric_snapshots[])) WITH ORDINALITY
         AS s(account_id, post_key, taken_at, reads, watching, likes, shares, comments, followers, ch, ord)
    JOIN metric_snapshots m
      ON m.account_id = s.account_id AND m.post_key = s.post_key AND m.taken_at = s.taken_at
    WHERE (m.reads, m.watching, m.likes, m.shares, m.comments, m.followers)
          IS DISTINCT FROM (s.reads, s.watching, s.likes, s.shares, s.comments, s.followers)
    ORDER BY s.ord
    """
)
