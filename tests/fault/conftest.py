"""Helpers of the fault tests: fresh plumbing databases, polling, and a supervised loop like a service's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govmedia_common.db import create_engine
from govmedia_common.migrations import create_plumbing_tables
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database


class FaultKit:
    """Databases and background tasks of one fault test, closed at teardown."""

    def __init__(self, infra: Infrastructure) -> None:
        self.infra = infra
        self.urls: dict[AsyncEngine, str] = {}
        self._engines: list[AsyncEngine] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def database(self, prefix: str, *ddl: str, pool_size: int = 10) -> AsyncEngine:
        url = await fresh_database(self.infra, prefix)
        engine = create_engine(url, pool_size=pool_size)
        async with engine.begin() as conn:
            await conn.run_sync(create_plumbing_tables)
            for statement in ddl:
                await conn.execute(text(statement))
        self._engines.append(engine)
        self.urls[engine] = url
        return engine

    def supervise(self, loop: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``loop`` and restart it when it crashes, as the app factory does for relays and consumers."""

        async def forever() -> None:
            while True:
                try:
                    await loop()
                    return
                except Exception:
                    await asyncio.sleep(0.5)

        task = asyncio.create_task(forever())
        self._tasks.append(task)
        return task

    @staticmethod
    async def wait_until(condition: Callable[[], Awaitable[bool]], *, within: float, what: str) -> float:
        """Poll ``condition``; returns the seconds it took, fails after ``within``."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            if await condition():
                return time.monotonic() - started
            await asyncio.sleep(0.25)
        raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        for engine in self._engines:
            await engine.dispose()


@pytest.fixture
async def fault_kit(infra: Infrastructure) -> AsyncIterator[FaultKit]:
    kit = FaultKit(infra)
    try:
        yield kit
    finally:
        await kit.close()
