"""``govmedia outbox``: the runbook's way to see and release an outbox row the broker refused.

Found by the outside-testing round (the operator at 3 a.m. following docs/operations.md, "A dead-outbox
row"): the runbook said to release the row "as described in ``govmedia outbox --help``", and govmedia answered
"No such command 'outbox'"; the only way was SQL typed by hand into the service's database.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from govmedia_platform import outbox_cli
from govmedia_platform.cli import app
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database

pytestmark = pytest.mark.integration


async def _insert(connection: asyncpg.Connection, aggregate: str, *, dead: bool) -> int:
    seq = await connection.fetchval(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, last_error, "
        "dead_at) VALUES ($1, 'alert', $2, 'AlertRaised', 'gov.monitor.alerts', '{}', '{}', $3, "
        "CASE WHEN $4 THEN now() END) RETURNING seq",
        str(uuid.uuid4()),
        aggregate,
        "MessageSizeTooLargeError: the broker refused 1200000 bytes" if dead else None,
        dead,
    )
    return int(seq)


async def test_list_shows_the_set_aside_row_with_its_error_and_release_gives_it_back_to_the_relay(
    infra: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await fresh_database(infra, "outbox_cli", "monitor")
    name = make_url(url).database
    monkeypatch.setattr(outbox_cli, "database_name", lambda service: name)  # the CLI's govmedia_<service>
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        dead = await _insert(connection, "acc-1", dead=True)
        await _insert(connection, "acc-1", dead=False)  # waits behind it: same aggregate
        await _insert(connection, "acc-2", dead=False)
        server = infra.database_server_url
        runner = CliRunner()

        listed = await asyncio.to_thread(
            runner.invoke, app, ["outbox", "list", "monitor", "--database-url", server]
        )
        assert listed.exit_code == 0, listed.output
        assert "1 set-aside outbox row(s)" in listed.output, listed.output
        assert f"monitor  seq {dead}  AlertRaised  aggregate acc-1" in listed.output, listed.output
        assert "1 later row(s) waiting" in listed.output and "MessageSizeTooLargeError" in listed.output
        assert "govmedia outbox release SERVICE --seq N" in listed.output

        wrong = await asyncio.to_thread(
            runner.invoke,
            app,
            ["outbox", "release", "monitor", "--seq", str(dead + 1), "--database-url", server],
        )
        assert wrong.exit_code == 2 and "not set aside" in wrong.output, wrong.output

        released = await asyncio.to_thread(
            runner.invoke, app, ["outbox", "release", "monitor", "--seq", str(dead), "--database-url", server]
        )
        assert released.exit_code == 0, released.output
        assert f"released 1 row(s) of monitor's outbox for the relay: {dead}" in released.output
        assert await connection.fetchval("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL") == 0
        assert await connection.fetchval("SELECT last_error FROM outbox WHERE seq = $1", dead) is None

        unknown = await asyncio.to_thread(
            runner.invoke, app, ["outbox", "list", "monitr", "--database-url", server]
        )
        assert unknown.exit_code == 2 and "the services are" in unknown.output, unknown.output
    finally:
        await connection.close()


async def test_a_set_aside_row_of_several_records_is_listed_with_the_rows_of_any_of_its_keys_behind_it(
    infra: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await fresh_database(infra, "outbox_cli_records", "monitor")
    name = make_url(url).database
    monkeypatch.setattr(outbox_cli, "database_name", lambda service: name)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        dead = await connection.fetchval(
            "INSERT INTO outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, records, "
            "keys, last_error, dead_at) VALUES ($1, 'account', 'acc-1', 'MetricsObserved', "
            "'gov.monitor.observations', '[]', '{}', 3, ARRAY['acc-1', 'acc-2', 'acc-3'], "
            "'MessageSizeTooLargeError', now()) RETURNING seq",
            str(uuid.uuid4()),
        )
        await _insert(connection, "acc-3", dead=False)  # waits: a key of the row set aside
        await _insert(connection, "acc-9", dead=False)
        listed = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["outbox", "list", "monitor", "--database-url", infra.database_server_url],
        )
        assert listed.exit_code == 0, listed.output
        assert f"monitor  seq {dead}  MetricsObserved  3 records" in listed.output, listed.output
        assert "1 later row(s) waiting" in listed.output, listed.output
    finally:
        await connection.close()
