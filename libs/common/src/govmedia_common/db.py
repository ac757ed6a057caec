"""Database engine, sessions and the plumbing tables every service owns (outbox, inbox, idempotency, audit).

Services never commit inside use cases: the request (or the message) is the transaction.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    event,
    exc,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

plumbing_metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RecordJson(TypeDecorator[Any]):
    """PostgreSQL ``json`` written as orjson's compact UTF-8 text: the outbox's ``payload`` and ``headers``.

    ``json`` keeps the text as written (``jsonb`` re-renders it: spaces, keys ordered by length), so what an
    outbox row holds is the record the relay sends (``payload::text``), byte for byte the value
    ``Envelope.value()`` gives and ``add_event`` measures, with the headers in the envelope's order; and it
    is cheaper to write than ``jsonb`` (no parse into a binary tree). Reads give the parsed value as before.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> str | None:
            return None if value is None else orjson.dumps(value).decode()

        return process


# The row size above which PostgreSQL would compress an outbox row's payload: the largest it allows, so
# events up to about 8 kB are stored (and read by the relay) as written.
OUTBOX_TOAST_TUPLE_TARGET = 8160

# Transactional outbox, with Debezium's column names (id, aggregatetype, aggregateid, type, payload)
# plus headers; the relay's claim columns make several relay replicas safe.
outbox_table = Table(
    "outbox",
    plumbing_metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("aggregatetype", Text, nullable=False),
    Column("aggregateid", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    # json, not jsonb: the record as written and as sent (RecordJson; revision outbox_0006 of each service)
    Column("payload", RecordJson, nullable=False),
    Column("headers", RecordJson, nullable=False),
    # NULL: the row is one record (payload is its value). N: the row carries N records of its type and topic,
    # written together by a bulk statement; payload is a JSON array of [id, key, value], the headers one
    # template whose ce_id/ce_subject are each record's id and key, and ``keys`` the records' keys: the
    # aggregates whose order the relay keeps (revision outbox_0008 of each service; the view
    # outbox_records shows every record, and the relay sends each).
    Column("records", Integer, CheckConstraint("records > 0", name="records")),
    Column("keys", ARRAY(Text)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Times the row was marked published (again after a new broker); relays lease rows in outbox_leases.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("published_at", DateTime(timezone=True)),
    # The broker (Kafka cluster id) a row was published to: a new, empty broker gets it again.
    Column("published_to", Text),
    # Set aside: the broker refused the row for good (too large, invalid); later rows of its aggregate wait.
    Column("dead_at", DateTime(timezone=True)),
    Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
    # No index on (aggregateid, seq): no query looks rows up by aggregate, and every event paid for it
    # (revision outbox_0005 of each service drops it).
    # The claim skips aggregates with a row set aside: few rows, found by this partial index.
    Index(
        "ix_outbox_dead",
        "aggregateid",
        postgresql_where=text("dead_at IS NOT NULL AND published_at IS NULL"),
    ),
    # Rows up to a page stay as written, not compressed (revision outbox_0007 of each service).
    postgresql_with={"toast_tuple_target": OUTBOX_TOAST_TUPLE_TARGET},
)

# Every record the outbox holds, as the relay sends it: a plain row's, and each of a row of several
# (``key`` is the record's Kafka key). A view (revision outbox_0008), read by operators and tests.
outbox_records_view = Table(
    "outbox_records",
    MetaData(),
    Column("seq", BigInteger),
    Column("id", Text),
    Column("aggregatetype", Text),
    Column("aggregateid", Text),
    Column("key", Text),
    Column("type", Text),
    Column("topic", Text),
    Column("payload", RecordJson),
    Column("headers", RecordJson),
    Column("created_at", DateTime(timezone=True)),
    Column("attempts", Integer),
    Column("last_error", Text),
    Column("published_at", DateTime(timezone=True)),
    Column("published_to", Text),
    Column("dead_at", DateTime(timezone=True)),
)

# One row per outbox relay: the rows it holds (claimed, in flight) until ``until``. A claim writes this one
# row instead of rewriting every outbox row it takes; another relay skips the rows (and their aggregates)
# of a live lease, and a dead relay's lease simply runs out.
outbox_leases_table = Table(
    "outbox_leases",
    plumbing_metadata,
    Column("relay_id", Text, primary_key=True),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("seqs", ARRAY(BigInteger), nullable=False),
)

# Events already handled, recorded in the same transaction as their effects: exactly-once effects.
inbox_table = Table(
    "inbox",
    plumbing_metadata,
    Column("source", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", SmallInteger, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Idempotency-Key of creating POSTs: replay -> the same answer; another payload -> 422.
idempotency_table = Table(
    "idempotency_keys",
    plumbing_metadata,
    Column("principal", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("route", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", JSONB, nullable=False),
    Column("response_headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Append-only audit log (GB/T 22239 level 3: who, what, when, outcome, from where).
audit_table = Table(
    "audit_log",
    plumbing_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_id", Text),
    Column("actor_kind", Text),
    Column("actor_region", Text),
    Column("action", Text, nullable=False),
    Column("target", Text),
    Column("outcome", Text, nullable=False),
    Column("status_code", Integer),
    Column("client_address", Text),
    Column("trace_id", Text),
    Column("detail", JSONB),
    Index("ix_audit_log_at", "at"),
)


# A connection handed back to the pool less than this long ago is used without asking the server first.
PING_IDLE_SECONDS = 2.0
# Connections are renewed after this long, so none outlives a server-side or proxy idle limit unseen.
POOL_RECYCLE_SECONDS = 1800


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    ping_idle_seconds: float = PING_IDLE_SECONDS,
    pool_recycle: int = POOL_RECYCLE_SECONDS,
) -> AsyncEngine:
    """An asyncpg engine with sane pool settings.

    Not ``pool_pre_ping``: that pings at every checkout, a round trip per transaction (~0.5 ms of CPU per
    submitted post, bench/bench_write_path.py). A connection is pinged only when it sat idle in the pool
    for ``ping_idle_seconds`` or more, and replaced (transparently, before the transaction uses it) when
    the server no longer answers; under load every connection comes back within milliseconds and is never
    pinged. A connection that dies while in use, or within ``ping_idle_seconds`` of its last use (a server
    restart at that very moment), fails the transaction that finds it: SQLAlchemy then marks every pooled
    connection as old, so the next transactions reconnect. Consumers retry such failures without limit
    (``govmedia_common.consumer``), and an HTTP client retries a creating POST safely with its
    Idempotency-Key.
    """
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=pool_recycle, echo=echo
    )
    ping_when_idle(engine, ping_idle_seconds)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a connection at checkout only when it was checked in ``idle_seconds`` ago or more (a new one
    was just opened and is not pinged); a connection that fails the ping is replaced by the pool."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["govmedia_idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("govmedia_idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool invalidates this connection and checks out another (a fresh one when none is left).
            raise exc.DisconnectionError(f"connection lost while idle: {error}") from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends normally, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
