"""``govmedia-monitor``: the monitor's own commands (bulk file import, the simulator demo).

They talk to the monitor's database directly, through the same service functions as the HTTP API, so an
import writes the same rows and outbox events; the running service's relay publishes them.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import json
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import typer
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from govmedia_common.db import create_engine, session_factory
from govmedia_common.devclock import DevClockRefused, DevClockSettings, service_clock
from govmedia_common.errors import DomainError
from govmedia_common.settings import service_settings
from govmedia_common.workdays import Clock
from govmedia_monitor.observations.importer import (
    FileRefused,
    ImportResult,
    Kind,
    check_encoding,
    detect_format,
    import_rows,
    open_text,
    parse,
    refuse_workbook,
)

app = typer.Typer(help="govmedia monitor (运行监测) commands", no_args_is_help=True)
console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Commands of the monitor service (run with the monitor's database settings)."""


def _columns() -> tuple[ProgressColumn, ...]:
    return (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


async def _run_import(
    path: Path,
    kind: Kind,
    fmt: str,
    database_url: str,
    batch_size: int,
    encoding: str,
    zone: tzinfo | None,
    result: ImportResult,
    clock: Clock,
) -> ImportResult:
    # The whole file is read as text in its encoding before a row is imported.
    total = max(check_encoding(path, encoding) - (1 if fmt == "csv" else 0), 0)
    engine = create_engine(database_url, pool_size=2)
    stopping = _stop_on_ctrl_c()
    try:
        with Progress(*_columns(), console=console) as bar, open_text(path, encoding) as stream:
            task = bar.add_task(f"importing {kind} from {path.name}", total=total)
            return await import_rows(
                session_factory(engine),
                parse(stream, fmt, kind, zone),
                kind,
                clock=clock,
                batch_size=batch_size,
                progress=lambda n: bar.advance(task, n),
                result=result,
                stop=stopping.is_set,
            )
    finally:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        await engine.dispose()


def _stop_on_ctrl_c() -> asyncio.Event:
    """The first Ctrl-C asks the import to stop after the batch being written (each batch is one
    transaction); a second one stops at once (the batch being written is rolled back)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first() -> None:
        stopping.set()
        loop.remove_signal_handler(signal.SIGINT)  # the next Ctrl-C interrupts as usual
        console.print(
            "[yellow]stopping after the batch being written (Ctrl-C again to stop at once)[/]",
            highlight=False,
        )

    with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread (tests)
        loop.add_signal_handler(signal.SIGINT, first)
    return stopping


_FIX_DATABASE = (
    "check --database-url or GOVMEDIA_MONITOR_DATABASE_URL (the server, the database, its user and "
    "password); without them the monitor's database is govmedia_monitor on the server "
    "GOVMEDIA_DATABASE_URL names, or on the platform 'make run' runs"
)
# The name 'govmedia migrate' and 'govmedia up' give the monitor's database on a PostgreSQL server.
MONITOR_DATABASE = "govmedia_monitor"


class _Locations(BaseSettings):
    """Where the monitor's database is, when --database-url does not say (``GOVMEDIA_*``)."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_", extra="ignore")

    monitor_database_url: str | None = None  # the monitor's own database, as its service is given it
    database_url: str | None = None  # the PostgreSQL server of `govmedia up` and `govmedia migrate`
    data_dir: Path = Path(".govmedia")  # where `govmedia up` (make run) records the running platform
    dev_clock_file: Path | None = None  # a development platform's movable clock (as its services read it)


@dataclass(frozen=True)
class _Target:
    """The monitor's database, and the development clock of the platform it belongs to (None: real time)."""

    database_url: str
    clock_file: Path | None


def _target(option: str | None) -> _Target:
    """--database-url; else GOVMEDIA_MONITOR_DATABASE_URL; else govmedia_monitor on GOVMEDIA_DATABASE_URL's
    server; else govmedia_monitor on the server of the platform `make run` runs (and its clock); else the
    default. The clock: GOVMEDIA_DEV_CLOCK_FILE, else that of the running platform whose database it is."""
    where = _Locations()
    clock_file = where.dev_clock_file
    if option:
        return _Target(option, clock_file)
    if where.monitor_database_url:
        return _Target(where.monitor_database_url, clock_file)
    server = where.database_url
    state = where.data_dir / "state.json"
    if server is None and state.is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            recorded = json.loads(state.read_text(encoding="utf-8"))
            server = recorded.get("database_server_url")
            if clock_file is None and recorded.get("clock_file"):
                clock_file = Path(recorded["clock_file"])
    if server:
        try:
            url = make_url(server).set(database=MONITOR_DATABASE).render_as_string(hide_password=False)
        except ArgumentError:
            url = server  # named as not a URL by _database_of
        return _Target(url, clock_file)
    return _Target(service_settings("monitor").database_url, clock_file)


def _clock(target: _Target) -> Clock:
    """The platform's clock (a development platform's movable one, as its services read it)."""
    try:
        return service_clock(
            service_settings("monitor").environment, DevClockSettings(dev_clock_file=target.clock_file)
        )
    except DevClockRefused as exc:
        console.print(f"[red]{exc}[/]", highlight=False, soft_wrap=True)
        sys.exit(2)


def _database_of(database_url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, never its password; a URL that is not one exits 2."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        console.print(
            f"[red]{database_url!r} is not a database URL: give the monitor's database as "
            f"postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE; {_FIX_DATABASE}[/]",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


# Failures to connect or sign in (not a statement that fails: that one keeps its traceback).
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.InvalidAuthorizationSpecificationError,  # wrong user or password
    asyncpg.InvalidCatalogNameError,  # no such database
    asyncpg.CannotConnectNowError,  # starting up or shutting down
)


def _exit_unreachable(exc: BaseException, where: str, done: str) -> None:
    """One line and exit 2 when ``exc`` is a failure to reach the database; otherwise it is raised again."""
    cause = _unreachable(exc)
    if cause is None:
        raise exc
    reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    console.print(
        f"[red]cannot reach the monitor's database at {where} ({reason}): {done}; {_FIX_DATABASE}[/]",
        highlight=False,
        soft_wrap=True,
    )
    sys.exit(2)


def _unreachable(exc: BaseException) -> BaseException | None:
    """The connection failure behind ``exc`` (SQLAlchemy's error wraps the driver's), or None."""
    link: BaseException | None = exc
    for _ in range(10):
        if link is None:
            return None
        if isinstance(link, _UNREACHABLE):
            return link
        link = link.orig if isinstance(link, DBAPIError) else link.__cause__
    return None


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON Lines")
    ],
    kind: Annotated[Kind, typer.Option("--kind", "-k", help="What the rows are")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the name)")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="The monitor's database (default: GOVMEDIA_MONITOR_DATABASE_URL, else govmedia_monitor on "
            "GOVMEDIA_DATABASE_URL's server or on the platform 'make run' runs)"
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=20_000, help="Rows per transaction")] = 2_000,
    rejected_report: Annotated[
        Path | None, typer.Option("--rejected", help="Write refused rows (line, reason) to this CSV file")
    ] = None,
    encoding: Annotated[
        str,
        typer.Option(
            help="The file's text encoding: utf-8 (with or without Excel's byte order mark) or, for an Excel "
            "'CSV' saved on Chinese Windows, gb18030"
        ),
    ] = "utf-8",
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Read times written without a zone (Excel's 2025/10/14 9:30) in this zone, "
            "e.g. Asia/Shanghai"
        ),
    ] = None,
) -> None:
    """Import observed posts, metric snapshots, messages, replies or interaction switches from a file.

    Good rows are imported (idempotently: a second import adds nothing), refused rows are listed with
    their line number and reason. Exit status 0 when every row was accepted, 2 when some were refused.
    Ctrl-C stops after the batch being written (one transaction per batch) and says how many rows went in,
    exit 130: importing the file again adds the rest.
    """
    try:
        refuse_workbook(file)  # whatever its name or --format: said before anything else about the file
    except FileRefused as exc:
        console.print(f"[red]{file.name}: {exc}[/]", highlight=False, soft_wrap=True)
        sys.exit(2)
    try:
        chosen = fmt or detect_format(file)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if chosen not in ("csv", "jsonl"):
        raise typer.BadParameter("--format must be csv or jsonl")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise typer.BadParameter(f"unknown encoding {encoding!r} (utf-8 or gb18030)") from None
    chosen_encoding = "utf-8" if codecs.lookup(encoding).name == "utf-8" else encoding
    zone = None
    if timezone is not None:
        try:
            zone = ZoneInfo(timezone.strip())
        except (ValueError, ZoneInfoNotFoundError):
            raise typer.BadParameter(
                f"unknown time zone {timezone!r}: name an IANA zone, e.g. Asia/Shanghai for Beijing time"
            ) from None
    target = _target(database_url)
    url = target.database_url
    where = _database_of(url)
    clock = _clock(target)
    result = ImportResult()
    try:
        asyncio.run(_run_import(file, kind, chosen, url, batch_size, chosen_encoding, zone, result, clock))
    except FileRefused as exc:
        console.print(f"[red]{file.name}: {exc}[/]", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (*_UNREACHABLE, DBAPIError) as exc:
        done = (
            f"{result.accepted} rows were imported before it (importing the file again adds the rest)"
            if result.accepted
            else "nothing was imported"
        )
        _exit_unreachable(exc, where, done)
    if result.interrupted:
        console.print(
            f"[yellow]interrupted: {result.accepted} rows were imported before it, {result.duplicates} were "
            f"already there and {len(result.rejected)} refused, in whole batches of {batch_size}; nothing "
            f"after the last whole batch was imported: import the same file again to add the rest (rows "
            f"already there are skipped)[/]",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(130)
    console.print(
        f"[green]{result.accepted} imported[/], {result.duplicates} already there, "
        f"[{'red' if result.rejected else 'green'}]{len(result.rejected)} refused[/]"
    )
    if result.rejected:
        table = Table("line", "reason", title="refused rows")
        for line, reason in result.rejected[:50]:
            table.add_row(str(line), reason)
        console.print(table)
        if len(result.rejected) > 50:
            console.print(f"… and {len(result.rejected) - 50} more")
        if rejected_report:
            with rejected_report.open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["line", "reason"])
                writer.writerows(result.rejected)
            console.print(f"refused rows written to {rejected_report}")
        sys.exit(2)


@app.command()
def simulate(
    accounts: Annotated[int, typer.Option(min=1, max=100_000, help="Number of simulated accounts")] = 40,
    days: Annotated[int, typer.Option(min=1, max=3_650, help="Days to simulate")] = 90,
    seed: Annotated[int, typer.Option(help="Same seed, same activity")] = 7,
    start: Annotated[str, typer.Option(help="First simulated day (ISO date)")] = "2025-09-01",
    database_url: Annotated[
        str | None,
        typer.Option(
            help="The monitor's database (default: GOVMEDIA_MONITOR_DATABASE_URL, else govmedia_monitor on "
            "GOVMEDIA_DATABASE_URL's server or on the platform 'make run' runs)"
        ),
    ] = None,
    hot_words: Annotated[bool, typer.Option(help="Mine hot words every simulated day")] = True,
) -> None:
    """Run the simulator demo: accounts with mixed behaviours, day by day on an injected clock.

    Its accounts and alerts are invented: refused on a production monitor (GOVMEDIA_ENVIRONMENT=production).
    """
    from datetime import date

    from govmedia_common.workdays import SHANGHAI, FixedClock
    from govmedia_monitor.connectors.demo import run_demo

    try:
        first = date.fromisoformat(start)
    except ValueError as exc:
        raise typer.BadParameter("--start must be an ISO date such as 2025-09-01") from exc
    settings = service_settings("monitor")
    if settings.environment == "production":
        # Its accounts, posts and alerts are invented, and their events reach notify, scoring and integrators.
        console.print(
            "[red]simulate writes invented accounts, posts and alerts (and their events) into the monitor's "
            "database: refused with GOVMEDIA_ENVIRONMENT=production; run it on a development or test "
            "platform (make run)[/]",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    url = _target(database_url).database_url
    where = _database_of(url)

    done: list[date] = []  # the days simulated whole

    async def go() -> None:
        engine = create_engine(url, pool_size=2)
        clock = FixedClock(datetime.combine(first, time(8), tzinfo=SHANGHAI))
        try:
            with Progress(*_columns(), console=console) as bar:
                task = bar.add_task(f"simulating {accounts} accounts", total=days)

                def day_done(day: date) -> None:
                    bar.advance(task)
                    done.append(day)

                counts = await run_demo(
                    session_factory(engine),
                    accounts=accounts,
                    days=days,
                    seed=seed,
                    start=first,
                    clock=clock,
                    hot_words=hot_words,
                    on_day=day_done,
                )
        finally:
            await engine.dispose()
        table = Table("rule", "severity", "alerts", title=f"alerts after {days} days")
        for (rule, severity), n in sorted(counts.items()):
            table.add_row(rule, severity, str(n))
        console.print(table)

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        through = f" (through {done[-1]})" if done else ""
        console.print(
            f"[yellow]interrupted after {len(done)} of {days} days{through}: those are stored; the day after "
            "may be stored in part (its observations, not its sweep). The same command again simulates every "
            "day again and adds nothing twice.[/]",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(130)
    except (*_UNREACHABLE, DBAPIError) as exc:
        _exit_unreachable(exc, where, "the simulation did not run")
    except DomainError as exc:  # a rule that cannot be judged (a year without a working-day schedule)
        console.print(
            f"[red]cannot simulate from {first}: {exc.detail} The simulated days before that year are "
            "stored.[/]",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
