"""Alembic plumbing shared by the services: the async env, the plumbing tables, running upgrades.

Each service keeps its own migration history in ``services/<name>/migrations``; its baseline calls
:func:`create_plumbing_tables` so outbox, inbox, idempotency keys and the audit log exist in every
service database. Later changes to those tables get a migration in each service, like any other change.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, inspect, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from govmedia_common.db import plumbing_metadata
from govmedia_common.shared_revisions import OutboxBatchedRecords

APPEND_ONLY_SQL = [
    """
CREATE OR REPLACE FUNCTION govmedia_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION govmedia_audit_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION govmedia_audit_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC",
]


# Outbox columns of the baseline era that a later shared revision still expects (``outbox_0003`` indexes
# them); ``outbox_0004`` drops them again. Only the baselines, run by Alembic, get them.
BASELINE_ERA_OUTBOX_SQL = [
    "ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_by text",
    "ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until timestamp with time zone",
]


def create_plumbing_tables(connection: Connection) -> None:
    """Create outbox (and its relay leases), inbox, idempotency keys and the append-only audit log.

    Called by each service's baseline revision (where the later shared revisions follow: the columns they
    expect from that era are added back, see ``BASELINE_ERA_OUTBOX_SQL``) and, for the current schema, by
    tests and benchmarks on a fresh database.
    """
    plumbing_metadata.create_all(bind=connection)
    for statement in APPEND_ONLY_SQL:
        connection.exec_driver_sql(statement)
    if inspect(connection).has_table("alembic_version"):  # a baseline revision, run by Alembic
        for statement in BASELINE_ERA_OUTBOX_SQL:
            connection.exec_driver_sql(statement)
    else:  # the current schema at once; Alembic gets the view from outbox_0008 (after the column changes
        # of the revisions before it, which PostgreSQL refuses on a column a view uses)
        connection.exec_driver_sql(OutboxBatchedRecords.VIEW)


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """Body of every service's ``migrations/env.py`` (online, async engine)."""
    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through 'govmedia migrate'")
    metadatas = target_metadata if isinstance(target_metadata, list) else [target_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=[plumbing_metadata, *metadatas],
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    connection: Any = config.attributes.get("connection")
    if connection is not None:
        do_run(connection)
    else:
        asyncio.run(run())


def migrations_dir(service: str) -> Path:
    """Where a service's Alembic scripts live (inside the wheel, or beside ``src/`` in the repository)."""
    package = importlib.import_module(f"govmedia_{service}")
    pkg_dir = Path(package.__file__ or "").parent
    for candidate in (pkg_dir / "migrations", pkg_dir.parent.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError(f"no migrations found for service {service!r}")


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.attributes["url"] = url
    return cfg


def upgrade(service: str, url: str, revision: str = "heads") -> None:
    """Bring a service database to ``revision`` (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str, revision: str = "heads") -> None:
    await asyncio.to_thread(upgrade, service, url, revision)
