"""The delivery dispatcher backs off while its database is away, instead of failing (and logging a traceback)
every second.

Found by the outside-testing round (the operator reading the logs during a database outage): the dispatcher
tried again every ``dispatcher_interval_seconds`` (1 s) whatever happened, so thirty minutes without the
database were 1,800 tracebacks of ``dispatcher error; retrying`` drowning every other line. Now the wait
doubles with each failure in a row (up to a minute) and returns to the interval after a success.
"""

from __future__ import annotations

import asyncio
import socket

from prometheus_client import REGISTRY

from govmedia_common.db import create_engine, session_factory
from govmedia_common.workdays import SystemClock
from govmedia_notify.channels.service import Dispatcher
from govmedia_notify.settings import NotifySettings


def _failed_turns() -> float:
    labels = {"service": "notify", "task": "dispatcher", "outcome": "failed"}
    return REGISTRY.get_sample_value("govmedia_task_runs_total", labels) or 0.0


async def test_the_dispatcher_backs_off_while_its_database_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"postgresql+asyncpg://govmedia:x@127.0.0.1:{port}/notify"
    settings = NotifySettings(database_url=url, dispatcher_interval_seconds=0.5)
    engine = create_engine(url, pool_size=1)
    dispatcher = Dispatcher(session_factory(engine), settings, SystemClock())
    before = _failed_turns()
    running = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.sleep(5.0)
    finally:
        dispatcher.stop()
        await asyncio.wait_for(running, 5)
        await dispatcher.close()
        await engine.dispose()
    failures = _failed_turns() - before
    # Every 0.5 s: ~10 failures in 5 s (as before). Backing off 1, 2, 4 s: failures at 0, 1 and 3 s.
    assert 2 <= failures <= 5, failures
