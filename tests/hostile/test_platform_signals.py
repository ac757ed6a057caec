"""A new user's Ctrl-C stops `govmedia up`, also when the shell started it with SIGINT ignored.

Found by the outside-testing round, following the README in a fresh clone: `make run &` from a script (a
non-interactive shell starts background jobs with SIGINT ignored), then Ctrl-C to the job. The terminal's
SIGINT reaches the whole process group: every service (uvicorn installs its own handler) stopped with
code 0, while `govmedia up` itself ignored the signal and restarted all five, so Ctrl-C never stopped
the platform. `up` now takes SIGINT itself, whatever it inherited, like SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from govmedia_platform.launcher import Infrastructure

pytestmark = pytest.mark.integration


def _ignore_sigint() -> None:  # what a non-interactive shell does for `command &`
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_to_the_process_group_stops_a_platform_started_with_sigint_ignored(
    tmp_path: Path, infra: Infrastructure
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    env.update(
        {
            "COLUMNS": "200",
            "GOVMEDIA_DATABASE_URL": infra.database_server_url,  # no embedded servers: only the services
            "GOVMEDIA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD": "hostile-admin-password",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "govmedia_platform.cli", "up", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
        start_new_session=True,  # its own process group, as a shell's job: Ctrl-C goes to all of it
        preexec_fn=_ignore_sigint,
    )
    output: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while not any(line.startswith("ready in") for line in output):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(output[-30:])
            time.sleep(0.2)
        ready_lines = len(output)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("still running 60 s after Ctrl-C:\n" + "".join(output[ready_lines:])[-3000:])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the way it always stopped
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        reader.join(10)
    after = "".join(output[ready_lines:])
    assert "restarting" not in after, after
    assert "all govmedia processes stopped" in after, after
    assert proc.returncode == 0, after
