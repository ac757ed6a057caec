"""``govmedia``: run the whole platform on one machine, migrate, inspect, stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from govmedia_platform.launcher import Platform, prepare, provision_monitor_client, start_infrastructure
from govmedia_platform.outbox_cli import outbox_app
from govmedia_platform.stack import SERVICES, database_name, with_database

app = typer.Typer(
    help="govmedia — supervision platform for government new-media accounts (政务新媒体管理平台).",
    no_args_is_help=True,
    add_completion=False,
)
# Not a terminal (a pipe, a log, CI): lines are never wrapped, so a path or a command in a message stays
# whole for whoever copies or greps it.
console = Console(width=None if sys.stdout.isatty() else 130, soft_wrap=not sys.stdout.isatty())

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir", envvar="GOVMEDIA_DATA_DIR", help="Folder for the embedded servers' data and logs."
    ),
]


def _log(msg: str) -> None:
    console.print(f"[dim]•[/dim] {msg}")


def _print_table(platform: Platform) -> None:
    table = Table(title="govmedia is running — Ctrl-C stops everything")
    for col in ("service", "API URL", "docs URL", "metrics URL"):
        table.add_column(col)
    for svc in platform.services:
        table.add_row(svc.name, svc.url, f"{svc.url}/docs", f"{svc.url}/metrics")
    console.print(table)
    console.print(
        f"PostgreSQL: {platform.infra.database_server_url}   Kafka: {platform.infra.kafka_bootstrap}"
    )


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _server_of(database_url: str) -> str:
    """``host:port`` of a PostgreSQL URL, never its password; a URL SQLAlchemy cannot parse is refused."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise _fail(
            f"{database_url!r} is not a database URL: give the PostgreSQL server as "
            "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/postgres (--database-url or GOVMEDIA_DATABASE_URL)"
        ) from None
    return f"{url.host or 'localhost'}:{url.port or 5432}"


@contextlib.contextmanager
def _reaching(what: str, address: str, fix: str) -> Iterator[None]:
    """A server that does not answer becomes one line naming it and what to do, not a traceback."""
    import asyncpg
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
    from sqlalchemy.exc import DBAPIError

    # Only failures to connect or sign in: a migration whose SQL fails must still show its traceback.
    refused = (
        OSError,
        TimeoutError,
        KafkaConnectionError,
        KafkaTimeoutError,
        asyncpg.InvalidAuthorizationSpecificationError,  # wrong user or password
        asyncpg.InvalidCatalogNameError,  # no such database
        asyncpg.CannotConnectNowError,  # starting up or shutting down
    )
    try:
        yield
    except (*refused, DBAPIError) as exc:
        chain: list[BaseException] = []
        link: BaseException | None = exc
        while link is not None and len(chain) < 10:  # SQLAlchemy's error wraps the driver's, and so on
            chain.append(link)
            link = link.orig if isinstance(link, DBAPIError) else link.__cause__
        cause = next((c for c in chain if isinstance(c, refused)), None)
        if cause is None:
            raise
        reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise _fail(f"cannot reach {what} at {address} ({reason}); {fix}") from None


def _reaching_broker(bootstrap: str) -> contextlib.AbstractContextManager[None]:
    return _reaching(
        "the Kafka broker",
        bootstrap,
        "check --bootstrap or GOVMEDIA_KAFKA_BOOTSTRAP, or start the platform with 'make run'",
    )


def _reaching_database(database_url: str) -> contextlib.AbstractContextManager[None]:
    return _reaching(
        "PostgreSQL",
        _server_of(database_url),
        "check --database-url or GOVMEDIA_DATABASE_URL (the server, its user and password)",
    )


@app.command()
def up(
    data_dir: DataDir = Path(".govmedia"),
    detach_after_ready: Annotated[
        bool,
        typer.Option("--exit-when-ready", help="Stop everything once all services are ready (smoke test)."),
    ] = False,
) -> None:
    """Start PostgreSQL, the broker, migrations, topics and the five services; wait until all are ready."""
    data_dir = data_dir.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        console.print(
            f"[red]cannot create the data folder {data_dir} ({exc.strerror}): pass --data-dir a folder "
            "you can write (.govmedia in the clone by default)"
        )
        raise typer.Exit(2) from None
    state = data_dir / "state.json"
    if state.exists():
        pid = json.loads(state.read_text()).get("pid")
        if pid and _alive(pid):
            console.print(
                f"[red]govmedia is already running (pid {pid}); use 'govmedia status' or 'govmedia down'."
            )
            raise typer.Exit(1)
    started = time.monotonic()
    infra = start_infrastructure(data_dir, _log)
    platform = Platform(infra, data_dir)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C too, whatever was inherited: a shell starts `make run &` with SIGINT ignored, and a terminal's
    # Ctrl-C still reaches the services in the group, which stopped while this loop restarted them.
    signal.signal(signal.SIGINT, on_signal)
    try:
        created = asyncio.run(prepare(infra, log=_log))
        # Every database new: nothing is dated by an earlier clock. Otherwise the clock stays with the data.
        platform.settle_clock(fresh_data=set(created) >= {database_name(s) for s in SERVICES}, log=_log)
        platform.start_services(log=_log)
        platform.wait_ready(log=_log)
        provision_monitor_client(platform, log=_log)
        platform.write_state()
        _print_table(platform)
        console.print(f"ready in {time.monotonic() - started:.1f}s")
        if detach_after_ready:
            return
        console.print(
            "supervising: a crashed service or embedded server is restarted, the rest keeps running"
        )
        while True:  # Ctrl-C (KeyboardInterrupt) or SIGTERM ends this loop and stops everything
            platform.supervise(log=_log)
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        platform.stop()
        console.print("all govmedia processes stopped")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running `govmedia up` (the platform's supervisor), not merely a live process.

    A state.json left by a crash or a reboot may name a pid the system has given to another program since:
    that one is never signalled by `down` nor taken for the platform.
    """
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        args = process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:  # cannot tell: a live process of another user, as before
        return True
    named = any("govmedia" in Path(a).name or "govmedia_platform" in a for a in args)
    return named and "up" in args


@app.command()
def status(data_dir: DataDir = Path(".govmedia")) -> None:
    """Show the broker bootstrap, PostgreSQL, and each service's URL, readiness and restarts."""
    state_file = data_dir / "state.json"
    if not state_file.exists():
        console.print("govmedia is not running here (no state file). Start it with 'make run'.")
        raise typer.Exit(1)
    state = json.loads(state_file.read_text())
    pid = state.get("pid")
    if pid and not _alive(pid):  # the state of a platform stopped with Ctrl-C, or killed
        console.print(
            f"govmedia is not running here (its supervisor, pid {pid}, has stopped). "
            "Start it with 'make run'."
        )
        raise typer.Exit(1)
    console.print(f"Kafka bootstrap: {state.get('kafka_bootstrap', '?')}")
    console.print(f"PostgreSQL: {state.get('database_server_url', '?')}")
    if state.get("clock_file"):  # development: the services' shared clock, which `govmedia demo` moves
        from govmedia_common.devclock import MovableClock

        clock = MovableClock(Path(state["clock_file"]))
        days = clock.offset().total_seconds() / 86400
        moved = f" (real time {days:+.1f} days, moved by a demo)" if days else " (real time)"
        console.print(f"Services' clock: {clock.now():%Y-%m-%d %H:%M}{moved}")
    table = Table(title="govmedia status")
    for col in ("service", "URL", "ready", "restarts"):
        table.add_column(col)
    with httpx.Client(timeout=2.0) as client:
        for name, info in state["services"].items():
            try:
                answer = client.get(f"{info['url']}/readyz")
                # ready, and answered by the process this platform started (not another one on the port)
                ready = answer.status_code == 200 and answer.json().get("pid", info["pid"]) == info["pid"]
            except (httpx.HTTPError, ValueError, AttributeError):
                ready = False
            # every restart since `govmedia up` (the back-off's own count resets after a minute)
            restarts = info.get("restarts_total", info.get("restarts", 0))
            table.add_row(name, info["url"], "[green]yes" if ready else "[red]no", str(restarts))
    console.print(table)


@app.command()
def down(data_dir: DataDir = Path(".govmedia")) -> None:
    """Stop a platform started with 'govmedia up' in another terminal."""
    state_file = data_dir / "state.json"
    if not state_file.exists():
        console.print("nothing to stop")
        return
    state = json.loads(state_file.read_text())
    pid = state.get("pid")
    if pid and _alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(120):
            if not _alive(pid):
                break
            time.sleep(0.5)
    console.print("stopped")


# What `govmedia up`, the embedded stack and `make demo` keep in a data folder: `clean` removes a folder
# holding these only (and files beside them named after them, such as state.json.tmp).
DATA_ENTRIES = (
    "broker",
    "clock.json",
    "demo-summary.json",
    "logs",
    "monitor-client.json",
    "pgdata",
    "postgres",
    "state.json",
)


@app.command()
def clean(data_dir: DataDir = Path(".govmedia")) -> None:
    """Remove the embedded stack's data (databases, development clock, logs): the next 'up' starts afresh.

    Refused while a platform started with 'govmedia up' (or its PostgreSQL) still runs on the folder: the
    server would lose its files under it. Stop it first with 'govmedia down' or Ctrl-C.
    """
    from govmedia_platform.stack import EmbeddedPostgres, remove_data

    if not data_dir.exists():
        console.print(f"nothing to remove ({data_dir} does not exist)")
        return
    foreign = sorted(e.name for e in data_dir.iterdir() if not e.name.startswith(DATA_ENTRIES))
    if foreign:  # `--data-dir .` in a clone removed the clone, uncommitted work and all
        shown = ", ".join(foreign[:8]) + (" …" if len(foreign) > 8 else "")
        console.print(
            f"[red]{data_dir} is not a govmedia data folder: it holds {shown}, which govmedia did not "
            "put there; nothing was removed. Pass --data-dir the folder 'govmedia up' used "
            "(.govmedia by default)."
        )
        raise typer.Exit(2)
    state_file = data_dir / "state.json"
    pid = json.loads(state_file.read_text()).get("pid") if state_file.exists() else None
    try:
        postgres_running = EmbeddedPostgres._postmaster_alive(data_dir / "postgres" / "pgdata")
    except RuntimeError:
        postgres_running = True
    if (pid and _alive(pid)) or postgres_running:
        console.print(
            f"[red]govmedia is running on {data_dir}{f' (pid {pid})' if pid and _alive(pid) else ''}; "
            "stop it first ('govmedia down' or Ctrl-C), then clean"
        )
        raise typer.Exit(1)
    remove_data(data_dir)
    console.print(f"removed {data_dir}: databases, the development clock and logs; 'make run' starts afresh")


@app.command()
def migrate(
    database_url: Annotated[
        str,
        typer.Option(envvar="GOVMEDIA_DATABASE_URL", help="PostgreSQL server URL (postgresql+asyncpg://…)"),
    ],
    service: Annotated[list[str] | None, typer.Option(help="Only these services (repeatable).")] = None,
    revision: str = "heads",
    grafana_db_password: Annotated[
        str | None,
        typer.Option(
            envvar="GOVMEDIA_GRAFANA_DB_PASSWORD",
            help="Password of the read-only role Grafana reads the databases with (no login without it).",
        ),
    ] = None,
) -> None:
    """Create each service's database if missing, run its Alembic migrations, grant the read-only role."""
    from govmedia_common.migrations import upgrade
    from govmedia_platform.stack import create_databases

    chosen = tuple(_known_services(service))
    with _reaching_database(database_url):
        created = asyncio.run(create_databases(database_url, [database_name(s) for s in chosen]))
        for name in created:
            console.print(f"created database {name}")
        for s in chosen:
            upgrade(s, with_database(database_url, database_name(s)), revision)
            console.print(f"{database_name(s)}: at {revision}")
        from govmedia_platform.readonly import grant_read_only

        for line in asyncio.run(
            grant_read_only(database_url, [database_name(s) for s in chosen], grafana_db_password)
        ):
            console.print(line)


def _known_services(names: list[str] | None) -> list[str]:
    """The services named (all when none), or a usage error listing the real names."""
    unknown = [n for n in names or () if n not in SERVICES]
    if unknown:
        raise _fail(f"unknown service(s) {', '.join(unknown)}; the services are {', '.join(SERVICES)}")
    return list(names or SERVICES)


@app.command()
def topics(
    bootstrap: Annotated[
        str | None,
        typer.Option(
            envvar="GOVMEDIA_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers (default: the running platform)"
        ),
    ] = None,
    data_dir: DataDir = Path(".govmedia"),
) -> None:
    """Create every topic of the event catalogue and its dead-letter topic."""
    from govmedia_common.kafka import all_topics, ensure_topics
    from govmedia_common.settings import KafkaSettings

    bootstrap = _bootstrap(bootstrap, data_dir)
    with _reaching_broker(bootstrap):
        made = asyncio.run(ensure_topics(KafkaSettings(bootstrap=bootstrap), all_topics()))
    console.print(f"{len(all_topics())} topics present, {len(made)} created: {', '.join(made) or '-'}")


dlt_app = typer.Typer(help="Dead letters: list them, and send them back to their topic after a fix.")
app.add_typer(dlt_app, name="dlt")
app.add_typer(outbox_app, name="outbox")


def _bootstrap(bootstrap: str | None, data_dir: Path) -> str:
    if bootstrap:
        return bootstrap
    state_file = data_dir / "state.json"
    if state_file.exists():
        return str(json.loads(state_file.read_text())["kafka_bootstrap"])
    console.print("[red]no broker: pass --bootstrap, set GOVMEDIA_KAFKA_BOOTSTRAP or start 'govmedia up'")
    raise typer.Exit(2)


Bootstrap = Annotated[
    str | None,
    typer.Option(
        envvar="GOVMEDIA_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers (default: the running platform)"
    ),
]


@contextlib.contextmanager
def _known_topic(bootstrap: str) -> Iterator[None]:
    """A topic the broker does not have is one line naming it and the closest ones it has, exit 2."""
    from govmedia_platform.deadletters import NoneMatch, NoSuchTopic

    try:
        yield
    except NoSuchTopic as exc:
        closest = f"; did you mean {' or '.join(exc.closest)}?" if exc.closest else ""
        raise _fail(f"no topic {exc.topic!r} on the broker at {bootstrap}{closest}") from None
    except NoneMatch as exc:
        asked = f"group {exc.group!r}" if exc.group is not None else ""
        if exc.ids:
            asked += f"{' and ' if asked else ''}event id(s) {', '.join(exc.ids)}"
        raise _fail(
            f"none of the {exc.count} dead letter(s) of {exc.topic} is of {asked}: nothing replayed; "
            f"their groups are {', '.join(exc.groups)} ('govmedia dlt list {exc.topic}' shows their ids)"
        ) from None


@dlt_app.command("list")
def dlt_list(
    topic: Annotated[str, typer.Argument(help="The topic (or its .dlt topic), e.g. gov.registry.accounts")],
    bootstrap: Bootstrap = None,
    data_dir: DataDir = Path(".govmedia"),
) -> None:
    """List the dead letters of a topic with their error."""
    from govmedia_platform.deadletters import read_dead_letters

    address = _bootstrap(bootstrap, data_dir)
    with _reaching_broker(address), _known_topic(address):
        letters = asyncio.run(read_dead_letters(address, topic))
    # One line per dead letter (ids whole, easy to grep), then the error indented below it.
    console.print(f"{len(letters)} dead letter(s) of {topic.removesuffix('.dlt')}", highlight=False)
    for d in letters:
        console.print(
            f"partition {d.partition} offset {d.offset}  {d.event_id}  {d.event_type}  group={d.group}  "
            f"attempts={d.attempts}",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"    {d.error}", highlight=False, soft_wrap=True, markup=False)


@dlt_app.command("replay")
def dlt_replay(
    topic: Annotated[str, typer.Argument(help="The topic (or its .dlt topic) whose dead letters go back")],
    group: Annotated[str | None, typer.Option(help="Only those a given consumer group gave up on")] = None,
    event_id: Annotated[
        list[str] | None, typer.Option("--id", help="Only these event ids (repeatable)")
    ] = None,
    bootstrap: Bootstrap = None,
    data_dir: DataDir = Path(".govmedia"),
) -> None:
    """Send dead letters back to their original topic (idempotent: consumers' inboxes drop repeats)."""
    from govmedia_platform.deadletters import replay_dead_letters

    address = _bootstrap(bootstrap, data_dir)
    with _reaching_broker(address), _known_topic(address):
        sent = asyncio.run(replay_dead_letters(address, topic, group=group, event_ids=set(event_id or ())))
    console.print(f"replayed {sent} dead letter(s) to {topic.removesuffix('.dlt')}")


@app.command()
def contracts(
    action: Annotated[
        str, typer.Argument(help="'write' regenerates, 'check' compares with the code")
    ] = "check",
    root: Path = Path("."),
) -> None:
    """Generate or check the JSON Schemas and AsyncAPI document of the event catalogue."""
    from govmedia_platform import contracts as c

    if action not in ("write", "check"):
        raise typer.BadParameter("action is 'write' or 'check'")
    raise typer.Exit(c.main([action, "--root", str(root)]))


@app.command()
def openapi(
    action: Annotated[
        str, typer.Argument(help="'check' compares with the code, 'write' regenerates the snapshots")
    ] = "check",
    service: Annotated[list[str] | None, typer.Option(help="Only these services (repeatable).")] = None,
    allow_breaking: Annotated[
        bool, typer.Option("--allow-breaking", help="Write even a breaking change (announce it first).")
    ] = False,
    root: Path = Path("."),
) -> None:
    """Check or regenerate the committed OpenAPI documents (contracts/openapi/<service>.json)."""
    from govmedia_platform import openapi_contracts as oc

    if action not in ("write", "check"):
        raise typer.BadParameter("action is 'write' or 'check'")
    service = _known_services(service)
    try:
        drifts = oc.write(root, service, allow_breaking=allow_breaking) if action == "write" else None
    except oc.BreakingChangeError as exc:
        console.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(1) from None
    if drifts is not None:
        for d in drifts:
            console.print(
                f"wrote {oc.snapshot_path(d.service)} ({d.describe()})", highlight=False, markup=False
            )
        console.print(f"{len(drifts)} snapshot(s) written")
        return
    drifts = oc.check(root, service)
    for d in drifts:
        console.print(d.describe(), highlight=False, markup=False)
    if drifts:
        console.print("run `govmedia openapi write` (or `make contracts`) and commit contracts/openapi/")
        raise typer.Exit(1)
    console.print("the OpenAPI snapshots match the code")


@app.command()
def demo(
    data_dir: DataDir = Path(".govmedia"),
    scale: Annotated[
        float, typer.Option(min=0.001, max=100, help="1 = about 1,000 units and 3,000 accounts.")
    ] = 1.0,
    days: Annotated[int, typer.Option(min=1, max=366, help="Simulated days of the monitored accounts.")] = 90,
    seed: Annotated[int, typer.Option(help="Seed of the simulator (same seed, same story).")] = 2026,
    admin_password: Annotated[
        str,
        typer.Option(
            envvar="GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD",
            help="Password of the platform's first administrator 'admin'.",
        ),
    ] = "govmedia-dev-admin",
) -> None:
    """Fill the platform `make run` is running with a province and 90 simulated days; a summary and URLs."""
    from govmedia_platform.demo_summary import NoPlatform, demo_command

    try:
        demo_command(
            data_dir=data_dir,
            scale=scale,
            days=days,
            seed=seed,
            admin_password=admin_password,
            console=console,
        )
    except NoPlatform as exc:
        console.print(f"[red]{exc}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("stopped (what was written so far stays on the platform)")


if __name__ == "__main__":
    app()
