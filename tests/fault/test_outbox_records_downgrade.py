"""A downgrade below ``outbox_0008`` while a row of several records is unpublished is refused (the relay of
the older code would send its array as one record), and goes through once the relay has published it: what
the revision promises an operator rolling a release back."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text

from govmedia_common.db import create_engine
from govmedia_common.migrations import alembic_config
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration


async def test_a_downgrade_waits_for_the_rows_of_several_records_to_be_published(
    infra: Infrastructure,
) -> None:
    url = await fresh_database(infra, "obdowngrade", "monitor")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, "
                    "records, keys) VALUES ('r1', 'account', 'a', 'MetricsObserved', "
                    "'gov.monitor.observations', "
                    """'[["r1","a",{}],["r2","b",{}]]', '{}', 2, ARRAY['a', 'b'])"""
                )
            )
        config = alembic_config("monitor", url)
        with pytest.raises(Exception, match="rows of several records are unpublished"):
            await asyncio.to_thread(command.downgrade, config, "outbox_0008-1")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM outbox_records"))).scalar() == 2, "kept"

        async with engine.begin() as conn:
            await conn.execute(text("UPDATE outbox SET published_at = now()"))
        await asyncio.to_thread(command.downgrade, config, "outbox_0008-1")
        async with engine.connect() as conn:
            columns = set(
                (
                    await conn.execute(
                        text("SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox'")
                    )
                ).scalars()
            )
        assert not {"records", "keys"} & columns
        await asyncio.to_thread(command.upgrade, config, "heads")
    finally:
        await engine.dispose()


async def test_after_a_downgrade_no_row_is_left_that_the_older_relay_would_republish_as_one_array(
    infra: Infrastructure,
) -> None:
    url = await fresh_database(infra, "obdowngrade2", "monitor")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, "
                    "records, keys, published_at, published_to) VALUES ('r1', 'account', 'a', "
                    "'MetricsObserved', 'gov.monitor.observations', "
                    """'[["r1","a",{}],["r2","b",{}]]', '{}', 2, ARRAY['a', 'b'], now(), 'cluster-1')"""
                )
            )
        config = alembic_config("monitor", url)
        await asyncio.to_thread(command.downgrade, config, "outbox_0008-1")
        async with engine.connect() as conn:
            arrays = (
                await conn.execute(
                    text("SELECT id, payload::text FROM outbox WHERE json_typeof(payload) = 'array'")
                )
            ).all()
        assert arrays == [], (
            "a new broker (the embedded one gets a new cluster id at each start) makes the older relay "
            f"republish every row of the last retention_days, each as one record: {arrays}"
        )
        async with engine.connect() as conn:
            plain = (
                await conn.execute(
                    text("SELECT id, aggregateid, payload::text, published_to FROM outbox ORDER BY seq")
                )
            ).all()
        assert [tuple(r) for r in plain] == [
            ("r1", "a", "{}", "cluster-1"),
            ("r2", "b", "{}", "cluster-1"),
        ], "each record kept as the plain row the older relay republishes"
    finally:
        await engine.dispose()
