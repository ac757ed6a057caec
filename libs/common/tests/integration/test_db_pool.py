"""The connection pool checks a connection with the server only when it sat idle long enough to have lost it.

``pool_pre_ping`` cost every transaction of every service a round trip (and ~0.5 ms of CPU per submitted
post). A connection handed back moments ago is used as it is; one idle longer than ``ping_idle_seconds`` is
pinged first and replaced when the server no longer answers on it. A connection that died while hot fails
the one transaction that finds it, the pool drops every connection as old, and the next transaction works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.db import create_engine

if TYPE_CHECKING:
    from .conftest import PlumbingKit

pytestmark = pytest.mark.integration


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every ping the pool sends (a real round trip to the real server, counted on the way)."""
    sent: list[int] = []
    real: Callable[[Any], Any] = AsyncAdapt_asyncpg_connection.ping  # untyped in SQLAlchemy

    def counted(self: Any) -> Any:
        sent.append(1)
        return real(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    yield sent


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    other = create_engine(url, pool_size=1)
    try:
        async with other.begin() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_a_connection_handed_back_moments_ago_is_used_without_a_ping(
    kit: PlumbingKit, pings: list[int]
) -> None:
    engine = await kit.database("pool_hot", pool_size=1)
    first = await _backend_pid(engine)
    pings.clear()
    for _ in range(5):
        assert await _backend_pid(engine) == first
    assert pings == []
    assert engine.sync_engine.pool._recycle > 0, "connections are renewed after pool_recycle seconds"


async def test_a_connection_idle_past_the_threshold_is_pinged_and_replaced_when_the_server_lost_it(
    kit: PlumbingKit, pings: list[int]
) -> None:
    base = await kit.database("pool_idle")
    url = kit.database_urls[base]
    engine = create_engine(url, pool_size=1, ping_idle_seconds=0.2)
    try:
        first = await _backend_pid(engine)
        await _terminate(url, first)
        await asyncio.sleep(0.3)
        pings.clear()
        second = await _backend_pid(engine)  # no error: the dead connection was found and replaced
        assert second != first
        assert pings, "the idle connection was pinged before use"
    finally:
        await engine.dispose()


async def test_a_connection_lost_while_hot_fails_one_transaction_and_the_next_one_works(
    kit: PlumbingKit,
) -> None:
    base = await kit.database("pool_lost")
    url = kit.database_urls[base]
    engine = create_engine(url, pool_size=2, ping_idle_seconds=3600)
    try:
        first = await _backend_pid(engine)
        await _terminate(url, first)
        with pytest.raises(DBAPIError) as failed:
            await _backend_pid(engine)
        assert failed.value.connection_invalidated
        assert await _backend_pid(engine) != first
    finally:
        await engine.dispose()
