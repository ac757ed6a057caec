"""``govmedia outbox``: the outbox rows the broker refused for good (set aside, ``dead_at``), and releasing
one for the relay once its cause is fixed (docs/operations.md, "A dead-outbox row").

A set-aside row keeps the later events of its aggregate waiting behind it (their order matters); releasing it
clears ``dead_at`` and ``last_error`` so the relay tries it again at its next claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from govmedia_platform.stack import SERVICES, database_name, with_database

console = Console(stderr=False)
outbox_app = typer.Typer(
    help="Outbox rows the broker refused (set aside): list them, and release one for the relay after a fix."
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        envvar="GOVMEDIA_DATABASE_URL",
        help="PostgreSQL server URL (postgresql+asyncpg://…; default: the running platform's)",
    ),
]
DataDirOption = Annotated[
    Path, typer.Option(help="Data folder of the platform 'govmedia up' runs (for its database server)")
]


@dataclass(frozen=True)
class SetAside:
    service: str
    seq: int
    id: str
    type: str
    aggregate_id: str
    dead_at: datetime
    error: str
    waiting: int  # later rows held behind it: of its aggregate or keys, or behind such a row (waiting_behind)
    records: int | None = None  # a row of several records: how many (its keys all wait behind it)


def _server(database_url: str | None, data_dir: Path) -> str:
    if database_url:
        return database_url
    state_file = data_dir / "state.json"
    if state_file.exists():
        return str(json.loads(state_file.read_text())["database_server_url"])
    console.print(
        "[red]no database server: pass --database-url, set GOVMEDIA_DATABASE_URL or start 'govmedia up'[/]",
        highlight=False,
    )
    raise typer.Exit(2)


def _dsn(server: str, service: str) -> str:
    url = make_url(with_database(server, database_name(service)))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _services(service: str | None) -> list[str]:
    if service is None:
        return list(SERVICES)
    if service not in SERVICES:
        console.print(f"[red]unknown service {service!r}; the services are {', '.join(SERVICES)}[/]")
        raise typer.Exit(2)
    return [service]


# The set-aside rows, and the unpublished rows after the first of them (their aggregates: a row of several
# records has its keys), in order: what waits behind each is found by walking them (:func:`waiting_behind`).
_SET_ASIDE_SQL = """
    SELECT d.seq, d.id, d.type, d.aggregateid, d.dead_at, coalesce(d.last_error, '') AS error, d.records,
           COALESCE(d.keys, ARRAY[d.aggregateid]) AS aggregates
    FROM outbox d WHERE d.dead_at IS NOT NULL AND d.published_at IS NULL ORDER BY d.seq
"""
_LATER_SQL = """
    SELECT seq, COALESCE(keys, ARRAY[aggregateid]) AS aggregates FROM outbox
    WHERE published_at IS NULL AND seq > $1 ORDER BY seq
"""


def waiting_behind(aggregates: Sequence[str], later: Sequence[tuple[int, Sequence[str]]]) -> int:
    """How many of the ``later`` rows (seq, aggregates; in seq order) wait behind a set-aside row of these
    ``aggregates``: as the relay leaves them out, a row sharing an aggregate with it or with a row that
    waits before it (a row of several records, sharing one key, makes each of its other keys wait too)."""
    blocked = set(aggregates)
    count = 0
    for _, keys in later:
        if not blocked.isdisjoint(keys):
            blocked.update(keys)
            count += 1
    return count


async def set_aside(server: str, services: list[str]) -> list[SetAside]:
    """Every set-aside row of these services' outboxes, oldest first, with the rows waiting behind each."""
    rows: list[SetAside] = []
    for service in services:
        connection = await asyncpg.connect(_dsn(server, service))
        try:
            dead = await connection.fetch(_SET_ASIDE_SQL)
            later: list[tuple[int, list[str]]] = []
            if dead:
                later = [
                    (int(w["seq"]), w["aggregates"])
                    for w in await connection.fetch(_LATER_SQL, dead[0]["seq"])
                ]
            for r in dead:
                seq = int(r["seq"])
                rows.append(
                    SetAside(
                        service,
                        seq,
                        str(r["id"]),
                        r["type"],
                        r["aggregateid"],
                        r["dead_at"],
                        r["error"],
                        waiting_behind(r["aggregates"], later[bisect_right(later, seq, key=itemgetter(0)) :]),
                        r["records"],
                    )
                )
        finally:
            await connection.close()
    return rows


async def release(server: str, service: str, seqs: list[int]) -> list[int]:
    """Clear ``dead_at`` of these set-aside rows; the seqs released (a row not set aside is left alone)."""
    connection = await asyncpg.connect(_dsn(server, service))
    try:
        released = await connection.fetch(
            "UPDATE outbox SET dead_at = NULL, last_error = NULL "
            "WHERE seq = ANY($1::bigint[]) AND dead_at IS NOT NULL RETURNING seq",
            seqs,
        )
    finally:
        await connection.close()
    return sorted(int(r["seq"]) for r in released)


def _reaching(server: str) -> contextlib.AbstractContextManager[None]:
    """The platform CLI's one line for a server it cannot reach."""
    from govmedia_platform.cli import _reaching_database

    return _reaching_database(server)


@outbox_app.command("list")
def outbox_list(
    service: Annotated[str | None, typer.Argument(help="Only this service (default: all five)")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDirOption = Path(".govmedia"),
) -> None:
    """List the set-aside outbox rows with their error and the rows of the same aggregate waiting behind."""
    server = _server(database_url, data_dir)
    with _reaching(server):
        rows = asyncio.run(set_aside(server, _services(service)))
    console.print(f"{len(rows)} set-aside outbox row(s)", highlight=False)
    for r in rows:
        since = r.dead_at.isoformat(timespec="seconds")
        console.print(
            f"{r.service}  seq {r.seq}  {r.type}  "
            + (
                f"{r.records} records (keys waiting with them)"
                if r.records
                else f"aggregate {r.aggregate_id}"
            )
            + f"  set aside {since}  {r.waiting} later row(s) waiting",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"    {r.error}", highlight=False, soft_wrap=True, markup=False)
    if rows:
        console.print(
            "fix the cause (the broker's message.max.bytes, the payload, a code fix), then "
            "'govmedia outbox release SERVICE --seq N'",
            highlight=False,
        )


@outbox_app.command("release")
def outbox_release(
    service: Annotated[str, typer.Argument(help="The service whose outbox holds the row")],
    seq: Annotated[
        list[int], typer.Option("--seq", help="The row's seq, as 'outbox list' shows (repeatable)")
    ],
    database_url: DatabaseUrl = None,
    data_dir: DataDirOption = Path(".govmedia"),
) -> None:
    """Give set-aside rows back to the relay (tried at its next claim; the rows behind them follow)."""
    server = _server(database_url, data_dir)
    (chosen,) = _services(service)
    with _reaching(server):
        released = asyncio.run(release(server, chosen, seq))
    missing = sorted(set(seq) - set(released))
    console.print(
        f"released {len(released)} row(s) of {chosen}'s outbox for the relay: "
        f"{', '.join(map(str, released)) or '-'}",
        highlight=False,
    )
    if missing:
        console.print(
            f"[red]not set aside in {chosen}'s outbox (see 'govmedia outbox list {chosen}'): "
            f"{', '.join(map(str, missing))}[/]",
            highlight=False,
        )
        raise typer.Exit(2)
