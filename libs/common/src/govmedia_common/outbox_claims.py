"""What the outbox relay claims: rows and the records they carry, the order it keeps, the outcome of a batch.

A plain outbox row is one record. A row of several (``records`` = N) carries N records of one type and topic
written together by a bulk statement (``govmedia_common.events.outbox.sql_outbox_records_cte``): its payload
is a JSON array of ``[id, key, value]`` and ``keys`` lists their keys. The relay sends each record as its
own Kafka record, and treats the row as a whole: it is published when all its records are, set aside when
the broker refuses one of them, and it holds back every later row of any of its keys, as a plain row holds
back the later rows of its aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM_LOCK = 0x6F7574626F78  # "outbox": serialises claims between relay replicas


# Headers that equal one of the row's own columns. A writer may store them empty (a statement that builds
# its rows in SQL stores one constant header template for all of them); the relay fills them in.
ROW_HEADERS = {"ce_id": "id", "ce_subject": "aggregateid"}


def row_headers(stored: dict[str, str], event_id: str, aggregateid: str) -> dict[str, str]:
    """The record's headers of an outbox row (``stored`` is filled in and returned): its stored ``headers``
    in their order, ``ce_id`` and ``ce_subject`` stored empty taken from its ``id`` and ``aggregateid``."""
    if stored.get("ce_id") == "":
        stored["ce_id"] = event_id
    if stored.get("ce_subject") == "":
        stored["ce_subject"] = aggregateid
    return stored


def record_headers(stored: dict[str, str], event_id: str, aggregateid: str) -> list[tuple[str, bytes]]:
    """The Kafka headers of an outbox row (:func:`row_headers`, encoded), as the relay sends them."""
    return [(k, v.encode()) for k, v in row_headers(stored, event_id, aggregateid).items()]


@dataclass(slots=True)
class ClaimedRow:
    """One record to send: a plain row, or one of the records a row of several carries (same ``seq``)."""

    seq: int
    id: str  # the event id (ce_id)
    topic: str
    aggregateid: str  # the row's: its events go out in seq order (a row of several: its first key)
    key: str  # the record's Kafka key (ce_subject): the row's aggregateid, or a record's own key
    payload: str  # the JSON text of the event data, sent as the record value
    headers: dict[str, str] = field(default_factory=dict)  # the record's (row_headers), in stored order


# A claim is two statements under the claim lock. The first reads what may be taken: the aggregates held
# by another relay's live lease or set aside (``busy``, as its first row), then up to ``:n`` unpublished
# rows in seq order that share no aggregate with a busy one. The aggregates of a row are its aggregateid,
# or for a row of several records (``records`` = N) the keys of its records (``keys``). With them come the
# rows of several records before the last of those that do share a key with a busy one (``held``): the
# relay walks all of them in order (:func:`takeable`), and a row that shares an aggregate with a held row
# before it is left out too, so a later event never goes out before an earlier one of its aggregate. A
# backlog of held rows is not counted in ``:n``: the aggregates behind none of them still flow.
_CANDIDATES_SQL = text(
    """
    WITH busy AS (
        SELECT a FROM outbox_leases l
        CROSS JOIN LATERAL unnest(l.seqs) AS h(seq)
        JOIN outbox o ON o.seq = h.seq
        CROSS JOIN LATERAL unnest(COALESCE(o.keys, ARRAY[o.aggregateid])) AS a
        WHERE l.relay_id <> :me AND l.until > now() AND o.published_at IS NULL
        UNION
        SELECT a FROM outbox o CROSS JOIN LATERAL unnest(COALESCE(o.keys, ARRAY[o.aggregateid])) AS a
        WHERE o.dead_at IS NOT NULL AND o.published_at IS NULL
    ), cand AS (
        SELECT o.seq, o.aggregateid, o.keys, COALESCE(o.records, 1) AS records FROM outbox o
        WHERE o.published_at IS NULL AND o.dead_at IS NULL
          AND o.seq NOT IN (SELECT unnest(CAST(:inflight AS bigint[])))  -- hashed; <> ALL is O(rows × n)
          AND CASE WHEN o.keys IS NULL THEN o.aggregateid NOT IN (SELECT a FROM busy)
                   ELSE NOT EXISTS (SELECT FROM unnest(o.keys) AS k(a) WHERE k.a IN (SELECT a FROM busy)) END
        ORDER BY o.seq
        LIMIT :n
    )
    SELECT CAST(NULL AS bigint) AS seq, NULL AS aggregateid, ARRAY(SELECT a FROM busy) AS keys, 0 AS records,
           false AS held
    UNION ALL
    SELECT seq, aggregateid, keys, records, false FROM cand
    UNION ALL
    SELECT o.seq, o.aggregateid, o.keys, 0, true FROM outbox o
    WHERE o.published_at IS NULL AND o.dead_at IS NULL AND o.keys IS NOT NULL
      AND o.seq < (SELECT max(seq) FROM cand)
      AND o.seq NOT IN (SELECT unnest(CAST(:inflight AS bigint[])))
      AND EXISTS (SELECT FROM unnest(o.keys) AS k(a) WHERE k.a IN (SELECT a FROM busy))
    """
)

# The second writes the relay's lease (``outbox_leases``: the rows it takes plus those it still has in
# flight, until now + lease; the only row a claim writes, and only when the relay holds something) and
# reads the records of the rows taken: a plain row is one, a row of several is N, each an element
# ``[id, key, value]`` of its payload, in order (json ``->`` returns an element's text as stored).
_TAKE_SQL = text(
    """
    WITH lease AS (
        INSERT INTO outbox_leases (relay_id, until, seqs)
        VALUES (:me, now() + make_interval(secs => :lease),
                CAST(:seqs AS bigint[]) || CAST(:inflight AS bigint[]))
        ON CONFLICT (relay_id) DO UPDATE SET until = excluded.until, seqs = excluded.seqs
    )
    SELECT p.seq, COALESCE(r.value ->> 0, p.id), p.topic, p.aggregateid,
           COALESCE(r.value ->> 1, p.aggregateid), COALESCE(r.value -> 2, p.payload)::text, p.headers::text
    FROM outbox p
    LEFT JOIN LATERAL json_array_elements(CASE WHEN p.records IS NOT NULL THEN p.payload END)
         WITH ORDINALITY AS r(value, n) ON true
    WHERE p.seq = ANY(CAST(:seqs AS bigint[]))
    ORDER BY p.seq, r.n
    """
)


def takeable(busy: Sequence[str], rows: Sequence[Any], limit: int) -> list[int]:
    """The seqs a claim takes of ``rows`` (seq, aggregateid, keys, records, held; in seq order): in order,
    each row not held none of whose aggregates is busy or shared with a row left out before it, until
    ``limit`` records (the first row taken always)."""
    blocked = set(busy)
    taken: list[int] = []
    records = 0
    for seq, aggregateid, keys, count, held in rows:
        aggregates = keys if keys is not None else (aggregateid,)
        if held or not blocked.isdisjoint(aggregates):
            blocked.update(aggregates)
            continue
        if taken and records + count > limit:
            break
        taken.append(seq)
        records += count
    return taken


# The claim lock, and the plan: walk the unpublished rows in seq order and stop after the batch. Left to
# itself, after a bulk insert the planner bitmap-scans every unpublished (and not yet vacuumed) entry and
# sorts them — ten times slower. The lock serialises claims, so a claim sees every lease committed before it.
_LOCK_SQL = text("SELECT pg_advisory_xact_lock(:k), set_config('enable_bitmapscan', 'off', true)")


@dataclass
class PublishOutcome:
    published: list[ClaimedRow]
    set_aside: list[tuple[ClaimedRow, BaseException]]
    retry: list[ClaimedRow]
    error: BaseException | None = None


class Held:
    """The rows, keys and aggregates of one batch held back behind a record refused for good: every later
    record of one of them waits too (a row is published whole, an aggregate's and a key's order kept)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.rows: set[int] = set()

    def behind(self, row: ClaimedRow) -> bool:
        return row.seq in self.rows or row.key in self.keys or row.aggregateid in self.keys

    def add(self, row: ClaimedRow) -> None:
        self.rows.add(row.seq)
        self.keys.update((row.key, row.aggregateid))


def seqs_of(rows: Sequence[ClaimedRow]) -> list[int]:
    """The outbox rows (``seq``) of these records, each once, in order."""
    return list(dict.fromkeys(r.seq for r in rows))


def whole_rows(outcome: PublishOutcome) -> PublishOutcome:
    """A row of several records is published only when all of them are: one record set aside sets its row
    aside, one to retry sends the row again (its records already out go again: delivery is at-least-once
    and consumers drop what they have seen). Its records sent so far are taken out of ``published``."""
    dead = {row.seq for row, _ in outcome.set_aside}
    if dead:  # its other records are not given back with another error: the row keeps the broker's
        outcome.retry = [row for row in outcome.retry if row.seq not in dead]
    again = {row.seq for row in outcome.retry}
    if dead or again:
        published: list[ClaimedRow] = []
        for row in outcome.published:
            if row.seq in dead:
                continue  # sent again with its row when an operator releases it
            (outcome.retry if row.seq in again else published).append(row)
        outcome.published = published
    return outcome


async def claim_rows(
    session: AsyncSession, *, relay_id: str, records: int, lease_seconds: float, in_flight: Sequence[int] = ()
) -> list[ClaimedRow]:
    """The records of a claim in the caller's transaction: the claim lock, the candidates, :func:`takeable`,
    the lease. ``in_flight``: rows of this relay still being published, not to be claimed again."""
    await session.execute(_LOCK_SQL, {"k": _CLAIM_LOCK})
    params = {"me": relay_id, "n": records, "inflight": list(in_flight)}
    rows = (await session.execute(_CANDIDATES_SQL, params)).all()
    busy = next(r[2] for r in rows if r[0] is None)  # the first row by UNION ALL's order, not relied upon
    candidates = sorted((r for r in rows if r[0] is not None), key=lambda r: r[0])
    seqs = takeable(busy, candidates, records)
    if not seqs and not in_flight:
        return []  # an idle relay writes nothing
    result = await session.execute(_TAKE_SQL, {**params, "seqs": seqs, "lease": lease_seconds})
    return [  # in seq order, a row's records in their order
        ClaimedRow(r[0], r[1], r[2], r[3], r[4], r[5], row_headers(orjson.loads(r[6]), r[1], r[4]))
        for r in result.all()
    ]
