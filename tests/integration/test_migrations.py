"""Every service's Alembic history builds exactly its models, and can be walked down and up again."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from govmedia_common.db import plumbing_metadata
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


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_at_head_match_the_models_and_survive_a_round_trip(
    infra: Infrastructure, service: str
) -> None:
    url = await fresh_database(infra, f"mig_{service}", service)
    assert await _drift(url, service) == [], "models changed without a migration: run alembic autogenerate"
    config = alembic_config(service, url)
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "heads")
    assert await _drift(url, service) == []
