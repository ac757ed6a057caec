"""`govmedia up` brings the five services to ready on the embedded stack, restarts a crashed service or
broker while the rest keeps serving, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from govmedia_platform.launcher import Infrastructure

pytestmark = pytest.mark.integration

SERVICES = ("registry", "review", "monitor", "notify", "scoring")


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_up_starts_all_ready_restarts_a_killed_service_and_broker_and_ctrl_c_stops_every_process(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}  # the embedded default
    env["COLUMNS"] = "200"
    env["GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD"] = "e2e-admin-password"
    proc = subprocess.Popen(
        [sys.executable, "-m", "govmedia_platform.cli", "up", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    output: list[str] = []

    def read() -> None:  # keep draining the pipe, or the launcher blocks on a full one
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and not any(line.startswith("ready in") for line in output):
            time.sleep(0.2)
        text = "".join(output)
        assert "ready in" in text, text
        urls = dict(re.findall(r"│\s*(registry|review|monitor|notify|scoring)\s*│\s*(http://[0-9.:]+)", text))
        assert set(urls) == set(SERVICES), text
        # The monitor's machine client (large lexicon lists from the review), provisioned once, secret 0600.
        client_file = tmp_path / "data" / "monitor-client.json"
        assert client_file.stat().st_mode & 0o777 == 0o600, text
        token = httpx.post(
            f"{urls['registry']}/v1/auth/token",
            data={"grant_type": "client_credentials", **json.loads(client_file.read_text())},
            timeout=10,
        )
        assert token.status_code == 200 and token.json()["scope"] == "review:read", token.text
        for name, url in urls.items():
            ready = httpx.get(f"{url}/readyz", timeout=5)
            assert ready.status_code == 200, (name, ready.text)
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "ok"}
            assert httpx.get(f"{url}/metrics", timeout=5).status_code == 200
            openapi = httpx.get(f"{url}/openapi.json", timeout=5).json()
            assert name in openapi["info"]["title"]
        status = subprocess.run(
            [sys.executable, "-m", "govmedia_platform.cli", "status", "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.count("yes") == len(SERVICES), status.stdout
        state = json.loads((tmp_path / "data" / "state.json").read_text())
        assert f"Kafka bootstrap: {state['kafka_bootstrap']}" in status.stdout, status.stdout
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len(descendants) >= 7, [p.name() for p in descendants]  # postgres, broker, five services

        # A service killed outright comes back by itself within 30 s; the others keep serving meanwhile.
        victim = psutil.Process(state["services"]["review"]["pid"])
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        while _ready(urls["review"]) and time.monotonic() - killed_at < 5:
            time.sleep(0.1)
        others_ok = True
        while not _ready(urls["review"]):
            assert time.monotonic() - killed_at < 30, "".join(output[-20:])
            others_ok &= all(_ready(urls[n]) for n in SERVICES if n != "review")
            time.sleep(0.5)
        assert others_ok, "another service stopped serving while review was down"
        text = "".join(output)
        assert "review exited with code -9; restarting it" in text, text
        assert "registry exited" not in text

        # The embedded broker killed outright comes back too (empty, with its topics recreated).
        broker = psutil.Process(json.loads((tmp_path / "data" / "state.json").read_text())["broker_pid"])
        broker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        while "broker is new" not in "".join(output):
            assert time.monotonic() - killed_at < 30, "".join(output[-20:])
            time.sleep(0.2)
        while not all(_ready(url) for url in urls.values()):
            assert time.monotonic() - killed_at < 60, "".join(output[-20:])
            time.sleep(0.5)
        descendants = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        reader.join(10)
    rest = "".join(output)
    assert proc.returncode == 0, rest
    assert "all govmedia processes stopped" in rest
    time.sleep(1)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"left behind: {[(p.pid, p.name()) for p in left]}"


def test_up_uses_postgresql_and_kafka_given_in_the_environment_instead_of_starting_its_own(
    tmp_path: Path, infra: Infrastructure
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    env.update(
        {
            "COLUMNS": "200",
            "GOVMEDIA_DATABASE_URL": infra.database_server_url,
            "GOVMEDIA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD": "e2e-admin-password",
        }
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "govmedia_platform.cli",
            "up",
            "--data-dir",
            str(tmp_path / "data"),
            "--exit-when-ready",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "using PostgreSQL from GOVMEDIA_DATABASE_URL" in out
    assert f"using Kafka at {infra.kafka_bootstrap}" in out
    assert "listening on" not in out  # no embedded server was started
    assert "ready in" in out and "all govmedia processes stopped" in out
    assert not (tmp_path / "data" / "postgres").exists()
