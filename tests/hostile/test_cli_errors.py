"""The ``govmedia`` CLI in front of a new user's mistakes: one line saying what is wrong and what to do.

The outside test found tracebacks (rich's frames of aiokafka, asyncpg or SQLAlchemy) where a user had
mistyped a service name, a database URL or a broker address, or had nothing running there yet.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govmedia_platform.cli import app


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _assert_one_clear_error(code: int, output: str, *names: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output and "│ ❱" not in output, output
    for name in names:
        assert name in output, output


@pytest.mark.parametrize(
    "args",
    [
        ("topics", "--bootstrap", "127.0.0.1:{port}"),
        ("dlt", "list", "gov.registry.accounts", "--bootstrap", "127.0.0.1:{port}"),
        ("dlt", "replay", "gov.registry.accounts", "--bootstrap", "127.0.0.1:{port}"),
    ],
    ids=["topics", "dlt-list", "dlt-replay"],
)
def test_an_unreachable_broker_is_named_with_what_to_do(args: tuple[str, ...]) -> None:
    port = _closed_port()
    code, output = _run(*(a.format(port=port) for a in args))
    _assert_one_clear_error(code, output, f"127.0.0.1:{port}", "GOVMEDIA_KAFKA_BOOTSTRAP")


def test_an_unreachable_database_server_is_named_without_its_password() -> None:
    port = _closed_port()
    code, output = _run(
        "migrate", "--database-url", f"postgresql+asyncpg://govmedia:s3cret@127.0.0.1:{port}/x"
    )
    _assert_one_clear_error(code, output, f"127.0.0.1:{port}", "GOVMEDIA_DATABASE_URL")
    assert "s3cret" not in output


def test_a_database_url_that_is_no_url_says_which_form_it_takes() -> None:
    code, output = _run("migrate", "--database-url", "localhost:5432")
    _assert_one_clear_error(code, output, "postgresql+asyncpg://")


def test_an_unknown_service_name_lists_the_services() -> None:
    code, output = _run("openapi", "check", "--service", "registy")
    _assert_one_clear_error(code, output, "registy", "registry", "scoring")


def test_status_of_a_stopped_platform_says_it_is_not_running_instead_of_listing_it(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs: the platform was stopped (Ctrl-C) or killed
    (tmp_path / "state.json").write_text(
        json.dumps(
            {
                "pid": gone.pid,
                "database_server_url": "postgresql+asyncpg://postgres@127.0.0.1:1",
                "kafka_bootstrap": "127.0.0.1:1",
                "services": {"registry": {"url": "http://127.0.0.1:1", "pid": gone.pid, "restarts": 0}},
            }
        )
    )
    code, output = _run("status", "--data-dir", str(tmp_path))
    assert code == 1, output
    assert "not running" in output and "make run" in output, output
    assert "http://127.0.0.1:1" not in output, output


@pytest.mark.parametrize("args", [("--days", "0"), ("--days", "-5"), ("--scale", "-1"), ("--scale", "0")])
def test_a_demo_of_no_days_or_no_size_is_refused_before_touching_the_platform(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    code, output = _run("demo", "--data-dir", str(tmp_path), *args)
    assert code == 2, output  # a usage error: the option's range, not 'start a platform first'
    assert args[0] in output and "make run" not in output, output


@pytest.mark.parametrize("command", [("topics",), ("dlt", "list", "gov.registry.accounts")])
def test_broker_commands_default_to_the_platform_govmedia_up_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Every command that talks to the broker finds the one `govmedia up` started, as `dlt` does; `topics`
    used to stop at a missing --bootstrap while the platform ran (the README runs it without one)."""
    monkeypatch.delenv("GOVMEDIA_KAFKA_BOOTSTRAP", raising=False)
    port = _closed_port()  # the platform's broker, gone meanwhile: the error names the address it tried
    (tmp_path / "state.json").write_text(json.dumps({"kafka_bootstrap": f"127.0.0.1:{port}"}))
    code, output = _run(*command, "--data-dir", str(tmp_path))
    _assert_one_clear_error(code, output, f"127.0.0.1:{port}")


def test_clean_refuses_while_the_platform_runs_and_removes_data_and_clock_once_stopped(
    tmp_path: Path,
) -> None:
    """`make clean` while `make run` runs would pull PostgreSQL's files from under it; once stopped, the
    databases and the development clock go together (a fresh platform starts on real time)."""
    data = tmp_path / ".govmedia"
    (data / "postgres" / "pgdata").mkdir(parents=True)
    (data / "clock.json").write_text('{"offset_seconds": 864000}')
    # a running `govmedia up`, as far as its command line tells
    platform = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "govmedia", "up"])
    try:
        (data / "state.json").write_text(json.dumps({"pid": platform.pid}))
        code, output = _run("clean", "--data-dir", str(data))
    finally:
        platform.kill()
        platform.wait()
    assert code == 1 and "govmedia down" in output, output
    assert (data / "clock.json").exists()
    (data / "state.json").write_text(json.dumps({"pid": 2**22 + 12345}))  # a supervisor long gone
    code, output = _run("clean", "--data-dir", str(data))
    assert code == 0, output
    assert not data.exists()


def test_a_message_naming_a_long_path_is_one_line_when_not_on_a_terminal(tmp_path: Path) -> None:
    """Printed to a pipe or a log, the CLI wrapped its lines at 130 columns: with a long data folder the
    command to run next ('govmedia down') was cut in two, so copying or grepping it failed."""
    data = tmp_path / ("a-long-folder-name-" * 8) / ".govmedia"
    (data / "postgres" / "pgdata").mkdir(parents=True)
    platform = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "govmedia", "up"])
    try:
        (data / "state.json").write_text(json.dumps({"pid": platform.pid}))
        code, output = _run("clean", "--data-dir", str(data))
    finally:
        platform.kill()
        platform.wait()
    assert code == 1, output
    lines = [line for line in output.splitlines() if "is running on" in line]
    assert len(lines) == 1 and str(data) in lines[0] and "'govmedia down'" in lines[0], output


def test_down_never_signals_a_process_that_merely_reuses_the_recorded_pid(tmp_path: Path) -> None:
    """After a reboot or a crash, state.json may name a pid the system gave to another program since:
    `govmedia down` must not send it SIGTERM, and `status`/`clean` must not take it for the platform."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "state.json").write_text(json.dumps({"pid": stranger.pid, "services": {}}))
        code, output = _run("down", "--data-dir", str(tmp_path))
        assert code == 0, output
        assert stranger.poll() is None, "govmedia down killed a process that is not the platform"
        code, output = _run("status", "--data-dir", str(tmp_path))
        assert code == 1 and "not running" in output, output
        code, output = _run("clean", "--data-dir", str(tmp_path))
        assert code == 0, output
    finally:
        stranger.kill()
        stranger.wait()


def test_clean_refuses_a_folder_holding_what_govmedia_did_not_put_there_and_removes_nothing(
    tmp_path: Path,
) -> None:
    """Found by the third outside round: `govmedia clean --data-dir .` (meant as "the data here") removed
    whatever folder it was given, recursively and silently: a clone with its uncommitted work, a home."""
    clone = tmp_path / "clone"
    (clone / "logs").mkdir(parents=True)  # one entry that looks like ours
    (clone / "README.md").write_text("uncommitted work")
    (clone / "src").mkdir()
    code, output = _run("clean", "--data-dir", str(clone))
    _assert_one_clear_error(code, output, "README.md", "src", "--data-dir")
    assert (clone / "README.md").read_text() == "uncommitted work"
    assert (clone / "logs").is_dir()


def test_up_on_a_data_folder_it_cannot_create_says_so_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, output = _run("up", "--data-dir", str(blocker / "data"))
    _assert_one_clear_error(code, output, "--data-dir")
    assert "cannot create" in output, output
