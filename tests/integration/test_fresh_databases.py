"""The test kits' fresh service databases (govmedia_platform.pytest_plugin.fresh_database): each at the
service's head revision and its own, made by copying a template the migrations built once per process,
not by running the migrations again for every test."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import govmedia_common.migrations
from govmedia_common.migrations import alembic_config
from govmedia_platform import launcher
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration


async def _rows(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(query))
            return list(result) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_fresh_databases_are_at_head_each_its_own_and_migrated_once(
    infra: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade = govmedia_common.migrations.upgrade_async
    migrated: list[str] = []

    async def counted(service: str, url: str, revision: str = "heads") -> None:
        migrated.append(url)
        await upgrade(service, url, revision)

    monkeypatch.setattr(govmedia_common.migrations, "upgrade_async", counted)
    first, second = [await fresh_database(infra, "fresh", "notify") for _ in range(2)]
    assert len(migrated) <= 1, migrated  # at most the template, once per process
    heads = set(ScriptDirectory.from_config(alembic_config("notify", first)).get_heads())
    for url in (first, second):
        assert {r[0] for r in await _rows(url, "SELECT version_num FROM alembic_version")} == heads
    await _rows(first, "CREATE TABLE probe (x int)")
    assert await _rows(second, "SELECT to_regclass('probe')") == [(None,)]

    # new migration scripts on disk (a pull during a long session): a template of them is built
    monkeypatch.setattr(launcher, "migrations_fingerprint", lambda service: (("9999_new.py", 1, 1),))
    migrated.clear()
    await fresh_database(infra, "fresh", "notify")
    assert len(migrated) == 1
