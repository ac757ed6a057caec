"""Every service's Alembic history builds exactly its models, and can be walked down and up again."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from govmedia_common.db import OUTBOX_TOAST_TUPLE_TARGET, plumbing_metadata
from govmedia_common.migrations import alembic_config
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_platform.stack import SERVICES

pytestmark = pytest.mark.integration


async def _drift(url: str, service: str) -> list[Any]:
    models = importlib.import_module(f"govmedia_{service}.models")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c),
                    [plumbing_metadata, models.Base.metadata],  # type: ignore[arg-type]  # a sequence works
                )
            )
    finally:
        await engine.dispose()


async def _storage_drift(url: str, service: str) -> list[str]:
    """Storage parameters a model declares (``postgresql_with``) that the table does not have (Alembic's
    comparison does not look at them)."""
    models = importlib.import_module(f"govmedia_{service}.models")
    engine = create_async_engine(url)
    drift = []
    try:
        async with engine.connect() as conn:
            for metadata in (plumbing_metadata, models.Base.metadata):
                for table in metadata.tables.values():
                    declared = table.dialect_options["postgresql"]["with"] or {}
                    options = (
                        await conn.execute(
                            text("SELECT reloptions FROM pg_class WHERE oid = to_regclass(:t)"),
                            {"t": table.name},
                        )
                    ).scalar()
                    have = dict(o.split("=", 1) for o in options or ())
                    drift += [
                        f"{table.name}.{k}: {have.get(k)} (model {v})"
                        for k, v in declared.items()
                        if have.get(k) != str(v)
                    ]
    finally:
        await engine.dispose()
    return drift


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_at_head_match_the_models_and_survive_a_round_trip(
    infra: Infrastructure, service: str
) -> None:
    url = await fresh_database(infra, f"mig_{service}", service)
    assert await _drift(url, service) == [], "models changed without a migration: run alembic autogenerate"
    assert await _storage_drift(url, service) == [], "a model's storage parameters need a migration"
    config = alembic_config(service, url)
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "heads")
    assert await _drift(url, service) == []
    assert await _storage_drift(url, service) == []


@pytest.mark.parametrize("service", SERVICES)
async def test_an_outbox_of_an_earlier_revision_gets_its_storage_parameters_on_upgrade(
    infra: Infrastructure, service: str
) -> None:
    """A database created before ``outbox_0007`` (its baseline made the outbox with the models of that day)
    keeps two-kilobyte events uncompressed after the upgrade, as a new database does."""
    url = await fresh_database(infra, f"mig_ob7_{service}", service)
    config = alembic_config(service, url)
    await asyncio.to_thread(command.downgrade, config, "outbox_0007-1")
    assert await _storage_drift(url, service) == [
        f"outbox.toast_tuple_target: None (model {OUTBOX_TOAST_TUPLE_TARGET})"
    ]
    await asyncio.to_thread(command.upgrade, config, "heads")
    assert await _storage_drift(url, service) == []
