"""Database engine, sessions and the plumbing tables every service owns (outbox, inbox, idempotency, audit).

Services never commit inside use cases: the request (or the message) is the transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

plumbing_metadata = MetaData(naming_convention=NAMING_CONVENTION)

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
    Column("payload", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False),
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
    Index("ix_outbox_aggregate", "aggregateid", "seq"),
    # The claim skips aggregates with a row set aside: few rows, found by this partial index.
    Index(
        "ix_outbox_dead",
        "aggregateid",
        postgresql_where=text("dead_at IS NOT NULL AND published_at IS NULL"),
    ),
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


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An asyncpg engine with sane pool settings."""
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, echo=echo
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends normally, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
