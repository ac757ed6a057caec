"""What `make demo` and `make clean` conclude from the state.json `govmedia up` leaves.

A recorded pid is the platform only while that process is a running `govmedia up` (the check `govmedia down`
makes); `make clean` never pulls the data from under a running platform, yet works on a fresh clone where
nothing ever ran."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govmedia_platform.demo_summary import NoPlatform, running_platform

REPO = Path(__file__).resolve().parents[2]
SERVICES = {s: {"url": f"http://127.0.0.1:{9000 + i}"} for i, s in enumerate(
    ("registry", "review", "monitor", "notify", "scoring"))}  # fmt: skip


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not a platform (what a reused pid belongs to after a crash or a reboot)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def supervisor() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line is that of `govmedia up` (what `down` and `clean` look for)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "govmedia", "up"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _state(data: Path, pid: int) -> None:
    data.mkdir(parents=True, exist_ok=True)
    state = {"pid": pid, "clock_file": str(data / "clock.json"), "services": SERVICES}
    (data / "state.json").write_text(json.dumps(state))


def test_the_demo_does_not_take_a_process_that_reuses_the_recorded_pid_for_the_platform(
    tmp_path: Path, stranger: subprocess.Popen[bytes], supervisor: subprocess.Popen[bytes]
) -> None:
    _state(tmp_path, stranger.pid)
    with pytest.raises(NoPlatform, match=r"has stopped.*make run"):
        running_platform(tmp_path)
    _state(tmp_path, supervisor.pid)  # the same file naming a running `govmedia up` is the platform
    urls, clock = running_platform(tmp_path)
    assert urls["notify"] == SERVICES["notify"]["url"] and clock == tmp_path / "clock.json"


def _make_clean(cwd: Path) -> subprocess.CompletedProcess[str]:
    # GOVMEDIA: the CLI of this interpreter, so the test needs neither uv nor a .venv in ``cwd``
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "GOVMEDIA_"))}
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(REPO / "Makefile"), "-C", str(cwd), "clean",
         f"GOVMEDIA={sys.executable} -m govmedia_platform.cli"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_refuses_while_the_platform_runs_and_works_where_nothing_ever_ran(
    tmp_path: Path, supervisor: subprocess.Popen[bytes]
) -> None:
    fresh = tmp_path / "fresh-clone"
    fresh.mkdir()
    done = _make_clean(fresh)
    assert done.returncode == 0 and "nothing to remove" in done.stdout, done.stdout + done.stderr

    used = tmp_path / "used"
    _state(used / ".govmedia", supervisor.pid)
    (used / ".govmedia" / "clock.json").write_text("{}")
    done = _make_clean(used)
    assert done.returncode != 0 and "stop it first" in done.stdout, done.stdout + done.stderr
    assert (used / ".govmedia" / "clock.json").exists(), "make clean removed the data of a running platform"

    supervisor.kill()
    supervisor.wait()
    done = _make_clean(used)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (used / ".govmedia").exists()
