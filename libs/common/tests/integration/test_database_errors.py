"""The database's refusals that escape a service become the right problem, with no parameter in the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from govmedia_common.inputs import database_error_problem, register_unique_rule

pytestmark = pytest.mark.integration

SECRET = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


async def _refusal(kit: Any, statement: str, params: dict[str, Any]) -> DBAPIError:
    engine = await kit.database(
        "dberr", "CREATE TABLE things (id int PRIMARY KEY, name varchar(5), secret text)"
    )
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO things VALUES (1, 'a', 'x')"))
    with pytest.raises(DBAPIError) as info:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    return info.value


@pytest.mark.parametrize(
    ("statement", "params", "status", "code"),
    [
        (
            "INSERT INTO things VALUES (2, :v, :s)",
            {"v": "far too long", "s": SECRET},
            422,
            "value-not-storable",
        ),
        ("INSERT INTO things VALUES (2, :v, :s)", {"v": "a\x00b", "s": SECRET}, 422, "value-not-storable"),
        ("SELECT * FROM things WHERE id = :v", {"v": "not-a-number"}, 422, "value-not-storable"),
        ("INSERT INTO things VALUES (1, :v, :s)", {"v": "b", "s": SECRET}, 409, "thing-exists"),
        ("INSERT INTO no_such_table VALUES (:v)", {"v": SECRET}, 500, "internal-error"),
        # the server drops the connection (a restart, a failover): not a bug, a 503 to retry
        ("SELECT pg_terminate_backend(pg_backend_pid()), :v", {"v": SECRET}, 503, "database-unavailable"),
    ],
    ids=["too-long", "nul", "wrong-type", "duplicate", "our-bug", "connection-dropped"],
)
async def test_a_database_refusal_is_the_clients_fault_or_ours_and_never_logs_parameters(
    kit: Any, caplog: pytest.LogCaptureFixture, statement: str, params: dict[str, Any], status: int, code: str
) -> None:
    register_unique_rule("things_pkey", "thing-exists", "That thing exists.")
    error = await _refusal(kit, statement, params)
    with caplog.at_level(logging.INFO, logger="govmedia_common.inputs"):
        problem = database_error_problem(error)
    assert (problem.status, problem.code) == (status, code)
    assert SECRET not in caplog.text and "far too long" not in caplog.text
