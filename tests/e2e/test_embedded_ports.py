"""The embedded PostgreSQL and broker pick a free port, but another program may take it between the pick and
their bind (two test sessions or platforms starting at once). Then they must not believe that program is
theirs, and must start on another port.

The race is made certain: the first port offered is taken by a listener of the test before the server binds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from govmedia_platform import stack
from govmedia_platform.stack import EmbeddedBroker, EmbeddedPostgres


@pytest.fixture
def taken_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A port some other program listens on, offered first by ``free_port`` (then real free ports)."""
    thief = socket.socket()
    thief.bind(("127.0.0.1", 0))
    thief.listen(16)
    port = int(thief.getsockname()[1])
    real = stack.free_port
    offered = iter([port])
    monkeypatch.setattr(stack, "free_port", lambda host="127.0.0.1": next(offered, None) or real(host))
    try:
        yield port
    finally:
        thief.close()


async def _cluster_id(bootstrap: str) -> str | None:
    from govmedia_common.kafka import cluster_id

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await consumer.start()
    try:
        return await cluster_id(consumer._client)
    finally:
        await consumer.stop()


def test_the_broker_starts_on_another_port_when_its_pick_is_taken_before_it_binds(
    tmp_path: Path, taken_port: int
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    lines: list[str] = []
    broker.start(lines.append)
    try:
        assert broker.port != taken_port
        assert broker.process is not None and broker.process.poll() is None
        assert asyncio.run(_cluster_id(broker.bootstrap)) == broker.cluster_id  # ours answers there
        assert any(str(taken_port) in line for line in lines), lines  # and it said why it moved
    finally:
        broker.stop()


def test_postgresql_starts_on_another_port_when_its_pick_is_taken_before_it_binds(
    tmp_path: Path, taken_port: int
) -> None:
    import asyncpg

    pg = EmbeddedPostgres(tmp_path / "postgres")
    pg.start(lambda _: None)
    try:
        assert pg.port != taken_port

        async def data_directory() -> str:
            conn = await asyncpg.connect(host="127.0.0.1", port=pg.port, user="postgres", database="postgres")
            try:
                return str(await conn.fetchval("SHOW data_directory"))
            finally:
                await conn.close()

        assert Path(asyncio.run(data_directory())) == (tmp_path / "postgres" / "pgdata").resolve()
    finally:
        pg.stop()


def test_a_port_given_explicitly_and_held_by_another_program_is_an_error_naming_it(
    tmp_path: Path, taken_port: int
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", port=taken_port)
    with pytest.raises(RuntimeError, match=str(taken_port)):
        broker.start(lambda _: None)
    assert broker.process is None
